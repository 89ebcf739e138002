"""One ingestion run: vendor catalogue and measurements in, readings, spectra, rollups out.

    vendor API --client--> pages of measurements --signal--> reading + spectrum documents
               --batches of ~500, one transaction each--> readings, spectra, rollups, latest state

Idempotency: a reading's ``_id`` is derived from the vendor's measurement id, and the readings
of a machine-day already stored are looked up once (one indexed range query) before computing,
so a re-run neither computes nor writes them again. The unique index on ``external_id`` stays
the safety net: should an insert still collide, that batch is redone with upserts and only the
readings really inserted reach the rollups.

Crash safety: the readings, spectra, rollup increments and latest-state moves of one batch
commit in one transaction, so a run killed at any point leaves whole batches only, and a re-run
finishes the rest with rollups still equal to a rebuild from readings.

Throughput: the client downloads concurrently in its own threads, the main thread decodes and
computes, and a single writer thread commits the previous batch meanwhile, so the database
(a separate process) and this process work in parallel.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from bson import ObjectId
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ingestion import logcontext, signal
from ingestion.client import (
    FetchFailure,
    Measurement,
    MeasurementPage,
    RejectedRecord,
    VendorClient,
)
from ingestion.client import Machine as VendorMachine
from ingestion.lock import (
    Heartbeat,
    Lease,
    LockHeldError,
    LockLostError,
    holder_describe,
    host_describe,
    lock_acquire,
    lock_release,
)
from ingestion.progress import ProgressState
from monitoring.models import (
    Bearing,
    Foundation,
    IngestionRun,
    Machine,
    MachineGroup,
    Reading,
    Spectrum,
)
from monitoring.services import (
    RollupDelta,
    collection,
    latest_state_update,
    machines_refresh,
    rollup_delta,
    rollups_apply,
)

logger = logging.getLogger("ingestion.services")

__all__ = [
    "IngestionError",
    "IngestionFailedError",
    "LockHeldError",
    "database_is_empty",
    "ingestion_run",
    "reading_object_id",
    "vendor_client_from_settings",
]

DEFAULT_BATCH_SIZE = 1000
#: How many skipped ids the run record keeps as examples (the log has them all).
SKIPPED_EXAMPLES = 20
#: Longest range one run may cover; longer backfills are several runs.
MAX_RANGE_DAYS = 366

Progress = Callable[[ProgressState], None]


class IngestionError(Exception):
    """The run could not start or could not complete."""


class IngestionFailedError(IngestionError):
    """The run started but could not complete; ``run`` is its (failed) record."""

    def __init__(self, message: str, *, run: IngestionRun) -> None:
        """Keep the run record for the caller's summary."""
        super().__init__(message)
        self.run = run


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def reading_object_id(*, measurement_id: str, timestamp: dt.datetime) -> ObjectId:
    """A reading's ``_id`` derived from the vendor's measurement id (stable across runs).

    The first 4 bytes are the measurement time, as in a generated ObjectId, so ids sort by time
    and ``generation_time`` stays meaningful; the other 8 are a hash of the vendor id.
    """
    seconds = int(timestamp.timestamp()) & 0xFFFFFFFF
    digest = hashlib.blake2b(measurement_id.encode(), digest_size=8).digest()
    return ObjectId(seconds.to_bytes(4, "big") + digest)


def vendor_client_from_settings() -> VendorClient:
    """The vendor client configured by the INGEST_* settings."""
    return VendorClient(
        settings.INGEST_API_URL,
        settings.INGEST_API_KEY,
        timeout=settings.INGEST_TIMEOUT_S,
        max_attempts=settings.INGEST_MAX_ATTEMPTS,
        max_concurrency=settings.INGEST_CONCURRENCY,
        page_size=settings.INGEST_PAGE_SIZE,
    )


