"""`custodio warrant` through the API: a warrant officer registers a warrant, binds another
LIID, extends and revokes it; what the service refuses comes back as one line."""

from __future__ import annotations

import json

from tests.integration.assemble.conftest import line  # noqa: F401 (a fixture, by name)
from tests.integration.cli_in_process import (  # noqa: F401
    Custodio,
    custodio,
    environment,
    ok,
    refused,
    service_url,
)
from tests.integration.conftest import CASE

NEW = "AUTO 50/2026"  # a "/" in a warrant's reference, as in a case's


def _listed(custodio: Custodio) -> dict[str, dict[str, object]]:  # noqa: F811
    rows = json.loads(ok(custodio("wo", "warrant", "list", "--case", CASE, "--json")))
    return {str(w["reference"]): w for w in rows}


def test_a_warrant_registered_bound_extended_and_revoked(
    custodio: Custodio,  # noqa: F811 (the fixture imported above)
) -> None:
    add = ["warrant", "add", "--case", CASE, "--court", "JI nº 3 Madrid", "--judge", "Ana Ruiz",
           "--reference", NEW, "--from", "2026-11-15", "--until", "2027-02-14",
           "--scope", "content,traffic", "--target", "e164:+34600222333"]  # fmt: skip
    assert ok(custodio("wo", *add)) == f"warrant {NEW!r} registered for case {CASE!r}\n"
    new = _listed(custodio)[NEW]
    assert (new["valid_from"], new["valid_until"], new["scope"], new["targets"], new["liids"]) == (
        "2026-11-15T00:00:00.000000Z", "2027-02-14T23:59:59.999999Z", ["content", "traffic"],
        ["e164:+34600222333"], [])  # fmt: skip

    bind = ["warrant", "bind", NEW, "--case", CASE, "--liid", "ES-LI-0050",
            "--operator", "movistar"]  # fmt: skip
    assert "LIID 'ES-LI-0050' at 'movistar' bound" in ok(custodio("wo", *bind))
    assert _listed(custodio)[NEW]["liids"] == [{"liid": "ES-LI-0050", "operator": "movistar"}]

    extend = ["warrant", "extend", NEW, "--case", CASE, "--order", "AUTO 61/2027",
              "--judge", "Ana Ruiz", "--until", "2027-03-14"]  # fmt: skip
    assert ok(custodio("wo", *extend)) == f"warrant {NEW!r} extended until 2027-03-14\n"
    assert _listed(custodio)[NEW]["valid_until"] == "2027-03-14T23:59:59.999999Z"

    revoke = ["warrant", "revoke", NEW, "--case", CASE, "--reason", "auto de 1/12/2026"]
    assert ok(custodio("wo", *revoke)) == f"warrant {NEW!r} revoked\n"
    assert _listed(custodio)[NEW]["status"] == "revoked"

    table = ok(custodio("wo", "warrant", "list", "--case", CASE)).splitlines()
    assert table[0].split() == ["REFERENCE", "JUDGE", "VALID_FROM", "VALID_UNTIL", "SCOPE",
                                "STATUS", "TARGETS"]  # fmt: skip
    assert len(table) == 3 and any(NEW in row and "revoked" in row for row in table)


def test_what_the_service_refuses_is_one_line(
    custodio: Custodio,  # noqa: F811 (the fixture imported above)
) -> None:
    base = ["warrant", "add", "--case", CASE, "--court", "JI 3", "--judge", "J", "--reference",
            "AUTO 70/2026", "--from", "2026-12-01", "--until", "2027-01-15"]  # fmt: skip
    refused(custodio("wo", *base, "--scope", "content", "--liid", "X"), 2,
            "--liid and --operator go together")  # fmt: skip
    refused(custodio("wo", *base, "--scope", "everything"), 2, "is not a list of")
    refused(custodio("wo", *base[:-1], "soon", "--scope", "content"), 2,
            "'soon' is not a date or time")  # fmt: skip
    refused(custodio("inv1", *base, "--scope", "content"), 5, "may not warrant.create")
    refused(custodio("wo", "warrant", "list", "--case", "DP 999/2026"), 6, "DP 999/2026")
    refused(custodio("wo", "warrant", "revoke", "AUTO 99/2026", "--case", CASE, "--reason", "x"),
            6, "AUTO 99/2026")  # fmt: skip
