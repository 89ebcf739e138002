"""Writes that keep the denormalized read models right: hourly rollups and latest state.

Ingestion calls :func:`rollups_apply` for the readings a run newly inserted (so a re-run
adds nothing twice) and :func:`latest_state_update` for the bearings it touched; the rebuild
functions recompute both from readings, and a test holds the two paths equal.

These work on stored reading documents (``machine_id``, ``bearing_id``, ``timestamp``,
``status``, ``acceleration.*``, ``velocity.*``, ``temperature``) through pymongo, because they
are bulk upserts with ``$inc``/``$min``/``$max`` that the ORM cannot express.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne

from monitoring import indicators
from monitoring.models import (
    AreaHourlyRollup,
    Bearing,
    BearingHourlyRollup,
    DataVersion,
    IngestionLock,
    Machine,
    Reading,
    Status,
    Waveform,
    WaveformTierTotal,
    worst_status,
)
from monitoring.mongo import collection, naive_utc, path_value

# Rollup field -> path in a reading document, from the catalogue: bearing rollups carry every
# indicator, area rollups the headline ones.
BEARING_METRICS = {i.rollup_field: i.path for i in indicators.INDICATORS}
AREA_METRICS = {i.rollup_field: i.path for i in indicators.HEADLINE}
STATUSES = [s.value for s in Status]


def hour_start(timestamp: dt.datetime) -> dt.datetime:
    """The start of the UTC hour holding ``timestamp`` (naive UTC, as pymongo returns)."""
    return naive_utc(timestamp).replace(minute=0, second=0, microsecond=0)


class _Bucket:
    """Accumulates one rollup bucket in memory before it becomes one upsert."""

    __slots__ = ("count", "metrics", "statuses")

    def __init__(self, metric_names):
        self.count = 0
        self.statuses = dict.fromkeys(STATUSES, 0)
        self.metrics = {name: [0, 0.0, None, None] for name in metric_names}

    def add(self, reading: Mapping, metric_parts: tuple) -> None:
        """Count one reading; ``metric_parts`` pairs each metric with its split document path."""
        self.count += 1
        status = reading.get("status")
        if status in self.statuses:
            self.statuses[status] += 1
        metrics = self.metrics
        for name, parts in metric_parts:
            value = reading
            for part in parts:
                value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                continue
            agg = metrics[name]
            agg[0] += 1
            agg[1] += value
            if agg[2] is None:
                agg[2] = agg[3] = value
            elif value < agg[2]:
                agg[2] = value
            elif value > agg[3]:
                agg[3] = value

    def merge(self, rollup: Mapping) -> None:
        """Add a stored rollup document of the same hour (e.g. a bearing's into its area's)."""
        self.count += rollup.get("count") or 0
        for status, n in (rollup.get("statuses") or {}).items():
            if status in self.statuses:
                self.statuses[status] += n
        for name, agg in self.metrics.items():
            other = rollup.get(name) or {}
            if not other.get("count"):
                continue
            agg[0] += other["count"]
            agg[1] += other.get("sum") or 0.0
            lo, hi = other.get("min"), other.get("max")
            agg[2] = lo if agg[2] is None else min(agg[2], lo)
            agg[3] = hi if agg[3] is None else max(agg[3], hi)

    def update(self, on_insert: dict) -> dict:
        """The upsert that adds this bucket to a stored rollup (or creates it)."""
        inc: dict = {"count": self.count}
        inc.update({f"statuses.{s}": n for s, n in self.statuses.items()})
        low, high = {}, {}
        for name, (count, total, lo, hi) in self.metrics.items():
            inc[f"{name}.count"] = count
            inc[f"{name}.sum"] = total
            if count:
                low[f"{name}.min"] = lo
                high[f"{name}.max"] = hi
        update = {"$inc": inc, "$setOnInsert": on_insert}
        if low:
            update["$min"] = low
            update["$max"] = high
        return update

    def document(self, key: dict, on_insert: dict) -> dict:
        """The rollup document that upsert would create where none is stored yet."""
        doc = {**key, **on_insert, "count": self.count, "statuses": dict(self.statuses)}
        for name, (count, total, lo, hi) in self.metrics.items():
            doc[name] = {"count": count, "sum": total}
            if count:
                doc[name].update(min=lo, max=hi)
        return doc


_BEARING_PARTS = tuple((i.rollup_field, i.parts) for i in indicators.INDICATORS)
_AREA_PARTS = tuple((i.rollup_field, i.parts) for i in indicators.HEADLINE)


@dataclass
class RollupDelta:
    """What a set of readings adds to the rollups: (key, bucket, on_insert) per bucket."""

    bearing: list = field(default_factory=list)
    area: list = field(default_factory=list)


def rollup_delta(readings: Iterable[Mapping]) -> RollupDelta:
    """Group readings into bearing-hour and area-hour buckets (pure computation, no I/O)."""
    bearing_buckets: dict = {}
    area_buckets: dict = {}
    for reading in readings:
        hour = hour_start(reading["timestamp"])
        key = (reading["bearing_id"], hour)
        if key not in bearing_buckets:
            on_insert = {
                "machine_id": reading["machine_id"],
                "customer": reading.get("customer", ""),
                "area": reading.get("area", ""),
            }
            bearing_buckets[key] = (_Bucket(BEARING_METRICS), on_insert)
        bearing_buckets[key][0].add(reading, _BEARING_PARTS)
        area_key = (reading.get("customer", ""), reading.get("area", ""), hour)
        if area_key not in area_buckets:
            area_buckets[area_key] = _Bucket(AREA_METRICS)
        area_buckets[area_key].add(reading, _AREA_PARTS)
    return RollupDelta(
        bearing=[
            ({"bearing_id": bearing_id, "hour": hour}, bucket, on_insert)
            for (bearing_id, hour), (bucket, on_insert) in bearing_buckets.items()
        ],
        area=[
            ({"customer": customer, "area": area, "hour": hour}, bucket, {})
            for (customer, area, hour), bucket in area_buckets.items()
        ],
    )


def _stored_bucket_keys(model, buckets: list, *, session=None) -> set[tuple]:
    """Keys of these buckets that already have a stored rollup document.

    One query per machine (bearing rollups) or one for the hour range (area rollups), each an
    equality plus a range on an index: an ``$in`` over bearings would be one query on MongoDB,
    but SecantusDB answers ``$in`` with a collection scan.
    """
    hours = [key["hour"] for key, _, _ in buckets]
    span = {"$gte": min(hours), "$lte": max(hours)}
    if model is BearingHourlyRollup:
        fields, queries = (
            ("bearing_id", "hour"),
            [
                {"machine_id": machine_id, "hour": span}
                for machine_id in {on_insert["machine_id"] for _, _, on_insert in buckets}
            ],
        )
    else:
        fields, queries = ("customer", "area", "hour"), [{"hour": span}]
    projection = {**dict.fromkeys(fields, 1), "_id": 0}
    coll = collection(model)
    # Bucket keys hold naive UTC hours, as pymongo returns them: tuples compare directly.
    return {
        tuple(doc.get(f) for f in fields)
        for query in queries
        for doc in coll.find(query, projection, session=session)
    }


def _buckets_write(model, buckets: list, *, session=None) -> None:
    """Insert buckets that are new (most, in a daily run) and ``$inc`` the stored ones.

    Inserts are several times cheaper than upserts; the ingestion lock keeps a concurrent
    writer from creating a bucket between the read and the insert (and the unique index would
    abort the transaction rather than double a bucket).
    """
    if not buckets:
        return
    stored = _stored_bucket_keys(model, buckets, session=session)
    inserts, updates = [], []
    for key, bucket, on_insert in buckets:
        if tuple(key.values()) in stored:
            updates.append(UpdateOne(key, bucket.update(on_insert), upsert=True))
        else:
            inserts.append(bucket.document(key, on_insert))
    coll = collection(model)
    if inserts:
        coll.insert_many(inserts, ordered=True, session=session)
    if updates:
        coll.bulk_write(updates, ordered=False, session=session)


def rollups_apply(
    readings: Iterable[Mapping],
    *,
    session=None,
    delta: RollupDelta | None = None,
    version_bump: bool = True,
) -> None:
    """Add newly stored readings to the rollups (call once per reading, never for duplicates).

    ``delta`` is ``rollup_delta(readings)`` when the caller computed it already (ingestion
    does, outside its transaction). ``version_bump=False``: the caller bumps the data version
    itself, once for everything its unit of work changed.
    """
    delta = delta if delta is not None else rollup_delta(readings)
    _buckets_write(BearingHourlyRollup, delta.bearing, session=session)
    _buckets_write(AreaHourlyRollup, delta.area, session=session)
    if delta.area and version_bump:
        data_version_bump(session=session)


def _group_stage(key: dict, metric_paths: Mapping[str, str], extra: dict) -> dict:
    group: dict = {"_id": key, "count": {"$sum": 1}, **extra}
    for status in STATUSES:
        group[f"s_{status}"] = {"$sum": {"$cond": [{"$eq": ["$status", status]}, 1, 0]}}
    for name, path in metric_paths.items():
        group[f"{name}__count"] = {"$sum": {"$cond": [{"$isNumber": f"${path}"}, 1, 0]}}
        group[f"{name}__sum"] = {"$sum": f"${path}"}
        group[f"{name}__min"] = {"$min": f"${path}"}
        group[f"{name}__max"] = {"$max": f"${path}"}
    return {"$group": group}


def _bucket_document(row: dict, metric_names) -> dict:
    """Shape one $group result like an incrementally maintained rollup document."""
    doc = {"count": row["count"], "statuses": {s: row[f"s_{s}"] for s in STATUSES}}
    for name in metric_names:
        agg = {"count": row[f"{name}__count"], "sum": float(row[f"{name}__sum"] or 0.0)}
        if agg["count"]:
            agg["min"], agg["max"] = row[f"{name}__min"], row[f"{name}__max"]
        doc[name] = agg
    return doc


def rollups_rebuild(*, since: dt.datetime | None = None, batch_size: int = 1000) -> int:
    """Recompute both rollups from readings (from the hour holding ``since``); return buckets."""
    match = {"timestamp": {"$gte": hour_start(since)}} if since else {}
    rollup_match = {"hour": {"$gte": hour_start(since)}} if since else {}
    readings = collection(Reading)
    hour = {"$dateTrunc": {"date": "$timestamp", "unit": "hour"}}
    written = 0
    for model, key, metrics, extra in (
        (
            BearingHourlyRollup,
            {"bearing_id": "$bearing_id", "hour": hour},
            BEARING_METRICS,
            {
                "machine_id": {"$first": "$machine_id"},
                "customer": {"$first": "$customer"},
                "area": {"$first": "$area"},
            },
        ),
        (
            AreaHourlyRollup,
            {"customer": "$customer", "area": "$area", "hour": hour},
            AREA_METRICS,
            {},
        ),
    ):
        target = collection(model)
        target.delete_many(rollup_match)
        batch = []
        for row in readings.aggregate(
            [{"$match": match}, _group_stage(key, metrics, extra)], allowDiskUse=True
        ):
            doc = {**row["_id"], **{k: row[k] for k in extra}, **_bucket_document(row, metrics)}
            batch.append(doc)
            if len(batch) >= batch_size:
                target.insert_many(batch, ordered=False)
                written += len(batch)
                batch = []
        if batch:
            target.insert_many(batch, ordered=False)
            written += len(batch)
    data_version_bump()
    return written


LATEST_FIELDS = ("_id", "bearing_id", "machine_id", "timestamp", "status")


def latest_state_update(
    latest_by_bearing: Mapping, *, session=None, version_bump: bool = True
) -> set:
    """Move bearings' latest state forward to these readings; refresh their machines.

    ``latest_by_bearing`` maps a bearing id to the newest reading document a run stored for
    it. A bearing only moves forward in time, so backfilling an older day never overwrites
    a newer latest reading. Returns the ids of the machines refreshed.

    The time comparison happens here, between a read by ``_id`` and an update by ``_id``,
    rather than in the update's filter: SecantusDB scans the whole collection for any filter
    that adds a predicate to ``_id``. Callers hold the ingestion lock (and usually a
    transaction), so nothing moves the state between the read and the write.
    ``version_bump=False``: the caller bumps the data version itself (see ``rollups_apply``).
    """
    if not latest_by_bearing:
        return set()
    bearings = collection(Bearing)
    current = {
        doc["_id"]: doc.get("last_reading_at")
        for doc in bearings.find(
            {"_id": {"$in": list(latest_by_bearing)}}, {"last_reading_at": 1}, session=session
        )
    }
    ops = []
    for bearing_id, reading in latest_by_bearing.items():
        last, timestamp = current.get(bearing_id), naive_utc(reading["timestamp"])
        if last is None or last <= timestamp:
            ops.append(UpdateOne({"_id": bearing_id}, {"$set": _bearing_latest(reading)}))
    if ops:
        bearings.bulk_write(ops, ordered=False, session=session)
    machine_ids = {reading["machine_id"] for reading in latest_by_bearing.values()}
    machines_refresh(machine_ids, session=session, version_bump=version_bump)
    return machine_ids


def _bearing_latest(reading: Mapping) -> dict:
    return {
        "status": reading["status"],
        "last_reading_id": reading["_id"],
        "last_reading_at": reading["timestamp"],
        **{f"last_{i.rollup_field}": path_value(reading, i.parts) for i in indicators.HEADLINE},
    }


def machines_refresh(machine_ids: Iterable, *, session=None, version_bump: bool = True) -> None:
    """Recompute machines' status (worst bearing), last reading time and bearing count."""
    machine_ids = list(machine_ids)
    if not machine_ids:
        return
    summary: dict = {mid: {"statuses": [], "last": None, "count": 0} for mid in machine_ids}
    bearings = collection(Bearing).find(
        {"machine_id": {"$in": machine_ids}},
        {"machine_id": 1, "status": 1, "last_reading_at": 1},
        session=session,
    )
    for bearing in bearings:
        entry = summary[bearing["machine_id"]]
        entry["count"] += 1
        if bearing.get("status"):
            entry["statuses"].append(bearing["status"])
        last = bearing.get("last_reading_at")
        if last and (entry["last"] is None or last > entry["last"]):
            entry["last"] = last
    ops = [
        UpdateOne(
            {"_id": mid},
            {
                "$set": {
                    "status": worst_status(entry["statuses"]),
                    "last_reading_at": entry["last"],
                    "bearing_count": entry["count"],
                }
            },
        )
        for mid, entry in summary.items()
    ]
    collection(Machine).bulk_write(ops, ordered=False, session=session)
    if version_bump:
        data_version_bump(session=session)


