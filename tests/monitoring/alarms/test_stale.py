"""Stale sensors: alarms on time from the schedule, cleared by data, inhibited by an outage."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import call_command

from monitoring.alarms.models import Alarm
from monitoring.alarms.services import (
    alarms_evaluate,
    alarms_ingestion_outcome,
    alarms_stale_check,
)
from monitoring.models import Bearing
from monitoring.mongo import collection
from tests.factories import BearingFactory
from tests.monitoring.alarms.support import T0, reading_doc

pytestmark = pytest.mark.django_db


def _silent_since(bearing, at):
    Bearing.objects.filter(pk=bearing.pk).update(last_reading_at=at)


def stale(bearing):
    return collection(Alarm).find_one({"subject": f"{bearing.pk}:stale"})


def test_warning_at_36_hours_alert_at_72_cleared_by_the_next_reading():
    bearing, quiet = BearingFactory(), BearingFactory()
    _silent_since(bearing, T0)
    _silent_since(quiet, T0 + dt.timedelta(hours=10))
    assert alarms_stale_check(now=T0 + dt.timedelta(hours=35)) == []
    alarms_stale_check(now=T0 + dt.timedelta(hours=36))
    assert stale(bearing)["severity"] == "warning" and stale(quiet) is None
    alarms_stale_check(now=T0 + dt.timedelta(hours=72))
    alarm = stale(bearing)
    assert alarm["severity"] == "alert" and alarm["evidence"]["unit"] == "h"
    assert collection(Alarm).count_documents({"subject": f"{bearing.pk}:stale"}) == 1
    alarms_evaluate(readings=[reading_doc(bearing, T0 + dt.timedelta(hours=73), 1.0)],
                    now=T0 + dt.timedelta(hours=73))  # fmt: skip
    assert stale(bearing)["state"] == "cleared"


def test_a_vendor_outage_alarm_inhibits_stale_alarms_and_clears_on_success():
    bearing = BearingFactory()
    _silent_since(bearing, T0)
    (change,) = alarms_ingestion_outcome(failed=True, vendor_unreachable=True, error="down")
    assert change.kind == "new" and change.subject == "ingestion"
    assert alarms_stale_check(now=T0 + dt.timedelta(hours=40)) == []
    assert stale(bearing) is None
    assert alarms_ingestion_outcome(failed=True, vendor_unreachable=False) == []  # unrelated
    (cleared,) = alarms_ingestion_outcome(failed=False, vendor_unreachable=False)
    assert cleared.kind == "cleared"
    alarms_stale_check(now=T0 + dt.timedelta(hours=40))
    assert stale(bearing)["severity"] == "warning"


def test_check_stale_command_and_its_cron_entry(capsys):
    bearing = BearingFactory()
    _silent_since(bearing, dt.datetime.now(dt.UTC) - dt.timedelta(hours=80))
    call_command("check_stale")
    assert "1 alarm change(s)" in capsys.readouterr().out
    assert stale(bearing)["severity"] == "alert"
    entry = [job for job in settings.CRONJOBS if job[2] == ["check_stale"]]
    assert entry and entry[0][0] == "*/15 * * * *"


def test_the_stale_query_uses_the_last_reading_index():
    from monitoring.mongo import collection as coll

    plan = coll(Bearing).find({"last_reading_at": {"$lt": T0}}).explain()
    assert "COLLSCAN" not in str(plan)
    assert "COLLSCAN" in str(coll(Bearing).find({"bearing_type": "x"}).explain())
