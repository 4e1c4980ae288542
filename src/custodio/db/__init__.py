"""The SQL engine under the catalog and the audit log: connections, group commit, migrations.

Rows come back as dicts (:data:`custodio.db.engine.Row`), which only the catalog and the
audit log read: they turn them into typed records, and nothing above them indexes a row
by a column's name (``tests/unit/test_catalog_records.py`` keeps it so).
"""

from custodio.db.database import Database
from custodio.db.engine import Tx

__all__ = ["Database", "Tx"]
