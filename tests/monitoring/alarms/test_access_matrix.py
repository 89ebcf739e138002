"""The alarm access matrix: anonymous, two customers, viewer, engineer, staff x every alarm
endpoint and action; bad transitions, unknown ids and other customers' alarms are 4xx."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from monitoring.alarms.models import Alarm, AlarmRule
from monitoring.alarms.services import alarms_evaluate
from monitoring.models import CustomerAccess
from monitoring.mongo import collection
from tests.factories import BearingFactory, MachineFactory
from tests.monitoring.alarms.support import series
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db

ACTIONS = {
    "ack": {},
    "clear": {},
    "assign": {"assignee": "bob"},
    "comments": {"text": "seen"},
    "close": {"resolution": "false_alarm"},
}


@pytest.fixture
def alarms():
    found = {}
    for customer in ("Acme", "Globex"):
        bearing = BearingFactory(machine=MachineFactory(customer=customer))
        alarms_evaluate(readings=series(bearing, [1.0] * 10 + [5.0]))
        found[customer] = collection(Alarm).find_one({"subject": f"{bearing.pk}:zone"})["_id"]
    return found


def who(name: str):
    if name == "anonymous":
        return Client()
    if name == "staff":
        return TokenClient("staff-user")
    customer = "Globex" if name == "globex" else "Acme"
    client = TokenClient(name, is_staff=False, customers=[customer])
    client.get("/api/alarms/summary")
    if name in ("engineer", "globex"):
        user = get_user_model().objects.get(username=name)
        CustomerAccess.objects.filter(user_id=user.pk).update(role="engineer")
    return client


def version(pk) -> int:
    return collection(Alarm).find_one({"_id": pk})["version"]


# who -> (read Acme's alarm, act on Acme's alarm)
MATRIX = {
    "anonymous": (401, 401),
    "viewer": (200, 403),
    "engineer": (200, 200),
    "globex": (404, 404),  # an engineer of another customer: not found, nothing revealed
    "staff": (200, 200),
}


@pytest.mark.parametrize("name", list(MATRIX))
def test_matrix(alarms, name):
    client, (read, act) = who(name), MATRIX[name]
    acme = alarms["Acme"]
    assert client.get(f"/api/alarms/{acme}").status_code == read
    for url in ("/api/alarms", "/api/alarms/summary"):
        assert client.get(url).status_code == (401 if name == "anonymous" else 200)
    for url in ("/api/alarm-rules", "/api/audit"):
        expected = {"anonymous": 401, "staff": 200}.get(name, 403)
        assert client.get(url).status_code == expected, url
    for action, body in ACTIONS.items():
        answer = client.post(f"/api/alarms/{acme}/{action}", {"version": version(acme), **body},
                             content_type="application/json")  # fmt: skip
        assert answer.status_code == act, (name, action, answer.content)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_bad_input_and_unknown_ids_are_4xx_never_500(alarms, action):
    client, acme = who("staff"), alarms["Acme"]
    post = lambda url, data: client.post(url, data, content_type="application/json")  # noqa: E731
    assert post(f"/api/alarms/0123456789abcdef01234567/{action}", {"version": 1}).status_code == 404
    assert post(f"/api/alarms/zz/{action}", {"version": 1}).status_code == 404
    assert post(f"/api/alarms/{acme}/{action}", {"version": "x"}).status_code == 400
    assert post(f"/api/alarms/{acme}/{action}", {}).status_code == 400
    assert (
        client.post(
            f"/api/alarms/{acme}/{action}", "{", content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        post(f"/api/alarms/{acme}/{action}", {"version": 99, **ACTIONS[action]}).status_code == 409
    )


def test_transitions_from_a_closed_alarm_are_409(alarms):
    client, acme = who("staff"), alarms["Acme"]
    close = {"version": version(acme), "resolution": "accepted"}
    assert (
        client.post(f"/api/alarms/{acme}/close", close, content_type="application/json").status_code
        == 200
    )
    for action in ("ack", "clear", "assign", "close"):
        body = {"version": version(acme), **ACTIONS[action]}
        answer = client.post(f"/api/alarms/{acme}/{action}", body, content_type="application/json")
        assert answer.status_code == 409 and answer.json()["detail"] == "The alarm is closed."


def test_rules_unknown_ids_and_bad_preview_are_4xx(alarms):
    client = who("staff")
    assert client.get("/api/alarm-rules/0123456789abcdef01234567").status_code == 404
    rule = AlarmRule.objects.create(rule_type="trend", scope="fleet")
    bad = client.post(f"/api/alarm-rules/{rule.pk}/preview",
                      {"start": "2026-03-02T00:00:00Z", "end": "2026-03-01T00:00:00Z"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    trend = client.post(f"/api/alarm-rules/{rule.pk}/preview",
                        {"start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"},
                        content_type="application/json")  # fmt: skip
    assert trend.status_code == 400 and "zone and baseline" in trend.json()["errors"]["rule_id"][0]
