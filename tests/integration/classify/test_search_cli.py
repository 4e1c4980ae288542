"""`custodio search` end to end: the simulator's SMS over TCP, assembled (its text indexed
in the transaction that stores it), found by the command — SQLite and PostgreSQL."""

from __future__ import annotations

import json

from tests.integration.assemble.conftest import Line
from tests.integration.cli_in_process import (
    Custodio,
    ok,
    refused,
    service_url,  # noqa: F401 (a fixture)
)
from tests.integration.conftest import CASE

WHY = "Operación Niebla: the money's trail"


def test_an_sms_is_searchable_once_assembled_and_the_command_shows_it(
    line: Line, custodio: Custodio
) -> None:
    """End to end: the simulator's SMS over TCP, assembly indexes its text in the
    transaction that stores it, `custodio search` finds it (audited), or refuses."""
    line.deliver(calls=0, sms=1, sms_texts=("Deja el paquete en Algeciras el martes.",))
    line.assemble()
    (comm,) = line.rows("SELECT id FROM communications WHERE kind = 'sms'")
    shown = json.loads(ok(custodio("inv1", "search", "ALGECIRAS", "--case", CASE,
                                   "--purpose", WHY, "--json")))  # fmt: skip
    assert [(h["communication_id"], h["kind"], h["at_s"]) for h in shown] == [
        (comm["id"], "sms", None)]  # fmt: skip
    assert "«Algeciras»" in shown[0]["snippet"]
    table = ok(custodio("inv1", "search", "algeciras", "--purpose", WHY))
    assert table.splitlines()[0].split() == ["CASE", "COMMUNICATION_ID", "KIND", "DIRECTION",
                                             "AT", "SNIPPET"]  # fmt: skip
    assert CASE in table and "«Algeciras»" in table
    refused(custodio("inv1", "search", "algeciras"), 5, "needs a purpose")
    refused(custodio("aud", "search", "algeciras", "--purpose", WHY), 5, "may not search")
    assert "(none)" in ok(custodio("inv1", "search", "Tarifa", "--purpose", WHY))
