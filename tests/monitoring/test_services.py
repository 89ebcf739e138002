"""Rollups and latest state: maintained incrementally they equal a rebuild from readings."""

import datetime as dt

import pytest

from monitoring.models import AreaHourlyRollup, Bearing, BearingHourlyRollup, Machine, Reading
from monitoring.mongo import collection
from monitoring.services import (
    latest_state_rebuild,
    latest_state_update,
    rollups_apply,
    rollups_rebuild,
)
from tests.factories import BearingFactory, MachineFactory, ReadingFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 10, 5, tzinfo=dt.UTC)


def _snapshot(model):
    rows = []
    key = ("bearing_id", "hour") if model is BearingHourlyRollup else ("customer", "area", "hour")
    for doc in collection(model).find({}, {"_id": 0}):
        rows.append(doc)
    return sorted(rows, key=lambda d: tuple(str(d[k]) for k in key))


def _assert_same(a, b):
    assert len(a) == len(b)
    for left, right in zip(a, b, strict=True):
        assert left.keys() == right.keys()
        for key in left:
            if isinstance(left[key], dict):
                assert left[key] == pytest.approx(right[key]), key
            else:
                assert left[key] == right[key], key


@pytest.fixture
def readings():
    machine = MachineFactory(area="Boilers")
    b1, b2 = BearingFactory(machine=machine), BearingFactory(machine=machine)
    rows = []
    for i, (bearing, status, vel, temp) in enumerate(
        [
            (b1, "Normal", 1.0, 40.0),
            (b1, "Alert", 5.0, None),
            (b2, "Satisfactory", 2.0, 42.0),
            (b2, "Normal", 1.2, 41.0),
            (b1, "Unacceptable", 9.0, 50.0),
        ]
    ):
        reading = ReadingFactory(
            bearing=bearing, timestamp=T0 + dt.timedelta(minutes=25 * i), status=status,
            temperature=temp,
        )  # fmt: skip
        reading.velocity.rms = vel
        reading.save()
        rows.append(reading)
    return rows


def test_incremental_rollups_equal_rebuilt(readings):
    docs = list(collection(Reading).find())
    rollups_apply(docs[:2])
    rollups_apply(docs[2:])
    incremental = _snapshot(BearingHourlyRollup), _snapshot(AreaHourlyRollup)
    assert rollups_rebuild() == len(incremental[0]) + len(incremental[1])
    rebuilt = _snapshot(BearingHourlyRollup), _snapshot(AreaHourlyRollup)
    _assert_same(incremental[0], rebuilt[0])
    _assert_same(incremental[1], rebuilt[1])


def test_rollups_apply_adds_to_stored_buckets_and_inserts_new_ones(readings):
    """Each reading applied on its own: every batch after the first meets stored buckets."""
    docs = sorted(collection(Reading).find(), key=lambda d: d["timestamp"])
    for doc in docs:
        rollups_apply([doc])
    incremental = _snapshot(BearingHourlyRollup), _snapshot(AreaHourlyRollup)
    # b1 has readings at 10:05 and 10:30 (one bucket), 11:45; b2 at 10:55 and 11:20.
    assert [d["count"] for d in incremental[0] if d["hour"].hour == 10] in ([2, 1], [1, 2])
    assert sorted(d["count"] for d in incremental[1]) == [2, 3]
    assert max(d["velocity_rms"]["max"] for d in incremental[1]) == 9.0
    rollups_rebuild()
    _assert_same(incremental[0], _snapshot(BearingHourlyRollup))
    _assert_same(incremental[1], _snapshot(AreaHourlyRollup))


def test_rollup_values(readings):
    rollups_rebuild()
    area = collection(AreaHourlyRollup).find_one({"hour": dt.datetime(2026, 3, 1, 10)})
    # 10:05, 10:30, 10:55 fall in the 10:00 hour; 11:20 and 11:45 in the next.
    assert area["count"] == 3
    assert area["statuses"] == {"Normal": 1, "Satisfactory": 1, "Alert": 1, "Unacceptable": 0}
    assert area["velocity_rms"]["sum"] == pytest.approx(8.0)
    assert area["velocity_rms"]["max"] == 5.0
    assert area["temperature"]["count"] == 2  # one reading had no temperature
    assert area["temperature"]["sum"] == pytest.approx(82.0)


def test_latest_state_moves_forward_only(readings):
    docs = {d["external_id"]: d for d in collection(Reading).find()}
    newest, older = docs[readings[4].external_id], docs[readings[0].external_id]
    latest_state_update({newest["bearing_id"]: newest})
    latest_state_update({older["bearing_id"]: older})  # a backfill of an older reading
    bearing = Bearing.objects.get(pk=newest["bearing_id"])
    assert bearing.status == "Unacceptable"
    assert bearing.last_reading_id == newest["_id"]
    machine = Machine.objects.get(pk=newest["machine_id"])
    assert machine.status == "Unacceptable"
    assert machine.bearing_count == 2


def test_latest_state_rebuild(readings):
    latest_state_rebuild()
    machine = Machine.objects.get()
    assert machine.status == "Unacceptable"  # worst of Unacceptable (b1) and Normal (b2)
    assert machine.last_reading_at == readings[4].timestamp
    b2 = Bearing.objects.get(pk=readings[3].bearing_id)
    assert (b2.status, b2.last_velocity_rms, b2.last_temperature) == ("Normal", 1.2, 41.0)
