"""Reads that are more than a queryset: rollup reads, time bucketing, spectra, system facts.

Every function takes ``customers`` (``None`` = every customer) so per-customer access control
is one argument at the call site. Hot paths read the denormalized latest state on machines and
bearings and the hourly rollups, so their cost grows with buckets, not readings; readings are
only read in bounded time ranges (the partial edge hours of a window, raw time series) and
spectra only by :func:`fft_get`.

Raw reads are ``aggregate`` pipelines with flat projections (SecantusDB mishandles the nested
projections the ORM emits across relations, docs/stack-notes.md) or, on the hot list and
detail endpoints, plain ``find`` calls returning documents that the serializers render with
``from_document``: the ORM's per-query compilation and per-row model instances cost more than
the database round trip there. Tests count round trips with a pymongo command listener.
Datetimes come back from pymongo naive in UTC; :func:`_utc` makes them aware.

Reading queries and the planners (tests/monitoring/test_api_index_use.py checks every one)
----------------------------------------------------------------------------------------------
Readings are indexed on (machine_id, -timestamp), (bearing_id, -timestamp),
(customer, -timestamp) and (-timestamp). SecantusDB plans an index only when *every*
predicate of the pipeline's first ``$match`` lies on that index: an ``$in`` next to another
predicate, a top-level ``$or``, an ``_id`` next to anything else, or a pipeline without a
``$match`` is a collection scan; it never merges consecutive ``$match`` stages, and it honours
``$sort: {timestamp, _id}`` + ``$limit`` only after a timestamp range. MongoDB merges the
stages and plans the same index. So every reading query is built by :func:`reading_stages`:
a first ``$match`` with a timestamp range (always) and at most one equality leading an index,
then a second ``$match`` with the rest. What one range cannot express (two disjoint time
ranges) is one query per range, a fixed number of them. The ORM cannot produce this shape (it
puts every filter in one ``$match`` and adds an ``$addFields`` before a cursor's ``$sort``),
so readings are never read through querysets on hot paths.

An index range is not yet a bounded read for a page of :func:`readings_page`: SecantusDB reads
the whole matching range before a ``$sort`` + ``$limit`` (no limit push-down), and MongoDB can
take ``timestamp`` order from the index but not the ``_id`` tie-break, which no readings index
holds, so it sorts the matching range in memory. Indexes ending in ``_id`` would fix MongoDB.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import zoneinfo
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
import pymongo
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django_mongodb_backend.queryset import MongoQuerySet

from monitoring.models import (
    ALERT_STATUSES,
    AreaHourlyRollup,
    Bearing,
    BearingHourlyRollup,
    DataVersion,
    IngestionRun,
    Machine,
    Reading,
    Spectrum,
    Status,
)
from monitoring.services import DASHBOARD_DATA, collection
from monitoring.vibration.markers import spectrum_markers
from monitoring.vibration.spectrum import spectrum_peaks

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
STATUSES = [s.value for s in Status]

# Time-series metric name -> (rollup field, path in a reading document, unit).
METRICS: dict[str, tuple[str, str, str]] = {
    "acceleration.rms": ("acceleration_rms", "acceleration.rms", "g"),
    "acceleration.peak": ("acceleration_peak", "acceleration.peak", "g"),
    "acceleration.crest_factor": ("acceleration_crest_factor", "acceleration.crest_factor", "1"),
    "acceleration.kurtosis": ("acceleration_kurtosis", "acceleration.kurtosis", "1"),
    "velocity.rms": ("velocity_rms", "velocity.rms", "mm/s"),
    "velocity.peak": ("velocity_peak", "velocity.peak", "mm/s"),
    "velocity.crest_factor": ("velocity_crest_factor", "velocity.crest_factor", "1"),
    "temperature": ("temperature", "temperature", "°C"),
}
DEFAULT_METRICS = ("velocity.rms", "acceleration.rms", "temperature")
INTERVALS = ("raw", "hour", "day")
AGGREGATES = ("avg", "max", "min")
# A default interval keeps each series near this many points; more than the limit is refused.
TARGET_POINTS = 1000
MAX_POINTS = 10_000
PEAK_COUNT = 5


class PointLimitExceeded(Exception):
    """A time series would return more points per series than :data:`MAX_POINTS`."""

    def __init__(self, points: int, interval: str):
        super().__init__(points, interval)
        self.points = points
        self.interval = interval


def current_time() -> dt.datetime:
    """Now, aware in UTC (one place, so tests can pin the clock)."""
    return timezone.now()


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A datetime from pymongo (naive UTC) or the ORM (aware), as aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def floor_hour(value: dt.datetime) -> dt.datetime:
    """The start of the UTC hour holding ``value``."""
    return _utc(value).replace(minute=0, second=0, microsecond=0)


def ceil_hour(value: dt.datetime) -> dt.datetime:
    """The first UTC hour start at or after ``value``."""
    start = floor_hour(value)
    return start if start == _utc(value) else start + HOUR


def _aggregate(model, pipeline: list[dict]) -> list[dict]:
    """Run a pipeline on a model's collection and return every row."""
    return list(collection(model).aggregate(pipeline))


