"""Retention tiers: raw data is thinned with age, indicators and rollups are kept forever.

Tiers (RETENTION_WAVEFORM_DAYS, 90 by default):

* raw window: every reading's raw waveform (and a legacy stored spectrum) is kept;
* beyond it, per bearing and UTC day, one waveform is kept (the day's worst reading: highest
  ISO zone, then highest velocity RMS, then the earliest) plus every waveform that is evidence
  (``evidence_reading_ids``: pinned readings, alarms' trigger and worst readings, baselines'
  readings); the rest are deleted. Legacy stored spectra are thinned the same way;
* readings (indicators, status), hourly rollups and the latest state are never touched, so
  every dashboard, trend, time series and count answers the same after a run.

A run walks the UTC days from where the last run stopped (``RetentionRun.thinned_before``) up
to the cutoff, one day at a time: it marks the survivors' tier, then deletes the others in
bounded batches, then records the day as done. A crash anywhere leaves a day that the next run
redoes: survivors already marked stay the survivors, deletes are idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bson import ObjectId
from django.conf import settings

from monitoring import clock
from monitoring.models import (
    STATUS_SEVERITY,
    AreaHourlyRollup,
    Reading,
    RetentionRun,
    Spectrum,
    Waveform,
)
from monitoring.mongo import collection, in_transaction, utc
from monitoring.services import waveform_tier_name, waveform_tiers_add, waveform_tiers_recount

logger = logging.getLogger(__name__)

DAY = dt.timedelta(days=1)


def reading_pin(*, reading_ids: list, pinned: bool = True) -> int:
    """Pin (or unpin) readings: a pinned reading's raw waveform outlives the raw window."""
    result = collection(Reading).update_many(
        {"_id": {"$in": list(reading_ids)}}, {"$set": {"pinned": pinned}}
    )
    if not pinned:
        # An evidence waveform that is no longer evidence: its day is thinned again next run.
        query = {"reading_id": {"$in": list(reading_ids)}, "tier": Waveform.Tier.EVIDENCE}
        sizes = [d.get("stored_bytes") or 0 for d in collection(Waveform).find(query)]

        def back_to_raw(session):
            moved = (
                collection(Waveform)
                .update_many(query, {"$set": {"tier": None}}, session=session)
                .modified_count
            )
            if moved == len(sizes):  # else a concurrent change: the daily recount settles it
                size = sum(sizes)
                changes = {"evidence": (-moved, -size), "raw": (moved, size)}
                waveform_tiers_add(changes=changes, session=session)

        in_transaction(back_to_raw)
        _rewind_before(reading_ids)
    return result.modified_count


def _rewind_before(reading_ids: list) -> None:
    """Move the resume point back to the earliest of these readings' days (to re-thin them)."""
    first = collection(Reading).find_one(
        {"_id": {"$in": list(reading_ids)}}, {"timestamp": 1}, sort=[("timestamp", 1)]
    )
    if first is None:
        return
    day = _day_start(utc(first["timestamp"]))
    collection(RetentionRun).update_many(
        {"thinned_before": {"$gt": day}}, {"$set": {"thinned_before": day}}
    )


def evidence_reading_ids(*, reading_ids: Iterable[ObjectId]) -> set[ObjectId]:
    """Of these readings, those whose raw data is evidence to keep: pinned by staff, an
    alarm's trigger or worst reading, or one of a bearing's current baseline readings."""
    ids = list(reading_ids)
    if not ids:
        return set()
    from monitoring.alarms.models import Alarm, Baseline

    # By _id alone: SecantusDB plans {_id: {$in}, pinned: true} as a collection scan.
    found = collection(Reading).find({"_id": {"$in": ids}}, {"pinned": 1})
    evidence = {doc["_id"] for doc in found if doc.get("pinned")}
    wanted = set(ids)
    # Alarms and baselines are few (one per problem, one per bearing) and indexed by these.
    for alarm in collection(Alarm).find(
        {"$or": [{"trigger_reading_id": {"$in": ids}}, {"worst_reading_id": {"$in": ids}}]},
        {"trigger_reading_id": 1, "worst_reading_id": 1},
    ):
        evidence |= {alarm.get("trigger_reading_id"), alarm.get("worst_reading_id")} & wanted
    for baseline in collection(Baseline).find({"reading_ids": {"$in": ids}}, {"reading_ids": 1}):
        evidence |= set(baseline.get("reading_ids") or ()) & wanted
    return evidence


