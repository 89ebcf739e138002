"""The story `make run` tells: the outer-race defect is warned (envelope and baseline rules)
days before its zone alarm, and the imbalanced fan sits in zone C with an alarm."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from ingestion.simulator.fleet import (
    IMBALANCE_MACHINE_ID,
    OUTER_RACE_BEARING_ID,
)
from monitoring.alarms.models import Alarm
from monitoring.models import Bearing, Machine
from monitoring.mongo import collection

pytestmark = pytest.mark.django_db


def _alarms(**match) -> list[dict]:
    return list(collection(Alarm).find(match).sort("raised_at", 1))


def test_the_demo_warns_of_the_outer_race_defect_early_and_shows_the_fan_in_zone_c(settings):
    settings.INGEST_DEMO_N_SAMPLES = 4096  # the envelope needs the demo's real record length
    call_command("demo_data", days=7, interval_minutes=120, stdout=io.StringIO())
    pump_de = collection(Bearing).find_one({"external_id": OUTER_RACE_BEARING_ID})
    raised = {}
    for alarm in _alarms(bearing_id=pump_de["_id"]):
        key = (alarm["rule_type"], alarm["evidence"].get("indicator", ""))
        raised.setdefault(key, alarm["raised_at"])
    zone = raised[("zone", "velocity.rms")]
    early = [at for (rule, indicator), at in raised.items()
             if rule == "baseline" and indicator.startswith("envelope.")]  # fmt: skip
    assert early and zone - min(early) >= dt.timedelta(days=2), raised
    assert raised[("baseline", "velocity.rms")] < zone  # the ISO annex's baseline rule too

    fan = collection(Machine).find_one({"external_id": IMBALANCE_MACHINE_ID})
    assert fan["status"] == "Alert"  # zone C
    fan_zone = _alarms(machine_id=fan["_id"], rule_type="zone", state="active")
    assert fan_zone and {a["severity"] for a in fan_zone} == {"alert"}