def customer_condition(
    customers: Sequence[str] | None, requested: Sequence[str] | None = None
) -> dict | None:
    """The Mongo condition on ``customer`` for an access scope and a requested filter.

    ``None`` means "no restriction". A requested customer outside the scope matches nothing.
    """
    allowed: list[str] | None = None if customers is None else list(customers)
    if requested:
        allowed = list(requested) if allowed is None else [c for c in requested if c in allowed]
    return None if allowed is None else {"$in": allowed}


def _match(
    customers: Sequence[str] | None,
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
    **extra: Any,
) -> dict:
    """A $match document for customer scope, customer/area filters and extra conditions."""
    match: dict[str, Any] = dict(extra)
    condition = customer_condition(customers, customer)
    if condition is not None:
        match["customer"] = condition
    if area:
        match["area"] = {"$in": list(area)}
    return match


# Fields leading a (field, -timestamp) index on readings, most selective first.
READING_INDEX_KEYS = ("bearing_id", "machine_id", "customer")
# Bounds that hold every stored reading, for queries that need a timestamp range to plan an index.
TIME_MIN = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
TIME_MAX = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
# readings_page reads an hour of readings, then 8 times the last window, until its page is full.
PAGE_WINDOW = dt.timedelta(hours=1)
PAGE_WINDOW_GROWTH = 8
_NO_VALUE = object()


def _single_value(condition: Any) -> Any:
    """The one value an equality or a one-item ``$in`` allows, else ``_NO_VALUE``."""
    if not isinstance(condition, dict):
        return condition
    values = condition.get("$in") if len(condition) == 1 else None
    if isinstance(values, list | tuple) and len(values) == 1:
        return values[0]
    return _NO_VALUE


def _index_led_stages(
    range_field: str, bounds: dict, conditions: dict | None, index_keys: Sequence[str]
) -> list[dict]:
    """A first ``$match`` one index serves (the range and at most one equality leading an
    index, from ``index_keys`` in order), then a second ``$match`` with the rest (module doc)."""
    rest = {k: v for k, v in (conditions or {}).items() if v is not None}
    first: dict[str, Any] = {}
    for key in index_keys:
        value = _single_value(rest.get(key, _NO_VALUE))
        if value is not _NO_VALUE:
            first[key] = value
            del rest[key]
            break
    first[range_field] = bounds
    return [{"$match": first}, {"$match": rest}] if rest else [{"$match": first}]


def reading_stages(timestamp: dict, conditions: dict | None = None) -> list[dict]:
    """``$match`` stages for readings in a timestamp range meeting ``conditions`` (None: any)."""
    return _index_led_stages("timestamp", timestamp, conditions, READING_INDEX_KEYS)


def rollup_stages(model, hours: dict, conditions: dict | None = None) -> list[dict]:
    """``$match`` stages for rollups in an hour range meeting ``conditions`` (None: any).

    As for readings: on bearing rollups the hour range with one bearing (the unique
    (bearing_id, hour) index) or one machine ((machine_id, hour)); on area rollups the hour
    range alone ((hour), a few documents per hour), since an ``$in`` over customers or areas
    beside it is a collection scan on SecantusDB.
    """
    keys = ("bearing_id", "machine_id") if model is BearingHourlyRollup else ()
    return _index_led_stages("hour", hours, conditions, keys)


def scope_queryset(queryset: QuerySet, customers: Sequence[str] | None) -> QuerySet:
    """A queryset restricted to the customers in scope (``None`` = all)."""
    if customers is None:
        return queryset
    return queryset.filter(customer__in=list(customers))


def _ratio(total: float, count: int) -> float | None:
    """An average from a sum and a count (None for an empty bucket)."""
    return total / count if count else None


# --------------------------------------------------------------------------------------------
# Querysets
# --------------------------------------------------------------------------------------------


def machines_list(*, customers: Sequence[str] | None = None) -> QuerySet[Machine]:
    """Machines in scope, by name; their status and counts are the denormalized fields."""
    return scope_queryset(Machine.objects.order_by("machine_name", "id"), customers)


def bearings_list(*, customers: Sequence[str] | None = None) -> QuerySet[Bearing]:
    """Bearings in scope (bearings carry their machine's customer)."""
    return scope_queryset(
        Bearing.objects.order_by("machine_id", "bearing_location", "id"), customers
    )


def readings_list(*, customers: Sequence[str] | None = None) -> QuerySet[Reading]:
    """Readings in scope, newest first (for forms; the API pages with :func:`readings_page`)."""
    return scope_queryset(Reading.objects.order_by("-timestamp", "-id"), customers)


def in_scope(customer: str | None, customers: Sequence[str] | None) -> bool:
    """Whether a document of this customer is visible in this scope (``None`` = all)."""
    return customers is None or customer in customers


# Hot endpoints read plain documents with pymongo: the same queries the ORM would send, less
# its per-query compilation and per-row model instances (bench/RESULTS.md has the figures).
MACHINE_ORDER = [("machine_name", pymongo.ASCENDING), ("_id", pymongo.ASCENDING)]
BEARING_ORDER = [
    ("machine_id", pymongo.ASCENDING),
    ("bearing_location", pymongo.ASCENDING),
    ("_id", pymongo.ASCENDING),
]
MACHINE_SORT_KEYS = {"machine_name", "status", "last_reading_at"}


def machine_document_get(*, machine_id, customers: Sequence[str] | None = None) -> dict | None:
    """One machine document in scope, or None."""
    doc = collection(Machine).find_one({"_id": machine_id})
    return doc if doc is not None and in_scope(doc.get("customer"), customers) else None


