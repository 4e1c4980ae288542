"""The SQL engine under the catalog and the audit log: connections, group commit, migrations."""

from custodio.db.database import Database
from custodio.db.engine import Row, Tx

__all__ = ["Database", "Row", "Tx"]
