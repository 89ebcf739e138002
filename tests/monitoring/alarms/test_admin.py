"""The alarm admin: filters, bulk acknowledge, timeline; the audit read-only; edits audited."""

import pytest
from django.urls import reverse

from monitoring.alarms.models import Alarm, AuditEvent
from monitoring.alarms.services import alarms_evaluate
from monitoring.mongo import collection
from tests.factories import BearingFactory
from tests.monitoring.alarms.support import series

pytestmark = pytest.mark.django_db


@pytest.fixture
def alarm():
    bearing = BearingFactory()
    alarms_evaluate(readings=series(bearing, [1.0] * 10 + [3.0, 3.0, 5.0]))
    return Alarm.objects.get(rule_type="zone")


def test_pages_load_and_the_timeline_shows_each_step(admin_client, alarm):
    for url in (
        reverse("admin:monitoring_alarm_changelist") + "?severity__exact=danger",
        reverse("admin:monitoring_auditevent_changelist"),
        reverse("admin:monitoring_alarmrule_changelist"),
        reverse("admin:monitoring_alarmrecipient_changelist"),
    ):
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get(reverse("admin:monitoring_alarm_change", args=[alarm.pk]))
    assert page.status_code == 200
    assert b"raised" in page.content and b"escalated" in page.content


def test_bulk_acknowledge_goes_through_the_lifecycle(admin_client, alarm):
    url = reverse("admin:monitoring_alarm_changelist")
    answer = admin_client.post(url, {"action": "acknowledge", "_selected_action": [str(alarm.pk)]})
    assert answer.status_code == 302
    doc = collection(Alarm).find_one({"_id": alarm.pk})
    assert doc["acknowledged"] and doc["acknowledged_by"] == "admin"
    assert collection(AuditEvent).count_documents({"action": "ack", "actor": "admin"}) == 1


def test_audit_is_read_only(admin_client, alarm):
    event = AuditEvent.objects.first()
    change = reverse("admin:monitoring_auditevent_change", args=[event.pk])
    assert admin_client.post(change, {"actor": "forged"}).status_code == 403
    assert admin_client.get(reverse("admin:monitoring_auditevent_add")).status_code == 403


def test_admin_edits_are_audited(admin_client, alarm):
    url = reverse("admin:monitoring_alarmrule_add")
    data = {"rule_type": "zone", "scope": "machine_type", "target": "Pump", "enabled": "on",
            "params": '{"clear_after": 4}'}  # fmt: skip
    answer = admin_client.post(url, data)
    assert answer.status_code == 302, answer.content[:1500]
    event = collection(AuditEvent).find_one({"action": "admin_add", "object_type": "alarmrule"})
    assert event["actor"] == "admin" and event["after"]["target"] == "Pump"