def machine_bearing_documents(*, machine_id) -> list[dict]:
    """A machine's bearing documents, by location (bearings carry their machine's customer)."""
    return list(collection(Bearing).find({"machine_id": machine_id}).sort(BEARING_ORDER[1:]))


class Documents:
    """A lazy query over one collection: ``count()`` and slices, what Django's Paginator needs.

    Like a queryset, nothing runs until counted or sliced; a slice is one ``find`` (or, with
    ``add_fields``, one aggregation) with sort, skip and limit.
    """

    def __init__(self, model, query: dict, sort: list, add_fields: dict | None = None):
        self.collection = collection(model)
        self.query, self.sort, self.add_fields = query, sort, add_fields

    def count(self) -> int:
        """Matching documents."""
        return self.collection.count_documents(self.query)

    def __getitem__(self, item: slice) -> list[dict]:
        if not isinstance(item, slice) or item.step is not None:
            raise TypeError("Documents supports plain slices only")
        skip, stop = item.start or 0, item.stop
        if stop is not None and stop <= skip:
            return []
        if self.add_fields:
            pipeline = [
                {"$match": self.query},
                {"$addFields": self.add_fields},
                {"$sort": dict(self.sort)},
                {"$skip": skip},
                *([{"$limit": stop - skip}] if stop is not None else []),
                {"$project": dict.fromkeys(self.add_fields, 0)},
            ]
            return list(self.collection.aggregate(pipeline))
        cursor = self.collection.find(self.query).sort(self.sort).skip(skip)
        return list(cursor.limit(stop - skip) if stop is not None else cursor)


def machine_documents(
    *,
    customers: Sequence[str] | None = None,
    filters: dict[str, list[str]] | None = None,
    ordering: Sequence[str] = (),
) -> Documents:
    """Machine documents in scope matching ``field -> any of values`` filters.

    ``ordering`` items are ``MACHINE_SORT_KEYS``, ``-`` for descending; status sorts by
    severity (no status first), and ties are broken by name and id, as the list always is.
    """
    query: dict = {}
    scope = customer_condition(customers, (filters or {}).get("customer"))
    if scope is not None:
        query["customer"] = scope
    for name, values in (filters or {}).items():
        if name != "customer" and values:
            query[name] = {"$in": list(values)}
    sort, add_fields = [], None
    for item in ordering:
        name = item.lstrip("-")
        if name not in MACHINE_SORT_KEYS:
            raise ValueError(f"cannot order machines by {item!r}")
        if name == "status":
            name, add_fields = (
                "status_rank",
                {"status_rank": {"$indexOfArray": [STATUSES, "$status"]}},
            )
        sort.append((name, pymongo.DESCENDING if item.startswith("-") else pymongo.ASCENDING))
    # The first occurrence of a key decides its direction (a sort document cannot repeat one).
    directions: dict = {}
    for key, direction in sort + MACHINE_ORDER:
        directions.setdefault(key, direction)
    return Documents(Machine, query, list(directions.items()), add_fields)


def bearing_documents(*, customers: Sequence[str] | None = None, machine_id=None) -> Documents:
    """Bearing documents in scope, of one machine or all, by machine and location."""
    query: dict = {}
    if machine_id is not None:
        query["machine_id"] = machine_id
    if customers is not None:
        query["customer"] = {"$in": list(customers)}
    return Documents(Bearing, query, BEARING_ORDER)


def latest_reading_documents(
    *, machine_id, customers: Sequence[str] | None = None
) -> list[tuple[dict, dict | None]]:
    """Each bearing document of a machine with its latest reading document (or None)."""
    bearings = machine_bearing_documents(machine_id=machine_id)
    ids = [b["last_reading_id"] for b in bearings if b.get("last_reading_id") is not None]
    readings = {}
    if ids:
        # By id alone (the _id index); no sort: the bearings give the order.
        projection = {"ingested_at": 0, "external_id": 0}
        for doc in collection(Reading).find({"_id": {"$in": ids}}, projection):
            if in_scope(doc.get("customer"), customers):
                readings[doc["_id"]] = doc
    return [(b, readings.get(b.get("last_reading_id"))) for b in bearings]


# Every reading column, present (null when missing) in every row: raw_aggregate takes its
# columns from the first row, so a sparse first document would defer fields of the others.
READING_COLUMNS = {
    f.column: {"$ifNull": [f"${f.column}", None]}
    for f in Reading._meta.concrete_fields
    if f.column != "_id"
}


def _reading_instances(pipeline: list[dict]) -> list[Reading]:
    """Reading instances from a pipeline over readings (one query, every field loaded)."""
    # Reading's default manager is Django's; MongoQuerySet adds raw_aggregate to any model.
    readings = MongoQuerySet(Reading)
    return list(readings.raw_aggregate([*pipeline, {"$project": READING_COLUMNS}]))


