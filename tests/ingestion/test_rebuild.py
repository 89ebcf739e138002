"""`manage.py rebuild_rollups`: after a real ingestion, rebuilt rollups equal maintained ones."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ingestion.lock import holder_describe, lock_acquire
from ingestion.management.commands import rebuild_rollups
from ingestion.run import ingestion_run
from monitoring.models import (
    AreaHourlyRollup,
    Bearing,
    BearingHourlyRollup,
    IngestionLock,
    Machine,
)
from monitoring.mongo import collection
from monitoring.services import latest_state_rebuild, rollups_rebuild
from tests.factories import ReadingFactory
from tests.ingestion.support import (
    DAY,
    assert_rollups_equal,
    rollup_snapshot,
    simulator_start,
    vendor_client,
)

pytestmark = pytest.mark.django_db


def _state(model) -> list[dict]:
    return list(collection(model).find({}, {"updated_at": 0}).sort("_id"))


def test_rebuild_after_ingestion_changes_nothing():
    server = simulator_start(interval_minutes=360)
    try:
        with vendor_client(server) as client:
            ingestion_run(date_from=DAY - dt.timedelta(days=1), date_to=DAY, client=client)
    finally:
        server.stop()
    rollups = {m: rollup_snapshot(m) for m in (BearingHourlyRollup, AreaHourlyRollup)}
    latest = {m: _state(m) for m in (Bearing, Machine)}
    assert rollups[BearingHourlyRollup]

    out = io.StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "rebuilt" in out.getvalue()
    for model, docs in rollups.items():
        assert_rollups_equal(docs, rollup_snapshot(model))
    for model, docs in latest.items():
        assert _state(model) == docs

    # --since rebuilds only recent buckets and leaves older ones as they were.
    collection(BearingHourlyRollup).update_many({}, {"$set": {"count": 999}})
    call_command("rebuild_rollups", "--since", DAY.isoformat(), stdout=io.StringIO())
    day_start = dt.datetime.combine(DAY, dt.time(0))
    for doc in collection(BearingHourlyRollup).find():
        assert (doc["count"] == 999) == (doc["hour"] < day_start)


def test_since_must_be_a_date():
    with pytest.raises(CommandError, match="expected YYYY-MM-DD"):
        call_command("rebuild_rollups", "--since", "last week")


def test_refused_with_tempfail_while_an_ingestion_run_holds_the_lock():
    reading = ReadingFactory()
    rollups_rebuild()
    latest_state_rebuild()
    # Marks a rebuild would overwrite: a tampered bucket and a bearing without latest state.
    collection(BearingHourlyRollup).update_many({}, {"$set": {"count": 999}})
    collection(AreaHourlyRollup).update_many({}, {"$set": {"count": 999}})
    collection(Bearing).update_many({}, {"$set": {"last_reading_id": None}})
    lock_acquire(holder=holder_describe(run_id="nightly"), ttl=dt.timedelta(minutes=5))

    with pytest.raises(CommandError, match="another ingestion run holds the lock") as info:
        call_command("rebuild_rollups", stdout=io.StringIO())
    assert info.value.returncode == 75
    assert "nightly" in str(info.value)
    # Nothing deleted or rewritten.
    for model in (BearingHourlyRollup, AreaHourlyRollup):
        assert [d["count"] for d in collection(model).find()] == [999]
    assert collection(Bearing).find_one()["last_reading_id"] is None
    assert IngestionLock.objects.get().holder.endswith("run=nightly")

    # Once the run released it, the rebuild runs, holding the lock meanwhile, then frees it.
    IngestionLock.objects.all().delete()
    held = []
    real = rollups_rebuild

    def watched(**kwargs):
        held.append(IngestionLock.objects.get().holder)
        return real(**kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rebuild_rollups, "rollups_rebuild", watched)
        call_command("rebuild_rollups", stdout=io.StringIO())
    assert held and "rebuild_rollups" in held[0]
    assert not IngestionLock.objects.exists()
    assert [d["count"] for d in collection(BearingHourlyRollup).find()] == [1]
    assert collection(Bearing).find_one()["last_reading_id"] == reading.pk
