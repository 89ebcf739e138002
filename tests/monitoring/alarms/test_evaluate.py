"""Evaluation of stored readings: zone alarms with hysteresis, baselines, order and backfill."""

import datetime as dt

import pytest
from django.test import override_settings

from monitoring.alarms.models import Alarm, AlarmRule, AuditEvent, Baseline
from monitoring.alarms.services import alarms_evaluate, baseline_reset
from monitoring.models import Machine
from monitoring.mongo import collection
from tests.factories import BearingFactory
from tests.monitoring.alarms.support import T0, reading_doc, series

pytestmark = pytest.mark.django_db

NORMAL = [1.0] * 10  # a baseline of 1.0 mm/s (zone A, group 2 rigid)


def alarms(**query):
    return list(collection(Alarm).find(query))


def zone_alarms():
    return [a for a in alarms() if a["rule_type"] == "zone"]


def test_zone_alarm_raises_on_the_second_c_reading_and_cites_it():
    bearing = BearingFactory()
    readings = series(bearing, [*NORMAL, 3.0, 3.2])
    changes = alarms_evaluate(readings=readings[:11])
    assert not [c for c in changes if c.subject.endswith(":zone")]
    changes = alarms_evaluate(readings=readings[11:])
    (alarm,) = zone_alarms()
    assert alarm["severity"] == "alert" and alarm["state"] == "active"
    assert alarm["trigger_reading_id"] == readings[11]["_id"]
    assert alarm["evidence"]["zone"] == "C" and alarm["evidence"]["threshold"] == 2.8
    assert alarm["customer"] == bearing.customer and alarm["machine_id"] == bearing.machine_id
    assert "new" in {c.kind for c in changes}


def test_escalation_happens_in_place_and_clearing_needs_hysteresis():
    bearing = BearingFactory()
    alarms_evaluate(readings=series(bearing, [*NORMAL, 3.0, 3.0, 5.0, 2.6, 2.6, 2.6]))
    (alarm,) = zone_alarms()
    # Three readings under C/D - 10 %: back to alert, in place; still over B/C - 10 %: held.
    assert alarm["severity"] == "alert" and alarm["state"] == "active"
    assert [h["step"] for h in alarm["history"]] == ["raised", "escalated", "deescalated"]
    assert alarm["worst_value"] == 5.0
    start = T0 + dt.timedelta(days=2)
    alarms_evaluate(readings=series(bearing, [2.4, 2.4, 2.4], start=start))
    (alarm,) = zone_alarms()
    assert alarm["state"] == "cleared" and alarm["open_key"] == f"~{alarm['_id']}"
    machine = collection(Machine).find_one({"_id": bearing.machine_id})
    assert machine["open_alarm_count"] == sum(machine["open_alarms"].values())


@override_settings(ALARM_REOPEN_MINUTES=600)
def test_a_recurrence_within_the_window_reopens_and_counts():
    bearing = BearingFactory()
    alarms_evaluate(readings=series(bearing, [*NORMAL, 5.0, 1.0, 1.0, 1.0, 5.0]))
    (alarm,) = zone_alarms()
    assert alarm["state"] == "active" and alarm["occurrences"] == 2
    later = T0 + dt.timedelta(days=3)
    alarms_evaluate(readings=series(bearing, [1.0, 1.0, 1.0], start=later))
    alarms_evaluate(readings=[reading_doc(bearing, later + dt.timedelta(hours=16), 5.0)])
    assert len(zone_alarms()) == 2  # 600 minutes after the clear: a new alarm


def test_backfilled_readings_are_stored_but_raise_nothing():
    bearing = BearingFactory()
    late = T0 + dt.timedelta(days=8)
    alarms_evaluate(readings=series(bearing, [*NORMAL, 5.0, 5.0], ingested_at=late))
    assert alarms() == []


def test_readings_older_than_the_evaluated_ones_raise_nothing():
    bearing = BearingFactory()
    alarms_evaluate(readings=series(bearing, NORMAL, start=T0 + dt.timedelta(days=1)))
    alarms_evaluate(readings=series(bearing, [5.0, 5.0]))  # captured before: out of order
    assert zone_alarms() == []


def test_readings_of_a_batch_are_evaluated_in_capture_order():
    bearing = BearingFactory()
    readings = series(bearing, [*NORMAL, 3.0, 3.0, 2.0, 2.0, 2.0])
    alarms_evaluate(readings=list(reversed(readings)))
    (alarm,) = zone_alarms()
    assert alarm["state"] == "cleared"


