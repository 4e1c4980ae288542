"""The API against its own OpenAPI document: schemathesis generates requests for every
route (but those of the caller's own credentials) from the document the live server
serves, sends them over TCP with the tokens of an investigator, a warrant officer and an
auditor, and checks that no answer is a server error and that every answer matches the
schema the document gives for its status.

The operations are walked here one by one with Hypothesis (schemathesis's pytest loader
for a schema made by a fixture does not run under this pytest)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integration.api.conftest import Served

EXAMPLES = 8
USERS = ("inv1", "wo", "aud")  # an investigator, a warrant officer, an auditor
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.mark.slow
def test_every_route_keeps_to_its_document(served: Served) -> None:
    served.line.deliver(profile="voip", calls=1, duration=0.4, sms=1, sms_texts=("Hola.",))
    served.line.assemble()  # a call and an SMS in the case, so that some ids exist
    schema = schemathesis.openapi.from_url(f"{served.base}/openapi.json")
    # not the routes that change the callers' own credentials (logging in and out, password,
    # second factor): random ones would lock the callers out halfway
    found = list(schema.exclude(path_regex="^/api/v1/(session|me/)").get_all_operations())
    operations = [r.ok() for r in found if isinstance(r, Ok)]
    assert len(operations) == len(found)  # the document is valid throughout
    assert len(operations) > 20
    before = served.last_seq()

    for user in USERS:
        token = {"Authorization": "Bearer " + served.login(user)["token"]}
        for operation in operations:
            walk(operation, served.base, token)
    assert served.last_seq() - before > len(operations) * len(USERS)  # they reached it


def walk(operation: Any, base: str, token: dict[str, str]) -> None:
    """Requests Hypothesis makes for ``operation``, each checked against the document."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def keeps_to_its_document(case: Any) -> None:
        case.call_and_validate(base_url=base, headers=dict(token), timeout=30, checks=CHECKS)

    keeps_to_its_document()
