"""Stage 4, the run: lock, heartbeat, bookkeeping and outcome around the other stages.

    vendor API --catalogue--> Machine, Bearing          (ingestion/catalogue.py)
               --pipeline--> reading + spectrum documents (ingestion/pipeline.py)
               --store-----> batches, one transaction each (ingestion/store.py)

Idempotency: a reading's ``_id`` is derived from the vendor's measurement id, and the readings
of a machine-day already stored are looked up once before computing, so a re-run neither
computes nor writes them again (the unique index on ``external_id`` stays the safety net).
Two runs never overlap: the lock is a lease in the database, renewed by a heartbeat thread and
taken over once a crashed run's lease expired. Every run that took the lock is recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from bson import ObjectId
from django.conf import settings

from ingestion import logcontext
from ingestion.catalogue import catalogue_upsert
from ingestion.client import VendorClient, VendorUnavailable
from ingestion.lock import (
    Heartbeat,
    Lease,
    LockLostError,
    holder_describe,
    host_describe,
    lock_acquire,
    lock_release,
)
from ingestion.pipeline import DayPipeline, RunCounters
from ingestion.progress import ProgressState
from ingestion.store import DEFAULT_BATCH_SIZE, BatchSink
from monitoring.alarms.services import alarms_after_run, alarms_catch_up
from monitoring.models import IngestionRun, Machine, Reading
from monitoring.mongo import collection

logger = logging.getLogger("ingestion.run")

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


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


def database_is_empty() -> bool:
    """Whether no machine and no reading is stored yet (the demo only fills an empty one)."""
    return collection(Machine).find_one({}, {"_id": 1}) is None and (
        collection(Reading).find_one({}, {"_id": 1}) is None
    )


def _validate_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    today = _utcnow().date()
    if date_to > today:
        raise ValueError(f"{date_to} is in the future (today is {today} UTC)")
    days = (date_to - date_from).days + 1
    if days > MAX_RANGE_DAYS:
        raise ValueError(f"a run covers at most {MAX_RANGE_DAYS} days, not {days}")


def _dates(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    return [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]


class _RunBeat:
    """The heartbeat's extra beat: the run record's ``heartbeat_at`` (shows the run is alive)."""

    def __init__(self, run_id) -> None:
        self.runs, self.run_id = collection(IngestionRun), run_id

    def __call__(self) -> None:
        self.runs.update_one({"_id": self.run_id}, {"$set": {"heartbeat_at": _utcnow()}})


class _ProgressReport:
    """Turns the counters into ProgressState snapshots for the caller's reporter."""

    def __init__(self, progress: Progress | None, counters: RunCounters, started: float):
        self.progress, self.counters, self.started = progress, counters, started
        self.total = 0

    def __call__(self, *, finished: bool = False) -> None:
        if self.progress is None:
            return
        c = self.counters
        self.progress(ProgressState(
            machine_days_done=c.machine_days_done, machine_days_total=self.total,
            fetched=c.fetched, stored=c.stored, duplicates=c.duplicates, skipped=c.skipped,
            elapsed_s=time.monotonic() - self.started, finished=finished,
        ))  # fmt: skip


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
    run = IngestionRun(
        id=ObjectId(), date_from=date_from, date_to=date_to, customer=customer or "",
        dry_run=dry_run, started_at=_utcnow(), heartbeat_at=_utcnow(), host=host_describe(),
    )  # fmt: skip
    log_token = logcontext.run_started(run.pk)  # every log line of the run carries its id
    own_client = client is None
    client = client or vendor_client_from_settings()
    lease: Lease | None = None
    try:
        if not dry_run:
            lease = _run_open(run, lock_ttl)
        logger.info(
            "ingestion run %s: %s..%s%s%s", run.pk, date_from, date_to,
            f", customer {customer}" if customer else "", " [dry run]" if dry_run else "",
        )  # fmt: skip
        return _run_recorded(
            run, client=client, lease=lease, progress=progress, batch_size=batch_size,
            after_batch=after_batch,
        )  # fmt: skip
    finally:
        if lease is not None:
            lock_release(lease=lease)
        if own_client:
            client.close()
        logcontext.run_ended(log_token)


def _run_open(run: IngestionRun, lock_ttl: dt.timedelta) -> Lease:
    """Take the lock (closing the record of a dead run whose lease expired), record the run."""
    lease = lock_acquire(holder=holder_describe(run_id=run.pk), ttl=lock_ttl)
    try:
        if lease.previous_holder:
            _abandoned_run_close(lease.previous_holder)
        run.save(force_insert=True)
    except BaseException:
        lock_release(lease=lease)
        raise
    return lease