def test_baseline_is_the_median_of_the_first_ten_valid_readings():
    bearing = BearingFactory()
    readings = series(bearing, [1.0, 1.2, 0.8, 1.1, 0.9, 1.0, 1.3, 0.7, 1.0, 1.05, 9.0])
    alarms_evaluate(readings=readings)
    baseline = collection(Baseline).find_one({"bearing_id": bearing.pk})
    assert baseline["values"]["velocity.rms"] == pytest.approx(1.0)
    assert baseline["reading_ids"] == [r["_id"] for r in readings[:10]]


def test_baseline_warns_before_the_zone_and_kurtosis_at_twice_baseline():
    bearing = BearingFactory()
    # 1.8 > 1.0 + 0.25 x 2.8 = 1.7, still zone B: only the baseline speaks.
    readings = series(bearing, [*NORMAL, 1.8])
    readings[-1]["acceleration"]["kurtosis"] = 6.5
    alarms_evaluate(readings=readings)
    found = {a["subject"].split(":", 1)[1]: a["severity"] for a in alarms()}
    assert found == {
        "baseline:velocity.rms": "warning",
        "baseline:acceleration.kurtosis": "warning",
    }


def test_baseline_reset_starts_over_and_is_audited():
    bearing = BearingFactory()
    alarms_evaluate(readings=series(bearing, NORMAL))
    baseline_reset(bearing_id=bearing.pk, actor="alice")
    alarms_evaluate(readings=series(bearing, [2.0] * 10, start=T0 + dt.timedelta(days=2)))
    baseline = collection(Baseline).find_one({"bearing_id": bearing.pk})
    assert baseline["values"]["velocity.rms"] == 2.0 and baseline["reset_by"] == "alice"
    assert collection(AuditEvent).count_documents({"action": "baseline_reset"}) == 1


def test_a_bearing_override_disables_the_zone_rule():
    bearing = BearingFactory()
    AlarmRule.objects.create(rule_type="zone", scope="bearing", target=str(bearing.pk),
                             enabled=False)  # fmt: skip
    alarms_evaluate(readings=series(bearing, [*NORMAL, 5.0, 5.0]))
    assert zone_alarms() == []


def test_a_machine_type_override_changes_the_parameters():
    bearing = BearingFactory()
    AlarmRule.objects.create(rule_type="zone", scope="machine_type", target="Pump",
                             params={"raise_alert_after": 3})  # fmt: skip
    alarms_evaluate(readings=series(bearing, [*NORMAL, 3.0, 3.0]))
    assert zone_alarms() == []
    alarms_evaluate(readings=[reading_doc(bearing, T0 + dt.timedelta(days=1), 3.0)])
    (alarm,) = zone_alarms()
    assert alarm["rule_id"] == str(AlarmRule.objects.get().pk)


def test_every_lifecycle_step_is_audited():
    bearing = BearingFactory()
    alarms_evaluate(readings=series(bearing, [*NORMAL, 3.0, 3.0, 5.0, 1.0, 1.0, 1.0]))
    (alarm,) = zone_alarms()
    events = collection(AuditEvent).find({"object_id": str(alarm["_id"])}).sort("at", 1)
    assert [(e["action"], e["actor"]) for e in events] == [
        ("raise", "system"),
        ("escalate", "system"),
        ("clear", "system"),
    ]


def test_a_rising_trend_in_the_stored_rollups_raises_a_warning_with_the_projected_date():
    from monitoring.services import rollups_rebuild

    bearing = BearingFactory()  # group 2 rigid: C/D boundary 4.5 mm/s
    # 1.0 -> 2.3 mm/s over 13 days (0.1 mm/s a day): 4.5 is 22 days after the last reading.
    rising = series(bearing, [1.0 + 0.1 * d for d in range(14)], step=dt.timedelta(days=1),
                    store=True)  # fmt: skip
    rollups_rebuild()
    alarms_evaluate(readings=rising, now=rising[-1]["timestamp"])
    (trend,) = alarms(rule_type="trend")
    assert trend["severity"] == "warning" and trend["state"] == "active"
    projected = dt.datetime.fromisoformat(trend["evidence"]["projected_at"])
    assert abs(projected - (rising[-1]["timestamp"] + dt.timedelta(days=22))) < dt.timedelta(
        hours=1
    )
    assert trend["evidence"]["threshold"] == 4.5


def test_a_flat_history_raises_no_trend():
    from monitoring.services import rollups_rebuild

    bearing = BearingFactory()
    flat = series(bearing, [1.0] * 14, step=dt.timedelta(days=1), store=True)
    rollups_rebuild()
    alarms_evaluate(readings=flat, now=flat[-1]["timestamp"])
    assert alarms(rule_type="trend") == []
