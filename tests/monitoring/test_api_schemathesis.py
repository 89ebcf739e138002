"""Property-based run of every operation in /api/schema/ with schemathesis.

Generated requests (valid and invalid) go through the real WSGI application with a staff token
over a small fleet; the run fails on any 5xx and on any response that breaks the schema. Ids in
the path are the fleet's real ids (a generated id is unknown, so a detail endpoint would only
ever answer 404 and its 200 body would never meet the schema); the last test fails unless every
operation answered 200 at least once.
`make test` runs a bounded number of examples per operation; for a longer run:

    SCHEMATHESIS_MAX_EXAMPLES=500 make test  # or pytest on this file
"""

import json
import os
from collections import defaultdict

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation

from monitoring.alarms.models import AlarmRule
from tests.factories import FLEET_NOW, build_fleet
from tests.monitoring.conftest import TokenClient
from tests.servers import migrations_record_applied

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))


# operation label -> status codes it answered during the run
STATUSES: dict[str, set[int]] = defaultdict(set)


@pytest.fixture
def api_token(db):
    """A staff token over the shared test fleet (migrations recorded: /health/ready is 200),
    and the fleet's ids by path parameter."""
    fleet = build_fleet()
    migrations_record_applied()
    client = TokenClient("schemathesis", is_staff=True)
    client.get("/api/stats")
    ids = {"machine_id": str(fleet.m1.pk), "reading_id": str(fleet.readings[3].pk)}
    ids["alarm_id"] = str(_fresh_alarm(fleet.b1))
    ids["rule_id"] = str(AlarmRule.objects.create(rule_type="zone", scope="fleet").pk)
    return client.token, ids


def _fresh_alarm(bearing):
    """A new active alarm at version 1 (an action's 200 needs a state it can apply to)."""
    from bson import ObjectId

    from monitoring.alarms.lifecycle import Signal, alarm_signal

    owner = {"customer": bearing.customer, "area": "", "machine_id": bearing.machine_id,
             "bearing_id": bearing.pk}  # fmt: skip
    change = alarm_signal(Signal(subject=f"{bearing.pk}:{ObjectId()}", rule_type="zone",
                                 rule_id="", severity="alert", at=FLEET_NOW, owner=owner,
                                 evidence={"value": 3.0}))  # fmt: skip
    return change.alarm_id


def _realistic(case, ids) -> None:
    """Alarm actions act on a fresh alarm at its version; previews span the fleet's days."""
    if case.method != "POST" or case.meta.is_negative_at(ParameterLocation.BODY):
        return
    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return
    if "alarm_id" in case.path_parameters:
        from monitoring.models import Bearing

        case.path_parameters["alarm_id"] = str(_fresh_alarm(Bearing.objects.first()))
        body["version"] = 1
    elif "rule_id" in case.path_parameters:
        body.update(start="2026-03-09T00:00:00Z", end="2026-03-11T00:00:00Z")


def _load_schema():
    """The schema /api/schema/ serves, generated in process (collection has no database)."""
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))
    loaded.app = get_wsgi_application()
    return loaded


schema = _load_schema()


def test_the_served_schema_is_the_one_tested(api_token):
    served = TokenClient("schemathesis").get("/api/schema/?format=json")
    assert served.status_code == 200
    assert set(served.json()["paths"]) == set(schema.raw_schema["paths"])


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms(case, api_token):
    token, ids = api_token
    if case.path_parameters and not case.meta.is_negative_at(ParameterLocation.PATH):
        case.path_parameters = {name: ids[name] for name in case.path_parameters}
        _realistic(case, ids)
    response = case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        # Every other check runs (no 5xx, status codes, content types, response schemas,
        # rejection of schema-violating input, 405 for other methods). This one expects every
        # schema-valid request to be accepted, but some 400s are about meaning the schema
        # cannot express: an unknown IANA time zone, a page past the last, start after end.
        excluded_checks=[checks.positive_data_acceptance],
    )
    STATUSES[case.operation.label].add(response.status_code)


def test_every_operation_answered_200_and_met_the_schema():
    """Runs after the operations above: a 200 body of each was validated against the schema."""
    operations = {op.ok().label for op in schema.get_all_operations()}
    assert operations <= set(STATUSES), "run with the whole module"
    # 2xx: creating an alarm rule answers 201.
    ok = {op for op in operations if any(200 <= code < 300 for code in STATUSES[op])}
    assert sorted(operations - ok) == []