def latest_state_rebuild() -> int:
    """Recompute every bearing's and machine's latest state from readings; return bearings."""
    pipeline = [
        {"$sort": {"bearing_id": 1, "timestamp": -1}},
        {"$group": {"_id": "$bearing_id", **{f: {"$first": f"${f}"} for f in (
            "machine_id", "timestamp", "status", "temperature")},
            "reading_id": {"$first": "$_id"},
            "velocity_rms": {"$first": "$velocity.rms"},
            "acceleration_rms": {"$first": "$acceleration.rms"}}},
    ]  # fmt: skip
    latest = {}
    for row in collection(Reading).aggregate(pipeline, allowDiskUse=True):
        latest[row["_id"]] = {
            "_id": row["reading_id"],
            "machine_id": row["machine_id"],
            "timestamp": row["timestamp"],
            "status": row["status"],
            "temperature": row.get("temperature"),
            "velocity": {"rms": row.get("velocity_rms")},
            "acceleration": {"rms": row.get("acceleration_rms")},
        }
    bearings = collection(Bearing)
    # Bearings without readings go back to "no data".
    bearings.update_many(
        {"_id": {"$nin": list(latest)}},
        {"$set": {k: None for k in _bearing_latest({"_id": None, "timestamp": None,
                                                     "status": None})}},
    )  # fmt: skip
    ops = [UpdateOne({"_id": b}, {"$set": _bearing_latest(r)}) for b, r in latest.items()]
    if ops:
        bearings.bulk_write(ops, ordered=False)
    machines_refresh(collection(Machine).distinct("_id"))
    return len(latest)


