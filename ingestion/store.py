"""Stage 3, the store: batches of documents -> one transaction each.

A batch's readings, waveforms, rollup increments, latest-state moves and run counters commit
together, so a run killed at any point leaves whole batches only, and a re-run finishes the rest
with rollups still equal to a rebuild from readings.

The fast path inserts (the pipeline already left out stored readings); should an insert still
collide on the unique ``external_id``, the transaction is aborted and redone with upserts, so
only readings really inserted reach the rollups. A single writer thread commits the previous
batch while the main thread computes the next one, so the database (a separate process) and
this process work in parallel.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ingestion.lock import Heartbeat
from ingestion.pipeline import RunCounters
from monitoring.alarms.services import alarms_evaluate
from monitoring.models import IngestionRun, Reading, Waveform
from monitoring.mongo import bulk_collection, collection, in_transaction
from monitoring.services import (
    RollupDelta,
    data_version_bump,
    latest_state_update,
    rollup_delta,
    rollups_apply,
    waveform_tiers_add,
)

logger = logging.getLogger("ingestion.store")

DEFAULT_BATCH_SIZE = 2000


def _latest_by_bearing(readings: Iterable[dict]) -> dict:
    latest: dict = {}
    for r in readings:
        current = latest.get(r["bearing_id"])
        if current is None or r["timestamp"] > current["timestamp"]:
            latest[r["bearing_id"]] = r
    return latest


@dataclass
class _Batch:
    """One batch and what its transaction writes besides the documents."""

    readings: list[dict]
    waveforms: list[dict]
    run_id: object = None
    run_fields: dict | None = None
    delta: RollupDelta | None = None

    def inserted(self, session) -> list[dict]:
        """The fast path: plain inserts (raise on a collision); returns the new readings."""
        bulk_collection(Reading).insert_many(self.readings, ordered=True, session=session)
        bulk_collection(Waveform).insert_many(self.waveforms, ordered=True, session=session)
        return self.readings

    def upserted(self, session) -> list[dict]:
        """The careful path: upserts by external id; returns the readings really inserted."""
        result = bulk_collection(Reading).bulk_write(
            [
                UpdateOne({"external_id": r["external_id"]}, {"$setOnInsert": r}, upsert=True)
                for r in self.readings
            ],
            ordered=False,
            session=session,
        )
        new = [self.readings[i] for i in sorted(result.upserted_ids)]
        new_ids = {r["_id"] for r in new}
        waveforms = [w for w in self.waveforms if w["reading_id"] in new_ids]
        if waveforms:
            bulk_collection(Waveform).bulk_write(
                [
                    UpdateOne({"reading_id": w["reading_id"]}, {"$setOnInsert": w}, upsert=True)
                    for w in waveforms
                ],
                ordered=False,
                session=session,
            )
        return new

    def derived(self, new: list[dict], session, *, delta: RollupDelta | None) -> None:
        """Rollups, latest state, the data version (once per batch) and the run's counters."""
        rollups_apply(new, session=session, delta=delta, version_bump=False)
        new_ids = {r["_id"] for r in new}
        stored = [w.get("stored_bytes") or 0 for w in self.waveforms if w["reading_id"] in new_ids]
        waveform_tiers_add(changes={"raw": (len(stored), sum(stored))}, session=session)
        latest_state_update(_latest_by_bearing(new), session=session, version_bump=False)
        if new:
            data_version_bump(session=session)
        if self.run_id is not None:
            fields = {**(self.run_fields or {}), "heartbeat_at": dt.datetime.now(dt.UTC)}
            collection(IngestionRun).update_one(
                {"_id": self.run_id}, {"$set": fields, "$inc": {"stored": len(new)}},
                session=session,
            )  # fmt: skip