def _run_recorded(
    run: IngestionRun, *, client: VendorClient, lease: Lease | None, **options
) -> IngestionRun:
    """Run the stages under the heartbeat, then record the outcome; raise if it failed."""
    counters = RunCounters()
    try:
        if lease is None:
            _run_stages(run, client=client, counters=counters, heartbeat=None, **options)
        else:
            interval = max(0.5, lease.ttl.total_seconds() / 4)
            with Heartbeat(lease=lease, interval=interval, beat=_RunBeat(run.pk)) as heartbeat:
                _run_stages(run, client=client, counters=counters, heartbeat=heartbeat, **options)
    except BaseException as exc:
        _run_finish(run=run, counters=counters, client=client, error=exc)
        if isinstance(exc, Exception):
            raise IngestionFailedError(f"ingestion run failed: {run.error}", run=run) from exc
        raise
    _run_finish(run=run, counters=counters, client=client, error=None)
    if run.outcome == IngestionRun.Outcome.FAILED:
        raise IngestionFailedError(f"ingestion run failed: {run.error}", run=run)
    return run


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


def _run_stages(
    run: IngestionRun,
    *,
    client: VendorClient,
    counters: RunCounters,
    heartbeat: Heartbeat | None,
    progress: Progress | None,
    batch_size: int,
    after_batch: Callable[[int], None] | None,
) -> None:
    """Catalogue, then each day through the pipeline into the store; exceptions stop it."""
    report = _ProgressReport(progress, counters, started=time.monotonic())
    if not run.dry_run:  # readings a dead run stored but never evaluated: before new ones
        caught_up = alarms_catch_up()
        if caught_up:
            logger.info("alarms caught up on unevaluated readings: %d change(s)", len(caught_up))
    machines = client.list_machines(run.customer or None)
    run.machines_seen = len(machines)
    catalogue = catalogue_upsert(machines=machines, dry_run=run.dry_run)
    dates = _dates(run.date_from, run.date_to)
    report.total = len(machines) * len(dates)
    ingested_at = _utcnow()
    sink = BatchSink(
        run_id=run.pk, counters=counters, batch_size=batch_size, dry_run=run.dry_run,
        heartbeat=heartbeat, after_batch=after_batch,
    )  # fmt: skip
    report()
    try:
        for day in dates:
            pipeline = DayPipeline(
                day=day, machine_ids=catalogue.machine_ids, bearings=catalogue.bearings,
                counters=counters, ingested_at=ingested_at,
            )  # fmt: skip
            for documents in pipeline.documents(client):
                if documents is None:
                    report()
                else:
                    sink.add(*documents)
        sink.finish()
    finally:
        sink.close()
    report(finished=True)


def _run_finish(
    *, run: IngestionRun, counters: RunCounters, client: VendorClient, error: BaseException | None
) -> None:
    """Fill the run record from the counters, decide the outcome and save (unless dry run)."""
    for name, value in counters.run_fields().items():
        setattr(run, name, value)
    run.stored = counters.stored
    run.retries = client.stats.retries
    run.finished_at = _utcnow()
    run.outcome, run.error = _outcome(counters, error)
    if run.outcome == IngestionRun.Outcome.FAILED:
        how = "failed" if error is not None else "incomplete"
        logger.error("ingestion run %s %s: %s", run.pk, how, run.error)
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
        _alarms_after(run, error)


def _alarms_after(run: IngestionRun, error: BaseException | None) -> None:
    """The outage alarm (vendor unreachable) and the run's alarm digests; never fails the run."""
    cause, unreachable = error, False
    while cause is not None and not unreachable:
        unreachable = isinstance(cause, VendorUnavailable)
        cause = cause.__cause__ or cause.__context__
    try:
        alarms_after_run(
            started_at=run.started_at, failed=run.outcome == IngestionRun.Outcome.FAILED,
            vendor_unreachable=unreachable, error=run.error,
        )  # fmt: skip
    except Exception:  # the database may be what failed; alarms catch up on the next run
        logger.exception("could not evaluate the alarms after ingestion run %s", run.pk)


def _outcome(counters: RunCounters, error: BaseException | None) -> tuple[str, str]:
    """The run's outcome and error text."""
    if error is not None:
        return IngestionRun.Outcome.FAILED, _error_text(error)
    if counters.failures:
        failed = "; ".join(counters.failures[:5])
        text = f"{len(counters.failures)} machine-day(s) could not be fetched: {failed}"
        return IngestionRun.Outcome.FAILED, text
    if counters.skipped:
        return IngestionRun.Outcome.COMPLETED_WITH_ERRORS, ""
    return IngestionRun.Outcome.SUCCEEDED, ""


def _error_text(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, LockLostError):
        return str(error)
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"