# --------------------------------------------------------------------------------------------
# Raw waveform storage per retention tier
# --------------------------------------------------------------------------------------------


def waveform_tier_name(tier: str | None) -> str:
    """The totals' name of a waveform's ``tier`` field (null inside the raw window: raw)."""
    return tier or WaveformTierTotal.RAW


def waveform_tiers_add(*, changes: Mapping[str, tuple[int, int]], session=None) -> None:
    """Add (count, bytes) to tiers' running totals; negative to take away."""
    writes = [
        UpdateOne({"_id": tier}, {"$inc": {"count": n, "bytes": b}}, upsert=True)
        for tier, (n, b) in changes.items()
        if n or b
    ]
    if writes:
        collection(WaveformTierTotal).bulk_write(writes, ordered=False, session=session)


def waveform_tiers_recount() -> dict[str, dict]:
    """Recount every tier from the waveforms and store the totals (retention runs this daily,
    correcting any drift): one index-covered $group per tier over (tier, stored_bytes)."""
    totals = {}
    for name, tier in ((WaveformTierTotal.RAW, None), (WaveformTierTotal.DAILY, "daily"),
                       (WaveformTierTotal.EVIDENCE, "evidence")):  # fmt: skip
        rows = list(collection(Waveform).aggregate([
            {"$match": {"tier": tier}},
            {"$project": {"_id": 0, "stored_bytes": 1}},
            {"$group": {"_id": None, "n": {"$sum": 1}, "b": {"$sum": "$stored_bytes"}}},
        ]))  # fmt: skip
        totals[name] = {"count": rows[0]["n"], "bytes": rows[0]["b"]} if rows else {
            "count": 0, "bytes": 0}  # fmt: skip
        collection(WaveformTierTotal).update_one({"_id": name}, {"$set": totals[name]}, upsert=True)
    return totals