def batch_store(
    *,
    readings: list[dict],
    waveforms: list[dict],
    run_id=None,
    run_fields=None,
    delta: RollupDelta | None = None,
) -> int:
    """Store one batch in one transaction; return how many readings were new.

    ``delta`` is ``rollup_delta(readings)``, computed by the caller off the writer thread; it
    is used on the fast path only (the careful path recomputes it for the new readings).
    """
    batch = _Batch(readings, waveforms, run_id, run_fields, delta)
    new: list[dict] = []

    def fast(session) -> None:
        new[:] = batch.inserted(session)
        batch.derived(new, session, delta=batch.delta)

    def careful(session) -> None:
        new[:] = batch.upserted(session)
        batch.derived(new, session, delta=None)

    try:
        in_transaction(fast)
    except (DuplicateKeyError, BulkWriteError) as exc:
        logger.info("batch collided with stored readings (%s); redoing it with upserts", exc)
        in_transaction(careful)
    alarms_evaluate(readings=new)  # after the commit: alarms only ever cite stored readings
    return len(new)


class BatchWriter:
    """Commits batches on one background thread, one batch in flight at a time.

    The thread uses this thread's Django connection (Django's documented thread sharing), so
    ``monitoring.services`` and the session come from the same pymongo client. ``submit`` and
    ``wait`` return (new, submitted) readings of the write that completed.
    """

    def __init__(self, *, pipelined: bool) -> None:
        """Start the writer thread when ``pipelined`` (otherwise writes run inline)."""
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


class _BatchWrite:
    """A queued batch_store call (what the writer thread runs): returns (new, submitted)."""

    def __init__(self, readings: list[dict], waveforms: list[dict], run_id, run_fields: dict):
        self.readings, self.waveforms = readings, waveforms
        self.run_id, self.run_fields = run_id, run_fields
        # Computed here, while the writer thread waits on the database for the last batch.
        self.delta = rollup_delta(readings)

    def __call__(self) -> tuple[int, int]:
        new = batch_store(
            readings=self.readings, waveforms=self.waveforms, run_id=self.run_id,
            run_fields=self.run_fields, delta=self.delta,
        )  # fmt: skip
        return new, len(self.readings)


class BatchSink:
    """Collects a run's documents into batches and hands each full one to the writer.

    A dry run only counts. ``after_batch(n)`` is called once the n-th batch committed (tests
    inject crashes there); the heartbeat is checked before each write, so a run that lost its
    lock stops writing.
    """

    def __init__(
        self,
        *,
        run_id,
        counters: RunCounters,
        batch_size: int,
        dry_run: bool,
        heartbeat: Heartbeat | None = None,
        after_batch: Callable[[int], None] | None = None,
    ) -> None:
        """Start the writer (a thread, unless dry run)."""
        self.run_id, self.counters, self.batch_size = run_id, counters, batch_size
        self.dry_run, self.heartbeat, self.after_batch = dry_run, heartbeat, after_batch
        self.batches = 0
        self._readings: list[dict] = []
        self._waveforms: list[dict] = []
        self._writer = BatchWriter(pipelined=not dry_run)

    def add(self, reading: dict, waveform: dict) -> None:
        """Take one measurement's documents; write the batch once it is full."""
        self._readings.append(reading)
        self._waveforms.append(waveform)
        if len(self._readings) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Submit the documents collected so far (count them in a dry run)."""
        if not self._readings:
            return
        readings, waveforms = self._readings, self._waveforms
        self._readings, self._waveforms = [], []
        if self.dry_run:
            self.counters.stored += len(readings)
            return
        if self.heartbeat is not None:
            self.heartbeat.check()
        write = _BatchWrite(readings, waveforms, self.run_id, self.counters.run_fields())
        self.counters.written(*self._writer.submit(write))
        self.batches += 1
        if self.after_batch is not None and self.batches > 1:
            self.after_batch(self.batches - 1)

    def finish(self) -> None:
        """Write the last batch and wait until every batch committed."""
        self.flush()
        self.counters.written(*self._writer.wait())
        if self.after_batch is not None and self.batches:
            self.after_batch(self.batches)

    def close(self) -> None:
        """Stop the writer; a batch still in flight when something failed may have committed."""
        with contextlib.suppress(Exception):
            self.counters.written(*self._writer.wait())
        self._writer.close()