def _model_defaults(model) -> dict:
    """A complete new document for a model: every concrete field at its default."""
    now = _utcnow()
    doc = {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        doc[f.column] = (
            now
            if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
            else f.get_default()
        )
    return doc


def _classify_rejection(reason: str) -> str:
    """A short reason code for a record the client rejected (its text goes to the log)."""
    if reason.startswith("missing field"):
        return "missing_field"
    if "timestamp" in reason:
        return "invalid_timestamp"
    return "invalid_record"


# --------------------------------------------------------------------------------------------
# Catalogue: machines and bearings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BearingTarget:
    """What computing and storing a bearing's reading needs (ids are None in a dry run)."""

    bearing_id: ObjectId | None
    machine_id: ObjectId | None
    machine_external_id: str
    customer: str
    area: str
    iso_group: int
    foundation: str
    running_speed_hz: float | None


@dataclass
class CatalogueResult:
    """Outcome of the machine/bearing upsert."""

    machines_created: int = 0
    machines_updated: int = 0
    bearings_created: int = 0
    bearings_updated: int = 0
    machine_ids: dict[str, ObjectId | None] = field(default_factory=dict)
    bearings: dict[str, BearingTarget] = field(default_factory=dict)


def _machine_fields(vendor: VendorMachine) -> dict:
    """Vendor-owned machine fields; staff-owned ones (notes) are never in here."""
    group = vendor.iso_group if vendor.iso_group in MachineGroup.values else None
    foundation = vendor.foundation.strip().lower() if vendor.foundation else ""
    if group is None or foundation not in Foundation.values:
        logger.warning(
            "machine %s: unknown ISO group/foundation %r/%r; using group 2, rigid",
            vendor.external_id, vendor.iso_group, vendor.foundation,
        )  # fmt: skip
        group = group or MachineGroup.MEDIUM.value
        foundation = foundation if foundation in Foundation.values else Foundation.RIGID.value
    return {
        "machine_name": vendor.name,
        "customer": vendor.customer,
        "area": vendor.area,
        "subarea": vendor.subarea,
        "machine_type": vendor.machine_type,
        "running_speed_rpm": vendor.running_speed_rpm,
        "iso_group": group,
        "foundation": foundation,
    }


def _bearing_fields(vendor_bearing, machine: VendorMachine, machine_id) -> dict:
    """Vendor-owned bearing fields, with the customer kept in sync with its machine."""
    b = vendor_bearing
    return {
        "machine_id": machine_id,
        "bearing_location": f"{b.location} {b.position}".strip(),
        "bearing_type": b.bearing_type,
        "position": b.position,
        "rolling_elements": b.rolling_elements,
        "ball_diameter_mm": b.ball_diameter_mm,
        "pitch_diameter_mm": b.pitch_diameter_mm,
        "contact_angle_deg": b.contact_angle_deg,
        "customer": machine.customer,
    }


def _upsert_ops(model, wanted: dict[str, dict], existing: dict[str, dict]) -> tuple[list, int, int]:
    """Insert new documents, $set changed vendor fields only; returns (ops, created, updated)."""
    ops: list = []
    created = updated = 0
    now = _utcnow()
    for external_id, fields in wanted.items():
        current = existing.get(external_id)
        if current is None:
            doc = {**_model_defaults(model), **fields, "external_id": external_id}
            ops.append(InsertOne(doc))
            created += 1
            continue
        changed = {k: v for k, v in fields.items() if current.get(k) != v}
        if changed:
            changed["updated_at"] = now
            ops.append(UpdateOne({"_id": current["_id"]}, {"$set": changed}))
            updated += 1
    return ops, created, updated


def catalogue_upsert(*, machines: list[VendorMachine], dry_run: bool = False) -> CatalogueResult:
    """Create new machines/bearings and update vendor-owned fields of known ones by external id."""
    result = CatalogueResult()
    machine_coll, bearing_coll = collection(Machine), collection(Bearing)
    machine_ext = [m.external_id for m in machines]
    existing_machines = {
        d["external_id"]: d for d in machine_coll.find({"external_id": {"$in": machine_ext}})
    }
    wanted = {m.external_id: _machine_fields(m) for m in machines}
    ops, result.machines_created, result.machines_updated = _upsert_ops(
        Machine, wanted, existing_machines
    )
    if ops and not dry_run:
        machine_coll.bulk_write(ops, ordered=False)
        existing_machines = {
            d["external_id"]: d for d in machine_coll.find({"external_id": {"$in": machine_ext}})
        }
    result.machine_ids = {
        ext: existing_machines[ext]["_id"] if ext in existing_machines else None
        for ext in machine_ext
    }

    bearing_ext = [b.external_id for m in machines for b in m.bearings]
    existing_bearings = {
        d["external_id"]: d for d in bearing_coll.find({"external_id": {"$in": bearing_ext}})
    }
    wanted_bearings = {
        b.external_id: _bearing_fields(b, m, result.machine_ids[m.external_id])
        for m in machines
        for b in m.bearings
    }
    ops, result.bearings_created, result.bearings_updated = _upsert_ops(
        Bearing, wanted_bearings, existing_bearings
    )
    if ops and not dry_run:
        bearing_coll.bulk_write(ops, ordered=False)
        existing_bearings = {
            d["external_id"]: d for d in bearing_coll.find({"external_id": {"$in": bearing_ext}})
        }
        # Bearing counts (and status, should a bearing have moved between machines).
        machines_refresh([mid for mid in result.machine_ids.values() if mid is not None])

    for m in machines:
        fields = wanted[m.external_id]
        for b in m.bearings:
            stored = existing_bearings.get(b.external_id)
            result.bearings[b.external_id] = BearingTarget(
                bearing_id=stored["_id"] if stored else None,
                machine_id=result.machine_ids[m.external_id],
                machine_external_id=m.external_id,
                customer=m.customer,
                area=m.area,
                iso_group=fields["iso_group"],
                foundation=fields["foundation"],
                running_speed_hz=(m.running_speed_rpm / 60.0) if m.running_speed_rpm else None,
            )
    logger.info(
        "catalogue: %d machines (%d new, %d updated), %d bearings (%d new, %d updated)%s",
        len(machines), result.machines_created, result.machines_updated, len(bearing_ext),
        result.bearings_created, result.bearings_updated, " [dry run]" if dry_run else "",
    )  # fmt: skip
    return result


# --------------------------------------------------------------------------------------------
# One measurement
# --------------------------------------------------------------------------------------------


class _Skip(Exception):
    """A record that cannot be processed; ``reason`` is its short code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def measurement_documents(
    *, measurement: Measurement, target: BearingTarget, ingested_at: dt.datetime
) -> tuple[dict, dict]:
    """The reading and spectrum documents of one measurement, or _Skip with a reason."""
    wf = measurement.waveform
    try:
        samples = signal.decode_waveform(
            wf.data_b64, encoding=wf.encoding, scale=wf.scale, n_samples=wf.n_samples
        )
    except ValueError as exc:
        raise _Skip("invalid_waveform", str(exc)) from None
    if samples.size == 0:
        raise _Skip("empty_waveform", "waveform has no samples")
    if not math.isfinite(float(samples.sum())):
        raise _Skip("nan_samples", "waveform contains NaN or infinite samples")
    try:
        result = signal.compute_measurement(
            samples,
            wf.sample_rate_hz,
            group=target.iso_group,
            foundation=target.foundation,
            running_speed_hz=target.running_speed_hz,
            peak_count=0,  # peaks are computed on demand by the /fft endpoint, not stored
            f_lo=signal.VELOCITY_BAND_HZ[0],
            f_hi=signal.VELOCITY_BAND_HZ[1],
        )
    except ValueError as exc:
        raise _Skip("invalid_waveform", str(exc)) from None
    reading_id = reading_object_id(
        measurement_id=measurement.measurement_id, timestamp=measurement.timestamp
    )
    temperature = measurement.temperature_c
    if temperature is not None and not math.isfinite(temperature):
        temperature = None
    reading = {
        "_id": reading_id,
        "external_id": measurement.measurement_id,
        "machine_id": target.machine_id,
        "bearing_id": target.bearing_id,
        "customer": target.customer,
        "area": target.area,
        "timestamp": measurement.timestamp,
        "status": result["status"],
        "acceleration": result["acceleration"],
        "velocity": result["velocity"],
        "temperature": temperature,
        "ingested_at": ingested_at,
    }
    spec = result["spectrum"]
    spectrum = {
        # One spectrum per reading: sharing the reading's id keeps re-runs idempotent.
        "_id": reading_id,
        "reading_id": reading_id,
        "sample_rate_hz": float(wf.sample_rate_hz),
        "n_samples": int(samples.size),
        "resolution_hz": float(spec["resolution_hz"]),
        "n_lines": int(spec["n_lines"]),
        "window": "hann",
        "amplitude_unit": "g",
        "amplitudes": signal.encode_float32(np.asarray(spec["amplitudes"])),
    }
    return reading, spectrum


# --------------------------------------------------------------------------------------------
# Storing batches
# --------------------------------------------------------------------------------------------


def _latest_by_bearing(readings: Iterable[dict]) -> dict:
    latest: dict = {}
    for r in readings:
        current = latest.get(r["bearing_id"])
        if current is None or r["timestamp"] > current["timestamp"]:
            latest[r["bearing_id"]] = r
    return latest


def batch_store(
    *,
    readings: list[dict],
    spectra: list[dict],
    run_id=None,
    run_fields=None,
    delta: RollupDelta | None = None,
) -> int:
    """Store one batch in one transaction; return how many readings were new.

    The fast path inserts (the caller already left out stored readings); if an insert still
    collides on ``external_id`` the transaction is aborted and redone with upserts, so only
    readings really inserted feed the rollups and latest state. ``delta`` is
    ``rollup_delta(readings)``, computed by the caller off the writer thread.
    """
    reading_coll, spectrum_coll = collection(Reading), collection(Spectrum)
    run_coll = collection(IngestionRun)
    client = reading_coll.database.client
    inserted: list[dict] = []

    def record_run(session, stored: int) -> None:
        if run_id is not None:
            fields = dict(run_fields or {})
            fields["heartbeat_at"] = _utcnow()
            run_coll.update_one(
                {"_id": run_id}, {"$set": fields, "$inc": {"stored": stored}}, session=session
            )

    def fast(session) -> None:
        inserted.clear()
        reading_coll.insert_many(readings, ordered=True, session=session)
        spectrum_coll.insert_many(spectra, ordered=True, session=session)
        rollups_apply(readings, session=session, delta=delta)
        latest_state_update(_latest_by_bearing(readings), session=session)
        record_run(session, len(readings))
        inserted.extend(readings)

    def careful(session) -> None:
        inserted.clear()
        result = reading_coll.bulk_write(
            [
                UpdateOne({"external_id": r["external_id"]}, {"$setOnInsert": r}, upsert=True)
                for r in readings
            ],
            ordered=False,
            session=session,
        )
        new = [readings[i] for i in sorted(result.upserted_ids)]
        new_ids = {r["_id"] for r in new}
        spectra_new = [s for s in spectra if s["reading_id"] in new_ids]
        if spectra_new:
            spectrum_coll.bulk_write(
                [
                    UpdateOne({"reading_id": s["reading_id"]}, {"$setOnInsert": s}, upsert=True)
                    for s in spectra_new
                ],
                ordered=False,
                session=session,
            )
        rollups_apply(new, session=session)
        latest_state_update(_latest_by_bearing(new), session=session)
        record_run(session, len(new))
        inserted.extend(new)

    with client.start_session() as session:
        try:
            session.with_transaction(fast)
        except (DuplicateKeyError, BulkWriteError) as exc:
            logger.info("batch collided with stored readings (%s); redoing it with upserts", exc)
            session.with_transaction(careful)
    return len(inserted)


class _Writer:
    """Commits batches on one background thread, one batch in flight at a time.

    The thread uses this thread's Django connection (Django's documented thread sharing), so
    ``monitoring.services`` and the session come from the same pymongo client. ``submit`` and
    ``wait`` return (new, submitted) readings of the write that completed.
    """

    def __init__(self, *, pipelined: bool) -> None:
        self._conn = connections[DEFAULT_DB_ALIAS]
        self._conn.ensure_connection()
        self._pending: Future | None = None
        self._executor = None
        if pipelined:
            self._conn.inc_thread_sharing()
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="ingestion-writer", initializer=self._share
            )

    def _share(self) -> None:
        connections[DEFAULT_DB_ALIAS] = self._conn

    def submit(self, fn: Callable[[], tuple[int, int]]) -> tuple[int, int]:
        """Queue a write; returns the result of the previous one ((0, 0) if none)."""
        done = self.wait()
        if self._executor is None:
            return fn()
        self._pending = self._executor.submit(fn)
        return done

    def wait(self) -> tuple[int, int]:
        """Wait for the write in flight; re-raise its error."""
        if self._pending is None:
            return (0, 0)
        pending, self._pending = self._pending, None
        return pending.result()

    def close(self) -> None:
        """Stop the thread (after the write in flight, whose error the caller saw or ignores)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
            self._conn.dec_thread_sharing()


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class _Counters:
    """What the run has seen so far."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    skip_reasons: Counter = field(default_factory=Counter)
    skipped_examples: list = field(default_factory=list)
    machine_days_done: int = 0
    failures: list = field(default_factory=list)

    def skip(self, reason: str, record_id: str | None, detail: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] += 1
        if len(self.skipped_examples) < SKIPPED_EXAMPLES:
            self.skipped_examples.append({"id": record_id, "reason": reason})
        logger.warning("skipped measurement %s: %s (%s)", record_id or "<no id>", reason, detail)

    def written(self, new: int, submitted: int) -> None:
        """Account for a committed batch: readings new, and ones found already stored."""
        self.stored += new
        self.duplicates += submitted - new

    def run_fields(self) -> dict:
        """Counters as IngestionRun fields (``stored`` is incremented by the batches)."""
        return {
            "fetched": self.fetched,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons),
            "skipped_examples": list(self.skipped_examples),
        }


def database_is_empty() -> bool:
    """Whether no machine and no reading is stored yet (the demo only fills an empty one)."""
    return collection(Machine).find_one({}, {"_id": 1}) is None and (
        collection(Reading).find_one({}, {"_id": 1}) is None
    )


def _dates(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    return [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]


def _validate_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    today = _utcnow().date()
    if date_to > today:
        raise ValueError(f"{date_to} is in the future (today is {today} UTC)")
    days = (date_to - date_from).days + 1
    if days > MAX_RANGE_DAYS:
        raise ValueError(f"a run covers at most {MAX_RANGE_DAYS} days, not {days}")


def _stored_ids(*, machine_id, day: dt.date) -> set[str]:
    """External ids of a machine-day's readings already stored (one indexed range query)."""
    if machine_id is None:
        return set()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
    cursor = collection(Reading).find(
        {"machine_id": machine_id, "timestamp": {"$gte": start, "$lt": start + dt.timedelta(1)}},
        {"external_id": 1, "_id": 0},
    )
    return {doc["external_id"] for doc in cursor}