def readings_page(
    *,
    limit: int,
    position: tuple[dt.datetime, Any] | None = None,
    newer: bool = False,
    customers: Sequence[str] | None = None,
    machine_id=None,
    bearing_id=None,
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
    status: Sequence[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    min_velocity_rms: float | None = None,
    max_velocity_rms: float | None = None,
) -> list[Reading]:
    """Up to ``limit`` matching readings past a (timestamp, id) ``position``, in walking order."""
    # Older than the position, newest first; with ``newer``, newer than it, oldest first. Ties
    # on the timestamp are ordered by id, so pages neither overlap nor skip readings.
    low, high = start, end or TIME_MAX
    conditions: dict[str, Any] = {
        "machine_id": machine_id,
        "bearing_id": bearing_id,
        "customer": customer_condition(customers, customer),
        "area": {"$in": list(area)} if area else None,
        "status": {"$in": list(status)} if status else None,
    }
    velocity = {}
    if min_velocity_rms is not None:
        velocity["$gte"] = min_velocity_rms
    if max_velocity_rms is not None:
        velocity["$lte"] = max_velocity_rms
    if velocity:
        conditions["velocity.rms"] = velocity
    direction = 1 if newer else -1
    low = TIME_MIN if low is None else low
    if position is not None:
        at, pk = position
        if newer:
            low = max(low, at)
            conditions["$or"] = [{"timestamp": {"$gt": at}}, {"_id": {"$gt": pk}}]
        else:
            high = min(high, at)
            conditions["$or"] = [{"timestamp": {"$lt": at}}, {"_id": {"$lt": pk}}]
    page: list[Reading] = []
    for window in _page_windows(low=low, high=high, newer=newer):
        page += _reading_instances(
            [
                *reading_stages(window, conditions),
                {"$sort": {"timestamp": direction, "_id": direction}},
                {"$limit": limit - len(page)},
            ]
        )
        if len(page) >= limit:
            break
    return page


def _page_windows(*, low: dt.datetime, high: dt.datetime, newer: bool) -> Iterable[dict]:
    """Disjoint timestamp ranges covering [low, high], from the walk's starting edge outwards.

    A page sorts everything its range matches (SecantusDB has no limit push-down, and no
    readings index holds the ``_id`` tie-break for MongoDB), so instead of the whole history a
    page reads an hour past its starting point, then 8 hours, 64, ... until it has its
    readings: its cost follows the readings near it, not the history behind it. Walking back
    from a bound later than now, the first window also holds everything after now (readings
    stamped ahead of the clock). About ten windows reach from now back to the year 1.
    """
    width = PAGE_WINDOW
    if newer:
        edge = low
        while high - edge > width:
            yield {"$gte": edge, "$lt": edge + width}
            edge, width = edge + width, width * PAGE_WINDOW_GROWTH
        yield {"$gte": edge, "$lte": high}
        return
    edge, bound = high, {"$lte": high}
    now = current_time()
    if high > now:
        edge = max(low, now)
    while edge - low > width:
        yield {"$gte": edge - width, **bound}
        edge, width, bound = edge - width, width * PAGE_WINDOW_GROWTH, {"$lt": edge - width}
    yield {"$gte": low, **bound}


# --------------------------------------------------------------------------------------------
# Machines
# --------------------------------------------------------------------------------------------


def _reading_counts(
    *,
    rollup_match: dict,
    reading_match: dict,
    group_key: str | None,
    start: dt.datetime,
    end: dt.datetime,
    rollup_model=BearingHourlyRollup,
) -> dict:
    """Exact reading counts in [start, end] per ``group_key`` (or under ``None`` overall).

    Full hours come from rollups (cost grows with hours); the partial hours at either edge
    are counted from readings, which is bounded (at most two hours of readings).
    """
    first_full, last_full = ceil_hour(start), floor_hour(end)
    key = f"${group_key}" if group_key else None
    counts: dict = {}
    if first_full < last_full:
        counts = _rollup_counts(
            rollup_model, {"$gte": first_full, "$lt": last_full}, rollup_match, group_key
        )
        # One query per edge (no index range holds both); both even when the first is empty
        # (an aligned start), so the round trips depend only on whether a full hour exists.
        edges = [{"$gte": start, "$lt": first_full}, {"$gte": last_full, "$lte": end}]
    else:
        edges = [{"$gte": start, "$lte": end}]
    for edge in edges:
        for row in _aggregate(
            Reading,
            [*reading_stages(edge, reading_match), {"$group": {"_id": key, "n": {"$sum": 1}}}],
        ):
            counts[row["_id"]] = counts.get(row["_id"], 0) + row["n"]
    return counts


def _rollup_counts(model, hours: dict, match: dict, group_key: str | None) -> dict:
    """Readings the rollups hold in an hour range, per ``group_key`` (or under ``None``)."""
    rows = _aggregate(
        model,
        [
            *rollup_stages(model, hours, match),
            {"$group": {"_id": f"${group_key}" if group_key else None, "n": {"$sum": "$count"}}},
        ],
    )
    return {row["_id"]: row["n"] for row in rows}


def _series_points(span: dt.timedelta, interval: str) -> int:
    """Buckets an hour or day interval needs for a span."""
    step = HOUR if interval == "hour" else DAY
    return math.floor(span / step) + 1


def timeseries_get(
    *,
    machine_id,
    start: dt.datetime,
    end: dt.datetime,
    bearing_id=None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    interval: str | None = None,
    agg: str = "avg",
) -> dict:
    """Series per bearing and metric over [start, end]: raw readings or hour/day rollups.

    With ``interval=None`` the finest interval giving at most ~:data:`TARGET_POINTS` points per
    series is picked; a raw request over :data:`MAX_POINTS` per series raises
    :class:`PointLimitExceeded`. Hour and day buckets read rollups only. A ``bearing_id`` that
    is not one of the machine's bearings raises ``Bearing.DoesNotExist``. The caller has
    checked the machine is in the request's scope (its bearings and data carry its customer).
    """
    start, end = _utc(start), _utc(end)
    bearings = machine_bearing_documents(machine_id=machine_id)
    if bearing_id is not None:
        bearings = [b for b in bearings if b["_id"] == bearing_id]
        if not bearings:
            raise Bearing.DoesNotExist("no such bearing on this machine")
    ids = [b["_id"] for b in bearings]
    base = {"machine_id": machine_id, "bearing_id": {"$in": ids}}

    chosen = interval
    if interval in (None, "raw") and ids:
        # Points per series decide: refused over MAX_POINTS (raw), raw up to TARGET_POINTS
        # (auto). A bound from the rollups of the hours touched decides alone when it is within
        # the limit (exact <= bound); only near the limit are the edge hours counted exactly.
        limit = MAX_POINTS if interval == "raw" else TARGET_POINTS
        hours_touched = {"$gte": floor_hour(start), "$lte": end}
        bound = _rollup_counts(BearingHourlyRollup, hours_touched, base, "bearing_id")
        per_series = max(bound.values(), default=0)
        if per_series > limit:
            counts = _reading_counts(
                rollup_match=base, reading_match=base, group_key="bearing_id", start=start, end=end
            )
            per_series = max(counts.values(), default=0)
        if interval == "raw" and per_series > MAX_POINTS:
            raise PointLimitExceeded(per_series, "raw")
        if interval is None and per_series <= TARGET_POINTS:
            chosen = "raw"
    span = end - floor_hour(start)
    if chosen is None:
        chosen = "hour" if _series_points(span, "hour") <= TARGET_POINTS else "day"
    if chosen in ("hour", "day") and _series_points(span, chosen) > MAX_POINTS:
        raise PointLimitExceeded(_series_points(span, chosen), chosen)
    interval = chosen

    points: dict = {(b_id, m): [] for b_id in ids for m in metrics}
    if ids:
        reader = _raw_points if interval == "raw" else _bucket_points
        reader(points, base=base, start=start, end=end, metrics=metrics, interval=interval, agg=agg)
    series = [
        {
            "bearing_id": b["_id"],
            "bearing_location": b.get("bearing_location", ""),
            "metric": m,
            "unit": METRICS[m][2],
            "points": points[(b["_id"], m)],
        }
        for b in bearings
        for m in metrics
    ]
    return {
        "machine_id": machine_id,
        "start": start,
        "end": end,
        "interval": interval,
        "agg": None if interval == "raw" else agg,
        "units": {m: METRICS[m][2] for m in metrics},
        "series": series,
    }


def _raw_points(points, *, base, start, end, metrics, **_) -> None:
    """Fill ``points`` from readings in [start, end] (machine or bearing index, by time)."""
    projection = {"_id": 0, "bearing_id": 1, "timestamp": 1}
    projection.update({METRICS[m][1]: 1 for m in metrics})
    rows = _aggregate(
        Reading,
        [*reading_stages({"$gte": start, "$lte": end}, base), {"$project": projection}],
    )
    for row in rows:
        when = _utc(row["timestamp"])
        for m in metrics:
            value = row
            for part in METRICS[m][1].split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                points[(row["bearing_id"], m)].append((when, value))
    # Sorted here, not by a $sort: rows come in index order (by time, newest first) already,
    # which Python's sort turns round in one pass; SecantusDB would sort every row again.
    for series in points.values():
        series.sort(key=itemgetter(0))


def _bucket_points(points, *, base, start, end, metrics, interval, agg) -> None:
    """Fill ``points`` with hour or day buckets from the bearing rollups."""
    fields = [METRICS[m][0] for m in metrics]
    bucket = "$hour" if interval == "hour" else {"$dateTrunc": {"date": "$hour", "unit": "day"}}
    group: dict[str, Any] = {"_id": {"b": "$bearing_id", "t": bucket}}
    for f in fields:
        group[f"{f}__sum"] = {"$sum": f"${f}.sum"}
        group[f"{f}__count"] = {"$sum": f"${f}.count"}
        group[f"{f}__max"] = {"$max": f"${f}.max"}
        group[f"{f}__min"] = {"$min": f"${f}.min"}
    first = floor_hour(start) if interval == "hour" else floor_hour(start).replace(hour=0)
    rows = _aggregate(
        BearingHourlyRollup,
        [
            *rollup_stages(BearingHourlyRollup, {"$gte": first, "$lte": end}, base),
            {"$group": group},
            {"$sort": {"_id.t": 1}},
        ],
    )
    for row in rows:
        when = _utc(row["_id"]["t"])
        for m, f in zip(metrics, fields, strict=True):
            count = row[f"{f}__count"]
            if not count:
                continue
            value = row[f"{f}__sum"] / count if agg == "avg" else row[f"{f}__{agg}"]
            if value is not None:
                points[(row["_id"]["b"], m)].append((when, value))


# --------------------------------------------------------------------------------------------
# Spectra
# --------------------------------------------------------------------------------------------


def fft_get(*, reading_id, customers: Sequence[str] | None = None) -> dict | None:
    """A reading's spectrum with peaks and bearing fault frequencies; None if there is none."""
    # By id alone (the _id index); the scope is checked on the one document found. Four finds
    # by indexed keys, read as plain documents (no ORM per request on this hot path).
    reading = collection(Reading).find_one(
        {"_id": reading_id}, {"machine_id": 1, "bearing_id": 1, "timestamp": 1, "customer": 1}
    )
    if reading is None or not in_scope(reading.get("customer"), customers):
        return None
    spectrum = collection(Spectrum).find_one({"reading_id": reading_id})
    if spectrum is None:
        return None
    bearing = collection(Bearing).find_one(
        {"_id": reading["bearing_id"]}, dict.fromkeys(Bearing.GEOMETRY_FIELDS, 1)
    )
    machine = collection(Machine).find_one({"_id": reading["machine_id"]}, {"running_speed_rpm": 1})

    # Stored data is trusted but a truncated payload must not turn into a 500.
    amps = Spectrum.decode_amplitudes(spectrum.get("amplitudes"))
    resolution_hz = spectrum.get("resolution_hz") or 0.0
    freqs = np.arange(amps.size, dtype=np.float64) * resolution_hz
    rpm = machine.get("running_speed_rpm") if machine else None
    running_speed_hz = rpm / 60.0 if rpm and rpm > 0 else None
    peaks = spectrum_peaks(freqs, amps, count=PEAK_COUNT, running_speed_hz=running_speed_hz)
    # Incomplete or inconsistent geometry entered by staff: no markers, not an error.
    faults = spectrum_markers(shaft_hz=running_speed_hz, geometry=bearing).fault_frequencies
    return {
        "reading_id": reading["_id"],
        "machine_id": reading["machine_id"],
        "bearing_id": reading["bearing_id"],
        "timestamp": reading["timestamp"],
        "sample_rate_hz": spectrum.get("sample_rate_hz"),
        "n_samples": spectrum.get("n_samples"),
        "resolution_hz": resolution_hz,
        "n_lines": int(amps.size),
        "window": spectrum.get("window"),
        "frequency_unit": "Hz",
        "amplitude_unit": spectrum.get("amplitude_unit"),
        "running_speed_hz": running_speed_hz,
        # float32 carries ~7 significant digits; printing more would be noise.
        # Arrays, encoded natively by the JSON renderer: frequencies to the micro-hertz, the
        # stored float32 amplitudes as float32 (the ~7 significant digits they carry).
        "frequencies": np.round(freqs, 6),
        "amplitudes": np.ascontiguousarray(amps, dtype=np.float32),
        "peaks": peaks,
        "fault_frequencies": faults,
    }


# --------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------


def _last_run(customers: Sequence[str] | None) -> IngestionRun | None:
    """The most recent ingestion run that concerns these customers (None = any)."""
    runs = IngestionRun.objects.order_by("-started_at")
    if customers is not None:
        # Runs over every customer ("") concern everyone; others only their own customer.
        runs = runs.filter(customer__in=[*customers, ""])
    return runs.first()


def kpis_get(
    *,
    customers: Sequence[str] | None = None,
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
) -> dict:
    """Fleet KPIs from the denormalized machine state and the area rollups (four queries)."""
    now = current_time()
    by_status = dict.fromkeys(STATUSES, 0)
    no_data = machines = bearings = 0
    for row in _aggregate(
        Machine,
        [
            {"$match": _match(customers, customer, area)},
            {
                "$group": {
                    "_id": "$status",
                    "n": {"$sum": 1},
                    "bearings": {"$sum": "$bearing_count"},
                }
            },
        ],
    ):
        machines += row["n"]
        bearings += row["bearings"]
        if row["_id"] in by_status:
            by_status[row["_id"]] += row["n"]
        else:
            no_data += row["n"]
    window_start = now - dt.timedelta(hours=24)
    counts = _reading_counts(
        rollup_match=_match(customers, customer, area),
        reading_match=_match(customers, customer, area),
        group_key=None,
        start=window_start,
        end=now,
        rollup_model=AreaHourlyRollup,
    )
    in_alert = sum(by_status[s] for s in ALERT_STATUSES)
    with_data = machines - no_data
    healthy = by_status[Status.NORMAL] + by_status[Status.SATISFACTORY]
    scope = customer_condition(customers, customer)
    return {
        "generated_at": now,
        "machines_total": machines,
        "machines_by_status": {**by_status, "no_data": no_data},
        "machines_in_alert": in_alert,
        "healthy_share": round(healthy / with_data, 4) if with_data else None,
        "bearings_total": bearings,
        "readings_last_24h": sum(counts.values()),
        "last_ingestion": _last_run(None if scope is None else scope["$in"]),
    }


def _zone(tz: str | zoneinfo.ZoneInfo) -> zoneinfo.ZoneInfo:
    """A ZoneInfo from an IANA name (already validated by the view)."""
    return tz if isinstance(tz, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo(tz)


def _hour_aligned(instants: Iterable[dt.datetime]) -> bool:
    """Whether every instant is a UTC hour start (then hourly rollups can serve the buckets)."""
    return all(t.minute == 0 and t.second == 0 and t.microsecond == 0 for t in instants)


def hourly_trends_get(
    *,
    hours: int = 24,
    tz: str = "UTC",
    customers: Sequence[str] | None = None,
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
) -> dict:
    """The last ``hours`` local hours (the current one included), oldest first.

    In zones whose offsets are whole hours every local hour is one UTC hour, so buckets are
    area-rollup hours (a DST day simply has 23 or 25 of them). Zones with other offsets (e.g.
    Asia/Kolkata, +05:30) are bucketed from readings in the bounded range with ``$dateTrunc``.
    """
    zone = _zone(tz)
    now = current_time()
    local_hour = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    current = local_hour.astimezone(dt.UTC)
    starts = [current - HOUR * k for k in range(hours - 1, -1, -1)]
    end = current + HOUR
    match = _match(customers, customer, area)
    rows: dict[dt.datetime, dict] = {}
    if _hour_aligned(starts):
        pipeline = [
            *rollup_stages(AreaHourlyRollup, {"$gte": starts[0], "$lt": end}, match),
            {
                "$group": {
                    "_id": "$hour",
                    "count": {"$sum": "$count"},
                    "v_sum": {"$sum": "$velocity_rms.sum"},
                    "v_count": {"$sum": "$velocity_rms.count"},
                    "v_max": {"$max": "$velocity_rms.max"},
                    "t_sum": {"$sum": "$temperature.sum"},
                    "t_count": {"$sum": "$temperature.count"},
                    "alerts": {"$sum": {"$add": ["$statuses.Alert", "$statuses.Unacceptable"]}},
                }
            },
        ]
        model = AreaHourlyRollup
    else:
        pipeline = [
            *reading_stages({"$gte": starts[0], "$lt": end}, match),
            {
                "$group": {
                    "_id": {
                        "$dateTrunc": {"date": "$timestamp", "unit": "hour", "timezone": zone.key}
                    },
                    "count": {"$sum": 1},
                    "v_sum": {"$sum": "$velocity.rms"},
                    "v_count": {"$sum": {"$cond": [{"$isNumber": "$velocity.rms"}, 1, 0]}},
                    "v_max": {"$max": "$velocity.rms"},
                    "t_sum": {"$sum": "$temperature"},
                    "t_count": {"$sum": {"$cond": [{"$isNumber": "$temperature"}, 1, 0]}},
                    "alerts": {
                        "$sum": {"$cond": [{"$in": ["$status", list(ALERT_STATUSES)]}, 1, 0]}
                    },
                }
            },
        ]
        model = Reading
    for row in _aggregate(model, pipeline):
        rows[_utc(row["_id"])] = row
    buckets = []
    for start in starts:
        row = rows.get(start)
        buckets.append(
            {
                "start": start,
                "local_start": start.astimezone(zone).isoformat(),
                "count": row["count"] if row else 0,
                "velocity_rms_avg": _ratio(row["v_sum"], row["v_count"]) if row else None,
                "velocity_rms_max": row["v_max"] if row and row["v_count"] else None,
                "temperature_avg": _ratio(row["t_sum"], row["t_count"]) if row else None,
                "alert_count": row["alerts"] if row else 0,
            }
        )
    return {"tz": zone.key, "hours": hours, "start": starts[0], "end": end, "buckets": buckets}


def _local_midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant a local day starts."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def status_trends_get(
    *,
    days: int = 7,
    tz: str = "UTC",
    customers: Sequence[str] | None = None,
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
) -> dict:
    """Readings per status for each of the last ``days`` local days (today included).

    Local days of whole-hour zones are whole UTC hours (23, 24 or 25 of them), so the area
    rollups are bucketed by the days' UTC boundaries; other zones read readings in the range.
    """
    zone = _zone(tz)
    today = current_time().astimezone(zone).date()
    dates = [today - dt.timedelta(days=k) for k in range(days - 1, -1, -1)]
    bounds = [_local_midnight(d, zone) for d in [*dates, today + dt.timedelta(days=1)]]
    match = _match(customers, customer, area)
    rows: dict[dt.datetime, dict] = {}
    if _hour_aligned(bounds):
        pipeline = [
            *rollup_stages(AreaHourlyRollup, {"$gte": bounds[0], "$lt": bounds[-1]}, match),
            {
                "$bucket": {
                    "groupBy": "$hour",
                    "boundaries": bounds,
                    "default": "outside",
                    "output": {s: {"$sum": f"$statuses.{s}"} for s in STATUSES},
                }
            },
        ]
        model = AreaHourlyRollup
    else:
        pipeline = [
            *reading_stages({"$gte": bounds[0], "$lt": bounds[-1]}, match),
            {
                "$group": {
                    "_id": {
                        "$dateTrunc": {"date": "$timestamp", "unit": "day", "timezone": zone.key}
                    },
                    **{s: {"$sum": {"$cond": [{"$eq": ["$status", s]}, 1, 0]}} for s in STATUSES},
                }
            },
        ]
        model = Reading
    for row in _aggregate(model, pipeline):
        if isinstance(row["_id"], dt.datetime):
            rows[_utc(row["_id"])] = row
    out = []
    for day, start, stop in zip(dates, bounds, bounds[1:], strict=False):
        row = rows.get(start) or {}
        counts = {s: int(row.get(s, 0)) for s in STATUSES}
        out.append(
            {
                "date": day.isoformat(),
                "start": start,
                "end": stop,
                "hours": round((stop - start) / HOUR),
                "counts": counts,
                "total": sum(counts.values()),
            }
        )
    return {"tz": zone.key, "days": out}


# --------------------------------------------------------------------------------------------
# Utility
# --------------------------------------------------------------------------------------------


HEALTH_TIMEOUT_S = 2.0


def health_get() -> dict:
    """Whether the database answers a ping within two seconds (never raises)."""
    started = time.monotonic()
    try:
        with pymongo.timeout(HEALTH_TIMEOUT_S):
            connection.ensure_connection()
            connection.database.command("ping")
        ok = True
    except Exception:
        ok = False
    return {
        "status": "ok" if ok else "error",
        "database": "ok" if ok else "unreachable",
        "database_latency_ms": round((time.monotonic() - started) * 1000, 1) if ok else None,
        "version": settings.APP_VERSION,
        "time": current_time(),
    }


def metadata_counts_are_cheap(build_info: dict) -> bool:
    """Whether estimated counts and dbStats come from metadata (MongoDB), not a full read.

    SecantusDB reads every document for both (factory_site/compat.py, note 5).
    """
    return "secantusVersion" not in build_info


# One document per reading, or per bearing and hour: as large as the readings.
GROWING_COLLECTIONS = (Spectrum, BearingHourlyRollup)
STATS_COLLECTIONS = {
    "machines": Machine,
    "bearings": Bearing,
    "readings": Reading,
    "spectra": Spectrum,
    "bearing_hourly_rollups": BearingHourlyRollup,
    "area_hourly_rollups": AreaHourlyRollup,
    "ingestion_runs": IngestionRun,
}


def _reading_summary(
    customers: Sequence[str] | None,
) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    """Readings in scope and their oldest and newest time, found via the area rollups."""
    # Ingestion adds to the rollups in the transaction that stores the readings, so their
    # counts are the readings' count; counting readings reads them all (SecantusDB walks every
    # document even for an estimated count) or, for a customer, its whole index range. The
    # first and last rollup hours bound two small reads for the exact times.
    scope = {"customer": customer_condition(customers)}
    summary = _aggregate(
        AreaHourlyRollup,
        [
            {"$match": _match(customers, count={"$gt": 0})},
            {
                "$group": {
                    "_id": None,
                    "n": {"$sum": "$count"},
                    "first": {"$min": "$hour"},
                    "last": {"$max": "$hour"},
                }
            },
        ],
    )
    if not summary:
        # No rollup in scope (never built; normally no readings either): one read over all time.
        rows = _aggregate(
            Reading,
            [
                *reading_stages({"$gte": TIME_MIN, "$lte": TIME_MAX}, scope),
                {
                    "$group": {
                        "_id": None,
                        "n": {"$sum": 1},
                        "first": {"$min": "$timestamp"},
                        "last": {"$max": "$timestamp"},
                    }
                },
            ],
        )
        if not rows:
            return 0, None, None
        return rows[0]["n"], _utc(rows[0]["first"]), _utc(rows[0]["last"])
    edges = []
    for hour, op in ((summary[0]["first"], "$min"), (summary[0]["last"], "$max")):
        hour = _utc(hour)
        rows = _aggregate(
            Reading,
            [
                *reading_stages({"$gte": hour, "$lt": hour + HOUR}, scope),
                {"$group": {"_id": None, "t": {op: "$timestamp"}}},
            ],
        )
        edges.append(_utc(rows[0]["t"]) if rows else None)
    return summary[0]["n"], edges[0], edges[1]


def stats_get(*, customers: Sequence[str] | None = None) -> dict:
    """Document counts, storage size, reading time range, last run and versions."""
    database = connection.database
    try:
        build_info = database.client.admin.command("buildInfo")
    except pymongo.errors.OperationFailure:
        build_info = {}
    server_version = build_info.get("version")
    # Where counts and sizes would read every document (SecantusDB), the collections that
    # grow with readings and the storage sizes are left out (null) rather than made slow.
    cheap = metadata_counts_are_cheap(build_info)
    readings, oldest, newest = _reading_summary(customers)
    counts = {}
    for name, model in STATS_COLLECTIONS.items():
        if model is Reading:
            counts[name] = readings
            continue
        coll = collection(model)
        has_customer = any(f.name == "customer" for f in model._meta.get_fields())
        if not cheap and model in GROWING_COLLECTIONS:
            counts[name] = None
        elif customers is None:
            counts[name] = coll.estimated_document_count()
        elif has_customer:
            counts[name] = coll.count_documents(_match(customers))
        else:
            counts[name] = None  # not attributable to a customer
    storage = {}
    if cheap:
        try:
            db_stats = database.command("dbStats")
            storage = {k: db_stats.get(k) for k in ("storageSize", "dataSize", "indexSize")}
        except pymongo.errors.OperationFailure:
            pass
    scope_sizes = customers is None
    return {
        "collections": counts,
        "storage_size_bytes": storage.get("storageSize") if scope_sizes else None,
        "data_size_bytes": storage.get("dataSize") if scope_sizes else None,
        "index_size_bytes": storage.get("indexSize") if scope_sizes else None,
        "oldest_reading_at": oldest,
        "newest_reading_at": newest,
        "last_ingestion": _last_run(customers),
        "app_version": settings.APP_VERSION,
        "server_version": server_version,
    }


def data_version_get() -> int:
    """The dashboard data version ingestion bumps on every change (0 before any)."""
    doc = collection(DataVersion).find_one({"_id": DASHBOARD_DATA}, {"version": 1})
    return doc["version"] if doc else 0
