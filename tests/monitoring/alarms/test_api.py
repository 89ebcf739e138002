"""The alarm API: scoped reads, compare-and-set actions by role, CSRF, rules, preview, audit."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from monitoring.alarms.models import Alarm, AuditEvent
from monitoring.alarms.services import alarms_evaluate
from monitoring.mongo import collection, utc
from tests.factories import BearingFactory, MachineFactory
from tests.monitoring.alarms.support import T0, series
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant():
    """An Acme and a Globex bearing, each with a zone alarm (and a baseline one)."""
    acme = BearingFactory()
    globex = BearingFactory(machine=MachineFactory(customer="Globex"))
    for bearing in (acme, globex):
        alarms_evaluate(readings=series(bearing, [1.0] * 10 + [5.0], store=True))
    return {
        b.customer: str(collection(Alarm).find_one({"subject": f"{b.pk}:zone"})["_id"])
        for b in (acme, globex)
    }


def viewer():
    return TokenClient("viewer", is_staff=False, customers=["Acme"])


def engineer():
    client = TokenClient("engineer", is_staff=False, customers=["Acme"])
    client.get("/api/alarms")  # creates the user and its access
    from monitoring.models import CustomerAccess

    user = get_user_model().objects.get(username="engineer")
    CustomerAccess.objects.filter(user_id=user.pk).update(role="engineer")
    return client


def test_list_is_scoped_filtered_and_cursor_paginated(plant):
    staff = TokenClient()
    everything = staff.get("/api/alarms").json()["results"]
    assert {a["customer"] for a in everything} == {"Acme", "Globex"}
    mine = viewer().get("/api/alarms").json()["results"]
    assert {a["customer"] for a in mine} == {"Acme"}
    zone = staff.get("/api/alarms?rule_type=zone&severity=danger&state=open").json()["results"]
    assert len(zone) == 2 and all(a["rule_type"] == "zone" for a in zone)
    page = staff.get("/api/alarms?page_size=1").json()
    assert len(page["results"]) == 1 and page["next"]
    second = staff.get(page["next"]).json()
    assert second["results"][0]["id"] != page["results"][0]["id"]
    assert staff.get("/api/alarms?state=bogus").status_code == 400
    assert staff.get("/api/alarms?since=2026-01-01").status_code == 400  # no offset


def test_detail_other_customer_unknown_and_malformed_ids_are_404(plant):
    client = viewer()
    detail = client.get(f"/api/alarms/{plant['Acme']}").json()
    assert detail["history"][0]["step"] == "raised" and detail["comments"] == []
    assert client.get(f"/api/alarms/{plant['Globex']}").status_code == 404
    assert client.get("/api/alarms/0123456789abcdef01234567").status_code == 404
    assert client.get("/api/alarms/nope").status_code == 404


def test_summary_counts_by_severity_and_state(plant):
    summary = TokenClient().get("/api/alarms/summary").json()
    assert summary["active_by_severity"]["danger"] == 2
    assert summary["open"] == summary["open_by_state"]["active"] == 4  # zone + baseline each
    assert viewer().get("/api/alarms/summary").json()["open"] == 2


def test_summary_groups_only_by_what_it_counts(plant, recorder):
    client = TokenClient()
    client.get("/api/stats")  # authenticate outside the recording
    recorder.commands.clear()
    assert client.get("/api/alarms/summary").status_code == 200
    [command] = [c for c in recorder.commands if c.get("aggregate") == "alarms"]
    [group] = [stage["$group"] for stage in command["pipeline"] if "$group" in stage]
    assert set(group["_id"]) == {"severity", "state", "acknowledged"}  # not per customer


def test_engineer_acts_with_compare_and_set_viewer_cannot(plant):
    url = f"/api/alarms/{plant['Acme']}"
    assert (
        viewer().post(f"{url}/ack", {"version": 1}, content_type="application/json").status_code
        == 403
    )
    client = engineer()
    ack = client.post(f"{url}/ack", {"version": 1}, content_type="application/json")
    assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "engineer"
    stale = client.post(f"{url}/assign", {"version": 1, "assignee": "bob"},
                        content_type="application/json")  # fmt: skip
    assert stale.status_code == 409 and "version 2" in stale.json()["detail"]
    again = client.post(f"{url}/ack", {"version": 2}, content_type="application/json")
    assert again.status_code == 409  # already acknowledged
    client.post(f"{url}/comments", {"version": 2, "text": "bearing ordered"},
                content_type="application/json")  # fmt: skip
    closed = client.post(f"{url}/close", {"version": 3, "resolution": "repaired"},
                         content_type="application/json").json()  # fmt: skip
    assert closed["closed"] and closed["state"] == "cleared" and closed["resolution"] == "repaired"
    assert closed["comments"][0]["text"] == "bearing ordered"
    bad = client.post(f"{url}/close", {"version": 4, "resolution": "nope"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "resolution" in bad.json()["errors"]
    other = client.post(f"/api/alarms/{plant['Globex']}/ack", {"version": 1},
                        content_type="application/json")  # fmt: skip
    assert other.status_code == 404
    events = collection(AuditEvent).find({"object_id": plant["Acme"]}).sort([("at", 1), ("_id", 1)])
    actions = [e["action"] for e in events]
    assert actions[-3:] == ["ack", "comment", "close"]


def test_session_writes_need_csrf(plant):
    get_user_model().objects.create_superuser("boss", "b@example.com", "pw")
    client = Client(enforce_csrf_checks=True)
    client.login(username="boss", password="pw")
    url = f"/api/alarms/{plant['Acme']}/ack"
    assert client.post(url, {"version": 1}, content_type="application/json").status_code == 403
    client.get("/admin/")  # its logout form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    answer = client.post(url, {"version": 1}, content_type="application/json",
                         HTTP_X_CSRFTOKEN=token)  # fmt: skip
    assert answer.status_code == 200


def test_rules_are_staff_only_audited_and_previewed(plant):
    assert viewer().get("/api/alarm-rules").status_code == 403
    staff = TokenClient()
    created = staff.post("/api/alarm-rules", {"rule_type": "zone", "scope": "machine_type",
                         "target": "Pump", "params": {"raise_alert_after": 3}},
                         content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.json()
    rule_id = created.json()["id"]
    bad = staff.post("/api/alarm-rules", {"rule_type": "zone", "params": {"bogus": 1}},
                     content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    dup = staff.post("/api/alarm-rules", {"rule_type": "zone", "scope": "machine_type",
                     "target": "Pump"}, content_type="application/json")  # fmt: skip
    assert dup.status_code == 409
    start, end = T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=2)
    preview = staff.post(f"/api/alarm-rules/{rule_id}/preview",
                         {"start": start.isoformat(), "end": end.isoformat()},
                         content_type="application/json")  # fmt: skip
    assert preview.status_code == 200, preview.json()
    assert {p["severity"] for p in preview.json()} == {"danger"}
    audit = staff.get("/api/audit").json()["results"]
    assert audit[0]["action"] == "rule_create" and audit[0]["actor"] == "api-staff"
    assert viewer().get("/api/audit").status_code == 403


def test_machines_carry_open_alarms_and_filter_by_them(plant):
    BearingFactory(machine=MachineFactory(customer="Acme", machine_name="Quiet"))
    staff = TokenClient()
    alarmed = staff.get("/api/machines?has_alarm=true").json()["results"]
    assert len(alarmed) == 2
    assert all(m["open_alarm_count"] == 2 and m["open_alarms"]["danger"] == 1 for m in alarmed)
    quiet = staff.get("/api/machines?has_alarm=false").json()["results"]
    assert [m["machine_name"] for m in quiet] == ["Quiet"]
    assert staff.get("/api/machines?has_alarm=maybe").status_code == 400


def test_kpis_count_active_alarms_by_severity_scoped_and_fresh(plant, settings):
    settings.DASHBOARD_CACHE_SECONDS = 300  # as deployed: the answer is cached
    staff, mine = TokenClient(), viewer()
    everything = staff.get("/api/dashboard/kpis").json()
    assert everything["active_alarms_by_severity"]["danger"] == 2
    assert everything["machines_with_alarm"] == 2
    acme = mine.get("/api/dashboard/kpis").json()
    assert acme["active_alarms_by_severity"]["danger"] == 1 and acme["machines_with_alarm"] == 1
    assert sum(acme["active_alarms_by_severity"].values()) == 2  # the zone and baseline alarms
    url = f"/api/alarms/{plant['Acme']}/clear"
    cleared = staff.post(url, {"version": 1}, content_type="application/json")
    assert cleared.status_code == 200, cleared.json()
    after = staff.get("/api/dashboard/kpis").json()  # not the cached answer from before
    assert after["active_alarms_by_severity"]["danger"] == 1


def test_audit_trail_walks_by_cursor_both_ways_without_gaps(db):
    from monitoring.alarms.lifecycle import audit_record

    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    for n in range(7):  # three share one instant: the id breaks the tie
        audit_record(actor="s", action="admin_change", object_type="machine", object_id=n,
                     at=at + dt.timedelta(minutes=min(n, 4)), before={}, after={})  # fmt: skip
    staff = TokenClient()
    seen, url = [], "/api/audit?page_size=2"
    while url:
        page = staff.get(url).json()
        assert "count" not in page  # no count: a page costs the same at any depth
        seen += [e["object_id"] for e in page["results"]]
        last, url = page, page["next"]
    assert seen == ["6", "5", "4", "3", "2", "1", "0"]
    back = staff.get(last["previous"]).json()["results"]
    assert [e["object_id"] for e in back] == ["2", "1"]  # the two just newer than "0"
    assert staff.get("/api/audit?cursor=bogus").status_code == 400


@pytest.mark.parametrize(("url", "collection_name", "field"),
                         [("/api/alarms", "alarms", "raised_at"),
                          ("/api/audit", "audit_events", "at")])  # fmt: skip
def test_alarm_and_audit_pages_walk_back_a_day_then_doubling(
    plant, recorder, url, collection_name, field
):
    """Sparse collections page in day-wide windows (reading pages start at an hour): with
    hour-wide ones the window that fills a page held weeks of alarms, all sorted on SecantusDB."""
    before = dt.datetime.now(dt.UTC)
    assert TokenClient().get(url).status_code == 200
    lows = [utc(c["pipeline"][0]["$match"][field]["$gte"]) for c in recorder.commands
            if c.get("aggregate") == collection_name]  # fmt: skip
    assert len(lows) >= 3  # the page is not full near now: the walk goes back a while
    day, minute = dt.timedelta(days=1), dt.timedelta(minutes=1)
    assert before - day - minute <= lows[0] <= before - day + minute
    assert lows[0] - lows[1] == 2 * day and lows[1] - lows[2] == 4 * day