def ingestion_run(
    *,
    date_from: dt.date,
    date_to: dt.date,
    customer: str | None = None,
    dry_run: bool = False,
    client: VendorClient | None = None,
    progress: Progress | None = None,
    batch_size: int | None = None,
    lock_ttl: dt.timedelta | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> IngestionRun:
    """Ingest the vendor's measurements of ``date_from``..``date_to`` (UTC days, inclusive).

    Returns the run record (unsaved in a dry run, which writes nothing at all). Raises
    ValueError for a bad range, LockHeldError when another run holds the lock, and
    IngestionFailedError (run recorded as failed) when the run could not complete.
    ``after_batch(n)`` is called after the n-th committed batch (tests inject crashes there).
    """
    _validate_range(date_from, date_to)
    batch_size = batch_size or getattr(settings, "INGEST_BATCH_SIZE", DEFAULT_BATCH_SIZE)
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    lock_ttl = lock_ttl or dt.timedelta(seconds=settings.INGEST_LOCK_TTL_S)
    own_client = client is None
    client = client or vendor_client_from_settings()
    started = time.monotonic()
    run = IngestionRun(
        id=ObjectId(),
        date_from=date_from,
        date_to=date_to,
        customer=customer or "",
        dry_run=dry_run,
        started_at=_utcnow(),
        heartbeat_at=_utcnow(),
        host=host_describe(),
    )
    log_token = logcontext.run_started(run.pk)  # every log line of the run carries its id
    lease: Lease | None = None
    try:
        if not dry_run:
            lease = lock_acquire(holder=holder_describe(run_id=run.pk), ttl=lock_ttl)
            if lease.previous_holder:
                _abandoned_run_close(lease.previous_holder)
            run.save(force_insert=True)
        logger.info(
            "ingestion run %s: %s..%s%s%s", run.pk, date_from, date_to,
            f", customer {customer}" if customer else "", " [dry run]" if dry_run else "",
        )  # fmt: skip
        counters = _Counters()
        try:
            if lease is not None:
                runs = collection(IngestionRun)
                run_pk = run.pk

                def beat() -> None:
                    runs.update_one({"_id": run_pk}, {"$set": {"heartbeat_at": _utcnow()}})

                heartbeat = Heartbeat(
                    lease=lease, interval=max(0.5, lock_ttl.total_seconds() / 4), beat=beat
                )
            else:
                heartbeat = None
            with heartbeat or contextlib.nullcontext():
                _run_body(
                    run=run, client=client, counters=counters, customer=customer,
                    dry_run=dry_run, progress=progress, batch_size=batch_size,
                    heartbeat=heartbeat, started=started, after_batch=after_batch,
                )  # fmt: skip
        except BaseException as exc:
            _run_finish(run=run, counters=counters, client=client, error=exc)
            if isinstance(exc, Exception):
                raise IngestionFailedError(f"ingestion run failed: {run.error}", run=run) from exc
            raise
        _run_finish(run=run, counters=counters, client=client, error=None)
        if run.outcome == IngestionRun.Outcome.FAILED:
            raise IngestionFailedError(f"ingestion run failed: {run.error}", run=run)
        return run
    finally:
        if lease is not None:
            lock_release(lease=lease)
        if own_client:
            client.close()
        logcontext.run_ended(log_token)


def _abandoned_run_close(previous_holder: str) -> None:
    """Mark the run whose expired lease we took over as failed (its process died)."""
    _, _, run_ref = previous_holder.rpartition("run=")
    if not ObjectId.is_valid(run_ref):
        return
    collection(IngestionRun).update_one(
        {"_id": ObjectId(run_ref), "outcome": IngestionRun.Outcome.RUNNING},
        {"$set": {
            "outcome": IngestionRun.Outcome.FAILED,
            "finished_at": _utcnow(),
            "error": "abandoned: its lock lease expired (the process stopped without finishing)",
        }},
    )  # fmt: skip


def _run_body(
    *,
    run: IngestionRun,
    client: VendorClient,
    counters: _Counters,
    customer: str | None,
    dry_run: bool,
    progress: Progress | None,
    batch_size: int,
    heartbeat: Heartbeat | None,
    started: float,
    after_batch: Callable[[int], None] | None,
) -> None:
    """Fetch, compute and store; counters say how it went, exceptions mean it stopped."""
    machines = client.list_machines(customer)
    run.machines_seen = len(machines)
    catalogue = catalogue_upsert(machines=machines, dry_run=dry_run)
    dates = _dates(run.date_from, run.date_to)
    total = len(machines) * len(dates)
    ingested_at = _utcnow()
    batches = 0

    def report(finished: bool = False) -> None:
        if progress is not None:
            progress(ProgressState(
                machine_days_done=counters.machine_days_done, machine_days_total=total,
                fetched=counters.fetched, stored=counters.stored,
                duplicates=counters.duplicates, skipped=counters.skipped,
                elapsed_s=time.monotonic() - started, finished=finished,
            ))  # fmt: skip

    writer = _Writer(pipelined=not dry_run)
    readings: list[dict] = []
    spectra: list[dict] = []

    def flush() -> None:
        nonlocal readings, spectra, batches
        if not readings:
            return
        if dry_run:
            counters.stored += len(readings)
        else:
            if heartbeat is not None:
                heartbeat.check()
            batch_r, batch_s = readings, spectra
            fields = counters.run_fields()
            # Computed here, while the writer thread waits on the database for the last batch.
            delta = rollup_delta(batch_r)

            def write() -> tuple[int, int]:
                new = batch_store(
                    readings=batch_r, spectra=batch_s, run_id=run.pk, run_fields=fields,
                    delta=delta,
                )  # fmt: skip
                return new, len(batch_r)

            counters.written(*writer.submit(write))
            batches += 1
            if after_batch is not None and batches > 1:
                after_batch(batches - 1)
        readings, spectra = [], []

    report()
    try:
        for day in dates:
            stored_by_machine: dict[str, set[str]] = {}
            seen: set[str] = set()
            for item in client.iter_measurements(day, [m.external_id for m in machines]):
                if isinstance(item, FetchFailure):
                    counters.failures.append(
                        f"{item.machine_external_id} {item.date}: {item.error}"
                    )
                    counters.machine_days_done += 1
                    continue
                page: MeasurementPage = item
                machine_ext = page.machine_external_id
                if machine_ext not in stored_by_machine:
                    counters.machine_days_done += 1
                    stored_by_machine[machine_ext] = _stored_ids(
                        machine_id=catalogue.machine_ids.get(machine_ext), day=day
                    )
                already = stored_by_machine[machine_ext]
                counters.fetched += len(page.measurements) + len(page.rejected)
                for rejected in page.rejected:
                    _rejected_skip(counters, rejected)
                for measurement in page.measurements:
                    mid = measurement.measurement_id
                    if mid in seen or mid in already:
                        counters.duplicates += 1
                        continue
                    seen.add(mid)
                    target = catalogue.bearings.get(measurement.bearing_external_id)
                    if target is None:
                        counters.skip(
                            "unknown_bearing", mid,
                            f"bearing {measurement.bearing_external_id!r} is not in the catalogue",
                        )  # fmt: skip
                        continue
                    try:
                        reading, spectrum = measurement_documents(
                            measurement=measurement, target=target, ingested_at=ingested_at
                        )
                    except _Skip as skip:
                        counters.skip(skip.reason, mid, str(skip))
                        continue
                    readings.append(reading)
                    spectra.append(spectrum)
                    if len(readings) >= batch_size:
                        flush()
                report()
        flush()
        counters.written(*writer.wait())
        if after_batch is not None and batches:
            after_batch(batches)
    finally:
        # A batch still in flight when something failed may have committed: count it.
        with contextlib.suppress(Exception):
            counters.written(*writer.wait())
        writer.close()
    report(finished=True)


def _rejected_skip(counters: _Counters, rejected: RejectedRecord) -> None:
    counters.skip(_classify_rejection(rejected.reason), rejected.measurement_id, rejected.reason)


def _run_finish(
    *, run: IngestionRun, counters: _Counters, client: VendorClient, error: BaseException | None
) -> None:
    """Fill the run record from the counters, decide the outcome and save (unless dry run)."""
    for name, value in counters.run_fields().items():
        setattr(run, name, value)
    run.stored = counters.stored
    run.retries = client.stats.retries
    run.finished_at = _utcnow()
    if error is not None:
        run.outcome = IngestionRun.Outcome.FAILED
        run.error = _error_text(error)
        logger.error("ingestion run %s failed: %s", run.pk, run.error)
    elif counters.failures:
        run.outcome = IngestionRun.Outcome.FAILED
        run.error = f"{len(counters.failures)} machine-day(s) could not be fetched: " + "; ".join(
            counters.failures[:5]
        )
        logger.error("ingestion run %s incomplete: %s", run.pk, run.error)
    elif counters.skipped:
        run.outcome = IngestionRun.Outcome.COMPLETED_WITH_ERRORS
    else:
        run.outcome = IngestionRun.Outcome.SUCCEEDED
    logger.info(
        "ingestion run %s %s: fetched %d, stored %d, already stored %d, skipped %d %s, "
        "retries %d", run.pk, run.outcome, run.fetched, run.stored, run.duplicates, run.skipped,
        dict(counters.skip_reasons) or "", run.retries,
    )  # fmt: skip
    if not run.dry_run:
        try:
            run.save()
        except Exception:  # the database may be what failed; the log has the outcome
            logger.exception("could not record the outcome of ingestion run %s", run.pk)


def _error_text(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, LockLostError):
        return str(error)
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"