def data_version_bump(*, session=None) -> None:
    """Mark the monitoring data as changed, so cached dashboard answers are not served again."""
    collection(DataVersion).update_one(
        {"_id": DataVersion.DASHBOARD},
        {"$inc": {"version": 1}, "$set": {"changed_at": dt.datetime.now(dt.UTC)}},
        upsert=True,
        session=session,
    )


# --------------------------------------------------------------------------------------------
# Owner moves: a machine's customer and area follow it onto every copy
# --------------------------------------------------------------------------------------------

#: The machine fields copied for index-led scoping: onto its bearings (customer), readings and
#: bearing rollups (both); the area rollups are keyed by them.
OWNER_FIELDS = ("customer", "area")
_AREA_SOURCE_FIELDS = {
    "_id": 0,
    "hour": 1,
    "count": 1,
    "statuses": 1,
    **dict.fromkeys(AREA_METRICS, 1),
}
_WRITE_CHUNK = 1000


class IngestionLockRequiredError(RuntimeError):
    """A write that must not overlap an ingestion run was called without the lock."""


def _ingestion_lock_held() -> bool:
    """Whether some holder has a live ingestion lease (ingestion/lock.py keeps it)."""
    now = dt.datetime.now(dt.UTC)
    return collection(IngestionLock).find_one({"expires_at": {"$gt": now}}, {"_id": 1}) is not None