def _day_start(when: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(when.date(), dt.time(0), tzinfo=dt.UTC)


def retention_cutoff(*, now: dt.datetime | None = None) -> dt.datetime:
    """Start of the first UTC day entirely inside the raw window: older days are thinned."""
    now = now or clock.now()
    return _day_start(now - dt.timedelta(days=settings.RETENTION_WAVEFORM_DAYS)) + DAY


@dataclass
class DayPlan:
    """What a run does to one UTC day: reading ids per fate, and the bytes removed."""

    day: dt.datetime
    daily: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    remove: list = field(default_factory=list)
    waveforms: int = 0
    waveform_bytes: int = 0
    spectra: int = 0
    spectrum_bytes: int = 0
    #: reading id -> (stored bytes, tier) of the day's waveforms when planned.
    raw: dict = field(default_factory=dict, repr=False)


def _raw_of(ids: list) -> tuple[dict, dict]:
    """Waveforms (reading id -> (bytes, tier)) and spectra (reading id -> bytes) of readings."""
    waveforms = {
        d["reading_id"]: (d.get("stored_bytes") or 0, d.get("tier"))
        for d in collection(Waveform).find(
            {"reading_id": {"$in": ids}}, {"reading_id": 1, "stored_bytes": 1, "tier": 1}
        )
    }
    spectra = {
        d["reading_id"]: 4 * (d.get("n_lines") or 0)
        for d in collection(Spectrum).find(
            {"reading_id": {"$in": ids}}, {"reading_id": 1, "n_lines": 1}
        )
    }
    return waveforms, spectra


def _worst_first(row: dict) -> tuple:
    """Sort key: highest zone, then highest velocity RMS, then earliest."""
    rms = (row.get("velocity") or {}).get("rms") or 0.0
    return (-STATUS_SEVERITY.get(row.get("status"), -1), -rms, row["timestamp"], row["_id"])


def day_plan(day: dt.datetime) -> DayPlan:
    """The survivors and removals of one UTC day (reads only)."""
    rows = list(
        collection(Reading).find(
            {"timestamp": {"$gte": day, "$lt": day + DAY}},
            {"bearing_id": 1, "status": 1, "velocity": 1, "timestamp": 1},
        )
    )
    waveforms, spectra = _raw_of([r["_id"] for r in rows])
    plan = DayPlan(day=day, raw=waveforms)
    with_raw = [r for r in rows if r["_id"] in waveforms or r["_id"] in spectra]
    evidence = evidence_reading_ids(reading_ids=[r["_id"] for r in with_raw])
    by_bearing: dict = {}
    for row in with_raw:
        by_bearing.setdefault(row["bearing_id"], []).append(row)
    for candidates in by_bearing.values():
        # A survivor chosen by an earlier (interrupted) run stays the survivor.
        marked = [r for r in candidates if waveforms.get(r["_id"], (0, None))[1] == "daily"]
        keeper = marked[0] if marked else min(candidates, key=_worst_first)
        for row in candidates:
            rid = row["_id"]
            if rid in evidence:
                plan.evidence.append(rid)
            elif rid == keeper["_id"]:
                plan.daily.append(rid)
            else:
                plan.remove.append(rid)
    for rid in plan.remove:
        if rid in waveforms:
            plan.waveforms += 1
            plan.waveform_bytes += waveforms[rid][0]
        if rid in spectra:
            plan.spectra += 1
            plan.spectrum_bytes += spectra[rid]
    return plan


#: ``_moves``' destination for deleted waveforms.
DELETED = "deleted"


def _moves(plan: DayPlan, ids: list, to: str) -> dict[str, tuple[int, int]]:
    """The tier totals' changes of moving these readings' waveforms to tier ``to`` (or
    DELETED)."""
    changes: dict[str, list[int]] = {}
    for rid in ids:
        if rid not in plan.raw:
            continue
        size, tier = plan.raw[rid]
        if tier == to:
            continue
        moves = [(waveform_tier_name(tier), -1)] + ([(to, 1)] if to != DELETED else [])
        for name, sign in moves:
            total = changes.setdefault(name, [0, 0])
            total[0] += sign
            total[1] += sign * size
    return {name: (n, b) for name, (n, b) in changes.items()}


def _plan_apply(plan: DayPlan, *, batch_size: int, check: Callable[[], None]) -> None:
    """Mark the day's survivors, then delete the rest in bounded batches; each batch moves the
    tier totals in the same transaction."""
    waveforms = collection(Waveform)
    for tier, ids in ((Waveform.Tier.DAILY, plan.daily), (Waveform.Tier.EVIDENCE, plan.evidence)):
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]

            def mark(session, chunk=chunk, tier=tier):
                waveforms.update_many({"reading_id": {"$in": chunk}}, {"$set": {"tier": tier}},
                                      session=session)  # fmt: skip
                waveform_tiers_add(changes=_moves(plan, chunk, tier), session=session)

            in_transaction(mark)
    for start in range(0, len(plan.remove), batch_size):
        check()
        chunk = plan.remove[start : start + batch_size]

        def remove(session, chunk=chunk):
            waveforms.delete_many({"reading_id": {"$in": chunk}}, session=session)
            collection(Spectrum).delete_many({"reading_id": {"$in": chunk}}, session=session)
            waveform_tiers_add(changes=_moves(plan, chunk, DELETED), session=session)

        in_transaction(remove)


