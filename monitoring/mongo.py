"""MongoDB plumbing shared by reads (selectors) and writes (services).

Collection access and the index-led ``$match`` builders. Raw pipelines rather than querysets
on hot paths: the planners only serve the shapes built here.

How a reading query plans (tests/monitoring/test_api_index_use.py checks every endpoint's)
----------------------------------------------------------------------------------------------
Readings are indexed on (machine_id, -timestamp), (bearing_id, -timestamp),
(customer, -timestamp) and (-timestamp, -_id). SecantusDB plans an index only when *every*
predicate of the pipeline's first ``$match`` lies on that index: an ``$in`` next to another
predicate, a top-level ``$or``, an ``_id`` next to anything else, or a pipeline without a
``$match`` is a collection scan; it never merges consecutive ``$match`` stages. MongoDB merges
the stages and plans the same index. So every reading query is built by :func:`reading_stages`:
a first ``$match`` with a timestamp range (always) and at most one equality leading an index,
then a second ``$match`` with the rest. Rollups are read the same way (:func:`rollup_stages`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection

from monitoring import clock

#: Fields leading a (field, -timestamp) index on readings, most selective first.
READING_INDEX_KEYS = ("bearing_id", "machine_id", "customer")
#: Bounds that hold every stored reading, for queries that need a range to plan an index.
TIME_MIN = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
TIME_MAX = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
# A page of readings reads an hour, then 8 times the last window, until it is full.
PAGE_WINDOW = dt.timedelta(hours=1)
PAGE_WINDOW_GROWTH = 8
_NO_VALUE = object()


def collection(model):
    """The pymongo collection behind a model."""
    return connection.get_collection(model._meta.db_table)


def bulk_collection(model):
    """The pymongo collection behind a model, never wrapped for DEBUG query logging.

    For ingestion's batch inserts only: with DEBUG on, the backend logs each write with a deep
    copy and the repr of its documents, which for a batch of waveforms (tens of MB) costs
    more than the write and keeps up to 9,000 such strings in memory.
    """
    return connection.database[model._meta.db_table]


def in_transaction(work) -> None:
    """Run ``work(session)`` in one transaction (retried by the driver on transient errors)."""
    client = connection.get_collection("data_versions").database.client  # the pymongo client
    with client.start_session() as session:
        session.with_transaction(work)


def aggregate(model, pipeline: list[dict]) -> list[dict]:
    """Run a pipeline on a model's collection and return every row."""
    return list(collection(model).aggregate(pipeline))


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A datetime from pymongo (naive UTC) or the ORM (aware), as aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def naive_utc(value: dt.datetime) -> dt.datetime:
    """A datetime as naive UTC, the form pymongo returns (for comparing with stored values)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def floor_hour(value: dt.datetime) -> dt.datetime:
    """The start of the UTC hour holding ``value`` (aware)."""
    return utc(value).replace(minute=0, second=0, microsecond=0)


def ceil_hour(value: dt.datetime) -> dt.datetime:
    """The first UTC hour start at or after ``value`` (aware)."""
    start = floor_hour(value)
    return start if start == utc(value) else start + HOUR


def path_value(doc: Mapping, parts: Sequence[str]):
    """The value at a split dotted path of a document, None where any part is missing."""
    value: Any = doc
    for part in parts:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _single_value(condition: Any) -> Any:
    """The one value an equality or a one-item ``$in`` allows, else ``_NO_VALUE``."""
    if not isinstance(condition, dict):
        return condition
    values = condition.get("$in") if len(condition) == 1 else None
    if isinstance(values, list | tuple) and len(values) == 1:
        return values[0]
    return _NO_VALUE


def index_led_stages(
    range_field: str, bounds: dict, conditions: dict | None, index_keys: Sequence[str]
) -> list[dict]:
    """A first ``$match`` one index serves (the range and at most one equality leading an
    index, from ``index_keys`` in order), then a second ``$match`` with the rest."""
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
    return index_led_stages("timestamp", timestamp, conditions, READING_INDEX_KEYS)


def rollup_accumulators(fields: Sequence[str]) -> dict:
    """``$group`` accumulators merging rollup aggregates: ``<field>__sum/__count/__min/__max``
    of each field's stored {sum, count, min, max}."""
    group: dict[str, Any] = {}
    for f in fields:
        group[f"{f}__sum"] = {"$sum": f"${f}.sum"}
        group[f"{f}__count"] = {"$sum": f"${f}.count"}
        group[f"{f}__max"] = {"$max": f"${f}.max"}
        group[f"{f}__min"] = {"$min": f"${f}.min"}
    return group


def rollup_stages(model, hours: dict, conditions: dict | None = None) -> list[dict]:
    """``$match`` stages for rollups in an hour range meeting ``conditions`` (None: any).

    On bearing rollups the hour range with one bearing (the unique (bearing_id, hour) index)
    or one machine ((machine_id, hour)); on area rollups the hour range alone ((hour), a few
    documents per hour), since an ``$in`` beside it is a collection scan on SecantusDB.
    """
    keys = ("bearing_id", "machine_id") if model._meta.db_table == "rollups_bearing_hourly" else ()
    return index_led_stages("hour", hours, conditions, keys)


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


def page_windows(
    *,
    low: dt.datetime,
    high: dt.datetime,
    newer: bool,
    first: dt.timedelta = PAGE_WINDOW,
    growth: int = PAGE_WINDOW_GROWTH,
) -> Iterable[dict]:
    """Disjoint timestamp ranges covering [low, high], from the walk's starting edge outwards.

    ``first`` past the starting point (an hour), then ``growth`` times wider each time (8 hours,
    64, ...); walking back from a bound later than now, the first window also holds everything
    after now (readings stamped ahead of the clock). About ten windows reach from now back to
    the year 1 (twenty for alarms' day-wide, doubling windows).
    """
    width = first
    if newer:
        edge = low
        while high - edge > width:
            yield {"$gte": edge, "$lt": edge + width}
            edge, width = edge + width, width * growth
        yield {"$gte": edge, "$lte": high}
        return
    edge, bound = high, {"$lte": high}
    now = clock.now()
    if high > now:
        edge = max(low, now)
    while edge - low > width:
        yield {"$gte": edge - width, **bound}
        edge, width, bound = edge - width, width * growth, {"$lt": edge - width}
    yield {"$gte": low, **bound}


def windowed_page(
    model,
    field: str,
    *,
    low: dt.datetime,
    high: dt.datetime,
    newer: bool,
    conditions: dict,
    index_keys: Sequence[str],
    limit: int,
    tail: Sequence[dict] = (),
    windows: tuple[dt.timedelta, int] = (PAGE_WINDOW, PAGE_WINDOW_GROWTH),
) -> list[dict]:
    """Up to ``limit`` documents with ``field`` in [low, high] meeting ``conditions``, newest
    first (oldest first with ``newer``), ties by id: one index-led query per
    :func:`page_windows` window until the page is full, so no query sorts more than a window
    (SecantusDB sorts every match of a range before a limit). ``tail``: stages after the limit;
    ``windows``: the first window's width and how much wider each next one is (sparse
    collections such as alarms start wider and grow slower, so the last window holds at most
    about twice a page).
    """
    direction = 1 if newer else -1
    page: list[dict] = []
    first, growth = windows
    for window in page_windows(low=low, high=high, newer=newer, first=first, growth=growth):
        page += aggregate(model, [
            *index_led_stages(field, window, conditions, index_keys),
            {"$sort": {field: direction, "_id": direction}},
            {"$limit": limit - len(page)},
            *tail,
        ])  # fmt: skip
        if len(page) >= limit:
            break
    return page
