"""One ingestion run against the simulator served for real on a loopback port."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection

from ingestion import pipeline
from ingestion.lock import LockHeldError, holder_describe, lock_acquire
from ingestion.pipeline import reading_object_id
from ingestion.run import IngestionFailedError, ingestion_run
from monitoring.models import (
    AreaHourlyRollup,
    Bearing,
    BearingHourlyRollup,
    DataVersion,
    IngestionLock,
    IngestionRun,
    Machine,
    Reading,
    Waveform,
)
from monitoring.mongo import collection
from monitoring.services import latest_state_rebuild, rollups_rebuild
from tests.ingestion.support import (
    CUSTOMER,
    DAY,
    assert_rollups_equal,
    counts,
    expected_ids,
    rollup_snapshot,
    simulator_start,
    vendor_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulator():
    """The default small simulator, stopped after the test."""
    server = simulator_start()
    yield server
    server.stop()


def _ingest(server, **kwargs):
    with vendor_client(server, **kwargs.pop("client_options", {})) as client:
        return ingestion_run(
            date_from=kwargs.pop("date_from", DAY),
            date_to=kwargs.pop("date_to", DAY),
            customer=kwargs.pop("customer", CUSTOMER),
            client=client,
            **kwargs,
        )


def _assert_rollups_match_rebuild() -> None:
    ingested = {m: rollup_snapshot(m) for m in (BearingHourlyRollup, AreaHourlyRollup)}
    latest = list(collection(Bearing).find({}, {"updated_at": 0}).sort("_id"))
    machines = list(collection(Machine).find({}, {"updated_at": 0}).sort("_id"))
    rollups_rebuild()
    latest_state_rebuild()
    for model, docs in ingested.items():
        assert_rollups_equal(docs, rollup_snapshot(model))
    assert list(collection(Bearing).find({}, {"updated_at": 0}).sort("_id")) == latest
    assert list(collection(Machine).find({}, {"updated_at": 0}).sort("_id")) == machines


def test_end_to_end_stores_everything_and_records_the_run(simulator):
    progress = []
    run = _ingest(simulator, progress=progress.append, batch_size=50)

    ids = expected_ids(simulator, days=[DAY], customer=CUSTOMER)
    assert len(ids) == 8 * 0 + 32 * 6  # 32 bearings, every 4 hours
    c = counts()
    assert (c["Machine"], c["Bearing"], c["Reading"], c["Waveform"]) == (8, 32, 192, 192)
    assert set(Reading.objects.values_list("external_id", flat=True)) == ids

    # A reading: ids derived from the vendor id, denormalized fields, indicators, waveform.
    reading = Reading.objects.select_related("machine", "bearing").first()
    assert reading.pk == reading_object_id(
        measurement_id=reading.external_id, timestamp=reading.timestamp
    )
    assert reading.customer == CUSTOMER == reading.machine.customer == reading.bearing.customer
    assert reading.area == reading.machine.area
    assert reading.velocity.rms > 0 and reading.acceleration.kurtosis > 1
    assert reading.status in ("Normal", "Satisfactory", "Alert", "Unacceptable")
    waveform = Waveform.objects.get(reading=reading)
    samples = Waveform.samples_g({"data": waveform.data, "encoding": waveform.encoding,
                                  "scale": waveform.scale})  # fmt: skip
    assert samples.size == waveform.n_samples == 1024 and waveform.sample_rate_hz == 5120.0

    # Vendor-owned catalogue fields.
    machine = Machine.objects.get(external_id="MCH-SWA-001")
    vendor = simulator.dataset.fleet.machine("MCH-SWA-001")
    assert (machine.machine_name, machine.area, machine.iso_group, machine.foundation) == (
        vendor.name, vendor.area, vendor.iso_group, vendor.foundation,
    )  # fmt: skip
    assert machine.bearing_count == len(vendor.bearings) == machine.bearings.count()
    bearing = machine.bearings.order_by("external_id").first()
    assert bearing.rolling_elements and bearing.has_geometry

    # Latest state: the newest reading of each bearing; machine status = worst bearing.
    for b in Bearing.objects.all():
        newest = Reading.objects.filter(bearing=b).order_by("-timestamp").first()
        assert (b.last_reading_id, b.status) == (newest.pk, newest.status)
    assert machine.status is not None and machine.last_reading_at is not None

    # Rollups: one count per reading, equal to a rebuild.
    total = sum(d["count"] for d in collection(BearingHourlyRollup).find({}, {"count": 1}))
    assert total == 192
    _assert_rollups_match_rebuild()

    # The run record and progress.
    stored = IngestionRun.objects.get()
    assert stored.pk == run.pk and stored.outcome == IngestionRun.Outcome.SUCCEEDED
    assert (stored.date_from, stored.date_to, stored.customer) == (DAY, DAY, CUSTOMER)
    assert (stored.fetched, stored.stored, stored.duplicates, stored.skipped) == (192, 192, 0, 0)
    assert stored.machines_seen == 8 and stored.retries == 0
    assert stored.finished_at >= stored.started_at and stored.heartbeat_at is not None
    assert progress[-1].finished and progress[-1].machine_days_done == 8
    assert not IngestionLock.objects.exists(), "the lock is released"


def test_rerun_of_the_same_date_changes_no_counts(simulator):
    _ingest(simulator)
    before = counts()
    rollups = rollup_snapshot(BearingHourlyRollup)
    run = _ingest(simulator)
    assert counts() == before
    assert rollup_snapshot(BearingHourlyRollup) == rollups
    assert (run.stored, run.duplicates, run.outcome) == (0, 192, "succeeded")


def test_staff_fields_are_kept_and_vendor_fields_updated(simulator):
    _ingest(simulator)
    machine = Machine.objects.get(external_id="MCH-SWA-001")
    vendor_name = machine.machine_name
    Machine.objects.filter(pk=machine.pk).update(notes="seal replaced", machine_name="old name")
    Bearing.objects.filter(machine=machine).update(customer="stale")
    _ingest(simulator)
    machine.refresh_from_db()
    assert machine.notes == "seal replaced"
    assert machine.machine_name == vendor_name
    assert set(Bearing.objects.filter(machine=machine).values_list("customer", flat=True)) == {
        CUSTOMER
    }


def test_backfill_of_several_days_then_rebuild_is_identical():
    server = simulator_start(interval_minutes=480)
    try:
        days = [DAY - dt.timedelta(days=1), DAY]
        run = _ingest(server, date_from=days[0], date_to=days[1], customer=None, batch_size=200)
    finally:
        server.stop()
    assert run.stored == 102 * 3 * 2 == Reading.objects.count()
    _assert_rollups_match_rebuild()


@pytest.mark.parametrize(
    ("fault", "client_options"),
    [
        ({"fail_first_kind": "error", "fail_first_status": 503}, {}),
        ({"fail_first_kind": "error", "fail_first_status": 500}, {}),
        ({"fail_first_kind": "rate_limit", "retry_after_seconds": 1}, {}),
        ({"fail_first_kind": "slow", "slow_seconds": 2.0}, {"timeout": 0.3}),
    ],
    ids=["503", "500", "429", "timeout"],
)
def test_transient_faults_are_retried_and_the_run_completes(fault, client_options):
    server = simulator_start(fail_first_n=1, **fault)
    try:
        run = _ingest(server, client_options=client_options)
        faults = server.stats.snapshot()
    finally:
        server.stop()
    assert run.outcome == IngestionRun.Outcome.SUCCEEDED
    assert Reading.objects.count() == run.stored == 192
    # Every distinct request failed once: the machine list and one page per machine.
    assert run.retries == 1 + 8
    assert IngestionRun.objects.get().retries == 9
    assert faults


def test_vendor_unreachable_after_retries_fails_the_run():
    server = simulator_start(fail_first_n=50, fail_first_kind="error")
    try:
        with pytest.raises(IngestionFailedError, match="failed after 4 attempt"):
            _ingest(server)
    finally:
        server.stop()
    run = IngestionRun.objects.get()
    assert run.outcome == IngestionRun.Outcome.FAILED and "503" in run.error
    assert run.finished_at is not None
    assert not IngestionLock.objects.exists()


def test_a_machine_day_that_cannot_be_fetched_fails_the_run_but_keeps_the_rest(monkeypatch):
    server = simulator_start()
    real = server._app.dataset.schedule

    def broken(machine, day, now=None):
        if machine.external_id == "MCH-SWA-002":
            raise RuntimeError("boom")  # the simulator answers 500 for this machine
        return real(machine, day, now)

    monkeypatch.setattr(server._app.dataset, "schedule", broken)
    try:
        with pytest.raises(IngestionFailedError, match="MCH-SWA-002"):
            _ingest(server)
    finally:
        server.stop()
    # The other 7 machines' readings are stored; a later run fills the gap idempotently.
    assert Reading.objects.count() == 192 - 4 * 6
    assert IngestionRun.objects.get().outcome == "failed"


def test_malformed_records_are_skipped_counted_and_logged(caplog):
    server = simulator_start(malformed_rate=0.2)
    try:
        with caplog.at_level("WARNING", logger="ingestion"):
            run = _ingest(server)
        kinds = {}
        for machine in server.dataset.machines(CUSTOMER):
            for item in server.dataset.schedule(machine, DAY):
                kind = server.dataset.malformed_kind(item)
                if kind:
                    kinds[item.measurement_id] = kind
        intact = expected_ids(server, days=[DAY], customer=CUSTOMER)
    finally:
        server.stop()
    assert set(kinds.values()) == {"missing_field", "nan_samples", "empty_waveform",
                                   "unknown_bearing"}  # fmt: skip
    assert set(Reading.objects.values_list("external_id", flat=True)) == intact
    assert run.outcome == IngestionRun.Outcome.COMPLETED_WITH_ERRORS
    assert run.skipped == len(kinds) and run.fetched == 192
    assert run.stored == len(intact) == 192 - len(kinds)
    reasons = IngestionRun.objects.get().skip_reasons
    assert sum(reasons.values()) == len(kinds)
    assert {"nan_samples", "empty_waveform", "unknown_bearing", "missing_field"} <= set(reasons)
    examples = IngestionRun.objects.get().skipped_examples
    assert examples and all(e["reason"] in reasons for e in examples)
    logged = " ".join(r.getMessage() for r in caplog.records)
    for measurement_id, kind in kinds.items():
        if kind != "missing_field":  # a missing id cannot be logged; its reason is
            assert measurement_id in logged


def test_crash_after_some_batches_then_rerun_gives_exactly_the_vendor_data(simulator):
    def crash(batch: int) -> None:
        if batch == 2:
            raise SystemExit("simulated crash")

    with pytest.raises(SystemExit):
        _ingest(simulator, batch_size=40, after_batch=crash)
    partial = Reading.objects.count()
    assert 80 <= partial < 192
    assert Waveform.objects.count() == partial
    assert sum(d["count"] for d in collection(BearingHourlyRollup).find()) == partial

    run = _ingest(simulator, batch_size=40)
    assert set(Reading.objects.values_list("external_id", flat=True)) == expected_ids(
        simulator, days=[DAY], customer=CUSTOMER
    )
    assert Waveform.objects.count() == 192
    assert (run.stored, run.duplicates) == (192 - partial, partial)
    _assert_rollups_match_rebuild()


def _data_version() -> int:
    doc = collection(DataVersion).find_one({"_id": DataVersion.DASHBOARD}) or {}
    return doc.get("version", 0)


def test_the_data_version_is_bumped_once_per_batch(simulator):
    before = _data_version()
    run = _ingest(simulator, batch_size=40)
    batches = -(-192 // 40)
    assert run.stored == 192
    # One bump for the catalogue (new machines and bearings), then one per committed batch.
    assert _data_version() - before == 1 + batches
    # A re-run that stores nothing changes nothing the dashboards show: no bump at all.
    before = _data_version()
    _ingest(simulator, batch_size=40)
    assert _data_version() == before


def test_with_debug_on_the_batches_are_not_logged_with_their_documents(simulator, settings):
    """DEBUG logs each query's text: a batch insert's would hold every waveform (MBs)."""
    settings.DEBUG = True
    connection.queries_log.clear()
    _ingest(simulator, batch_size=100)
    assert collection(Waveform).count_documents({}) == 192
    logged = [q["sql"] for q in connection.queries]
    assert logged, "DEBUG query logging is on (the check below can fail)"
    assert max(map(len, logged)) < 200_000, "a logged query carries a batch's documents"
    assert not [sql for sql in logged if "waveforms.insert_many" in sql]


def test_dry_run_writes_nothing(simulator):
    run = _ingest(simulator, dry_run=True)
    assert counts() == dict.fromkeys(counts(), 0)
    assert not IngestionRun.objects.exists() and not IngestionLock.objects.exists()
    assert run.dry_run and run.fetched == 192 and run.stored == 192


def test_a_second_run_is_refused_while_one_holds_the_lock(simulator):
    lock_acquire(holder=holder_describe(run_id="other"), ttl=dt.timedelta(minutes=5))
    with pytest.raises(LockHeldError, match="other"):
        _ingest(simulator)
    assert not IngestionRun.objects.exists()
    assert Reading.objects.count() == 0


def test_two_concurrent_runs_never_overlap():
    server = simulator_start(latency_seconds=0.2)
    outcome = {}

    def first() -> None:
        try:
            outcome["run"] = _ingest(server)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not IngestionLock.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        with pytest.raises(LockHeldError):
            _ingest(server)
    finally:
        thread.join()
        server.stop()
    assert outcome["run"].outcome == "succeeded"
    assert IngestionRun.objects.count() == 1


def test_an_expired_lock_of_a_dead_run_is_taken_over(simulator):
    dead = IngestionRun.objects.create(
        date_from=DAY, date_to=DAY, started_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    lock_acquire(holder=holder_describe(run_id=dead.pk), ttl=dt.timedelta(seconds=-1))
    run = _ingest(simulator)
    assert run.outcome == "succeeded"
    dead.refresh_from_db()
    assert dead.outcome == "failed" and "abandoned" in dead.error
    assert not IngestionLock.objects.exists()


def test_a_run_that_loses_its_lock_stops_writing(simulator, monkeypatch):
    def steal(batch: int) -> None:
        IngestionLock.objects.update(holder="thief")
        time.sleep(0.6)  # the heartbeat (every 0.5 s with a 2 s lease) notices

    with pytest.raises(IngestionFailedError, match="taken over"):
        _ingest(simulator, batch_size=40, after_batch=steal, lock_ttl=dt.timedelta(seconds=2))
    assert Reading.objects.count() < 192


def test_invalid_ranges_are_rejected(simulator):
    today = dt.datetime.now(dt.UTC).date()
    with pytest.raises(ValueError, match="after"):
        _ingest(simulator, date_from=DAY, date_to=DAY - dt.timedelta(days=1))
    with pytest.raises(ValueError, match="future"):
        _ingest(simulator, date_from=today, date_to=today + dt.timedelta(days=1))
    assert not IngestionRun.objects.exists()


def test_colliding_batch_is_redone_with_upserts(simulator, monkeypatch):
    # Pretend the pre-check saw nothing, so every insert of the re-run collides.
    _ingest(simulator)
    before = rollup_snapshot(BearingHourlyRollup)
    monkeypatch.setattr(pipeline, "stored_ids", lambda **kwargs: set())
    run = _ingest(simulator)
    assert run.stored == 0 and Reading.objects.count() == 192
    assert rollup_snapshot(BearingHourlyRollup) == before