def machine_owner_propagate(*, machine_id, customer: str, area: str) -> bool:
    """Move a machine to another owner (customer and area), and every copy of it along.

    Bearings, readings and bearing rollups get the new customer/area; the area rollups of
    every owner involved are recomputed for the machine's hours; the machine's own fields
    change last. Returns False when there was nothing to do.

    Crash-safe and idempotent: the first write records on the machine (``pending_owners``)
    every owner its copies may be spread over; the last write sets the owner and clears it in
    one document update. A run that stopped in between leaves the marker, and calling this
    again (the next catalogue sync does, for the vendor's current owner, even if that is the
    old one again) recomputes every owner recorded there. Each step sets values or recomputes
    from stored data, so repeating one changes nothing. Callers hold the ingestion lock (so
    no batch writes rollups meanwhile); without it this raises IngestionLockRequiredError.
    """
    if not _ingestion_lock_held():
        raise IngestionLockRequiredError("an owner move needs the ingestion lock")
    machines = collection(Machine)
    machine = machines.find_one({"_id": machine_id}, [*OWNER_FIELDS, "pending_owners"])
    if machine is None:
        raise Machine.DoesNotExist(f"machine {machine_id} does not exist")
    new, old = (customer, area), (machine["customer"], machine["area"])
    pending = {tuple(owner) for owner in machine.get("pending_owners") or []}
    if old == new and not pending:
        return False
    touched = {old, new} | pending
    machines.update_one({"_id": machine_id}, {"$set": {"pending_owners": sorted(touched)}})
    _owner_copies_move(machine_id, customer=customer, area=area)
    hours = _machine_hours(machine_id)
    for owner in sorted(touched):
        members = _owner_machines(owner, moved=machine_id, moved_to=new)
        area_rollups_recompute(customer=owner[0], area=owner[1], hours=hours, machine_ids=members)
    machines.update_one(
        {"_id": machine_id},
        {"$set": {"customer": customer, "area": area, "pending_owners": [],
                  "updated_at": dt.datetime.now(dt.UTC)}},
    )  # fmt: skip
    data_version_bump()
    return True