def retention_start() -> dt.datetime | None:
    """The first UTC day not yet thinned: where the last run stopped, else the oldest data."""
    last = collection(RetentionRun).find_one(
        {"thinned_before": {"$ne": None}, "dry_run": False},
        {"thinned_before": 1},
        sort=[("thinned_before", -1)],
    )
    if last is not None:
        return utc(last["thinned_before"])
    oldest = collection(AreaHourlyRollup).find_one({}, {"hour": 1}, sort=[("hour", 1)])
    return _day_start(utc(oldest["hour"])) if oldest else None


def retention_days(*, now: dt.datetime | None = None) -> list[dt.datetime]:
    """The UTC days the next run would thin, oldest first."""
    start, cutoff = retention_start(), retention_cutoff(now=now)
    days = []
    while start is not None and start < cutoff:
        days.append(start)
        start += DAY
    return days


_TOTALS = {
    "waveforms_removed": "waveforms",
    "waveform_bytes_removed": "waveform_bytes",
    "spectra_removed": "spectra",
    "spectrum_bytes_removed": "spectrum_bytes",
}


def retention_apply(
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    batch_size: int | None = None,
    check: Callable[[], None] = lambda: None,
    on_day: Callable[[DayPlan], None] = lambda plan: None,
) -> RetentionRun:
    """Thin every day past the raw window (or, dry, only count what would go); record the run.

    ``check`` runs before each delete batch (the caller's lock heartbeat: it raises if the
    lock was lost); ``on_day`` after each day is done (progress, and crash tests).
    """
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    run = RetentionRun.objects.create(
        dry_run=dry_run, started_at=clock.now(), cutoff=retention_cutoff(now=now)
    )
    try:
        for day in retention_days(now=now):
            plan = day_plan(day)
            if not dry_run:
                _plan_apply(plan, batch_size=batch_size, check=check)
            _run_add(run, plan, dry_run=dry_run)
            on_day(plan)
    except BaseException as exc:
        RetentionRun.objects.filter(pk=run.pk).update(
            outcome=RetentionRun.Outcome.FAILED, finished_at=clock.now(), error=repr(exc)[:2000]
        )
        raise
    if not dry_run:  # the running totals made exact again, once a day under the lock
        waveform_tiers_recount()
    run.outcome, run.finished_at = RetentionRun.Outcome.SUCCEEDED, clock.now()
    run.save(update_fields=["outcome", "finished_at"])
    return run


def _run_add(run: RetentionRun, plan: DayPlan, *, dry_run: bool) -> None:
    """Add a day's figures to the run record; a real run also records the day as done."""
    run.days += 1
    for field_name, attr in _TOTALS.items():
        setattr(run, field_name, getattr(run, field_name) + getattr(plan, attr))
    run.kept_daily += len(plan.daily)
    run.kept_evidence += len(plan.evidence)
    fields = ["days", "kept_daily", "kept_evidence", *_TOTALS]
    if not dry_run:
        run.thinned_before = plan.day + DAY
        fields.append("thinned_before")
    run.save(update_fields=fields)