def _owner_copies_move(machine_id, *, customer: str, area: str) -> None:
    """Set the owner on the machine's bearings, readings and bearing rollups.

    One ``update_many`` each, filtered on ``machine_id`` alone: it is indexed on all three, and
    SecantusDB scans the collection as soon as a filter adds a predicate off the index (so no
    "not moved yet" condition). The server applies it document by document, not as one
    transaction; a stop half-way is finished by the next call (the caller's marker), and
    MongoDB does not rewrite documents whose values are already set.
    """
    collection(Bearing).update_many({"machine_id": machine_id}, {"$set": {"customer": customer}})
    owner = {"customer": customer, "area": area}
    for model in (Reading, BearingHourlyRollup):
        collection(model).update_many({"machine_id": machine_id}, {"$set": owner})


def _machine_hours(machine_id) -> list:
    """The hours a machine has data in, sorted (its bearing rollups, by the machine index)."""
    rollups = collection(BearingHourlyRollup).find({"machine_id": machine_id}, {"hour": 1})
    return sorted({doc["hour"] for doc in rollups})


def _owner_machines(owner: tuple[str, str], *, moved, moved_to: tuple[str, str]) -> list:
    """The machines whose data an owner's area rollups count, the moving machine at its target."""
    customer, area = owner
    # By the customer index; the area is compared here (no machines index holds both).
    found = collection(Machine).find({"customer": customer}, {"area": 1})
    ids = {d["_id"] for d in found if d.get("area") == area}
    ids.discard(moved)
    if owner == moved_to:
        ids.add(moved)
    return sorted(ids)


def area_rollups_recompute(*, customer: str, area: str, hours: list, machine_ids: list) -> int:
    """Rewrite an owner's area rollups of these hours from its machines' bearing rollups.

    ``hours`` are naive UTC hour starts, sorted; ``machine_ids`` the machines whose data the
    owner's rollups count (one indexed (machine_id, hour) range query each). An hour without
    data loses its document. Returns the documents written or deleted.
    """
    if not hours:
        return 0
    span = {"$gte": hours[0], "$lte": hours[-1]}
    wanted = set(hours)
    buckets: dict = {}
    for machine_id in machine_ids:
        query = {"machine_id": machine_id, "hour": span}
        for doc in collection(BearingHourlyRollup).find(query, _AREA_SOURCE_FIELDS):
            if doc["hour"] in wanted:
                buckets.setdefault(doc["hour"], _Bucket(AREA_METRICS)).merge(doc)
    rollups = collection(AreaHourlyRollup)
    owner = {"customer": customer, "area": area}
    stored = {d["hour"]: d["_id"] for d in rollups.find({**owner, "hour": span}, {"hour": 1})}
    ops: list = []
    for hour in hours:
        bucket, stored_id = buckets.get(hour), stored.get(hour)
        if bucket is None:
            ops += [DeleteOne({"_id": stored_id})] if stored_id is not None else []
        elif stored_id is None:
            ops.append(InsertOne(bucket.document({**owner, "hour": hour}, {})))
        else:
            ops.append(ReplaceOne({"_id": stored_id}, bucket.document({**owner, "hour": hour}, {})))
    for start in range(0, len(ops), _WRITE_CHUNK):
        rollups.bulk_write(ops[start : start + _WRITE_CHUNK], ordered=False)
    return len(ops)
