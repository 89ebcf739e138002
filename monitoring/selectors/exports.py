"""Exports: every matching reading, or rollup buckets, streamed oldest first for CSV files.

Readings are read in consecutive time windows (each one index-led by :func:`reading_stages`
and sorted by (timestamp, _id) on the server), so the reader holds one cursor batch at a time
whatever the export's size. The windows are cut where the rollups of the hours touched say
about :data:`WINDOW_ROWS` readings have accumulated; together they cover the whole range, so a
reading is exported even where its hour's rollup were missing (rollups only size the windows).
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitoring import indicators
from monitoring.models import AreaHourlyRollup, Bearing, BearingHourlyRollup, Machine, Reading
from monitoring.mongo import (
    HOUR,
    TIME_MAX,
    TIME_MIN,
    collection,
    floor_hour,
    reading_stages,
    rollup_accumulators,
    rollup_stages,
    utc,
)
from monitoring.scope import Scope
from monitoring.selectors.readings import _conditions

#: Readings per server-sorted window (a window's sort is the server's memory, not ours).
WINDOW_ROWS = 50_000
#: The indicators a trend export carries per level: area rollups hold the headline ones only.
TREND_INDICATORS = {"bearing": indicators.INDICATORS, "area": indicators.HEADLINE}
#: Documents per cursor batch: what the app server holds of a window at once.
BATCH_SIZE = 2_000


class RowLimitExceeded(Exception):
    """An export would hold more rows than allowed."""

    def __init__(self, rows: int, limit: int):
        super().__init__(rows, limit)
        self.rows, self.limit = rows, limit


@dataclass
class ReadingExport:
    """A planned export: its time windows, the bound on its rows and the names it needs."""

    scope: Scope
    conditions: dict
    windows: list[dict]
    bound: int
    machines: dict = field(default_factory=dict)
    bearings: dict = field(default_factory=dict)


def _rollup_hours(conditions: dict, low: dt.datetime, high: dt.datetime) -> list[tuple]:
    """(hour, readings) of the rollups of every hour touching [low, high], by hour.

    Bearing rollups when a machine or bearing is named (their indexes), else the area rollups
    (few per hour, the hour index). Status and velocity filters are ignored: an upper bound.
    """
    keys = ("bearing_id", "machine_id", "customer", "area")
    match = {k: conditions[k] for k in keys if conditions.get(k) is not None}
    by_bearing = "bearing_id" in match or "machine_id" in match
    model = BearingHourlyRollup if by_bearing else AreaHourlyRollup
    pipeline = [
        *rollup_stages(model, {"$gte": floor_hour(low), "$lte": high}, match),
        {"$group": {"_id": "$hour", "n": {"$sum": "$count"}}},
        {"$sort": {"_id": 1}},
    ]
    return [(utc(row["_id"]), row["n"]) for row in collection(model).aggregate(pipeline)]


def _windows(hours: list[tuple], low: dt.datetime, high: dt.datetime) -> list[dict]:
    """Consecutive ranges covering [low, high], cut after about WINDOW_ROWS readings."""
    cuts, total = [], 0
    for hour, n in hours:
        total += n
        if total >= WINDOW_ROWS and low < hour + HOUR < high:
            cuts.append(hour + HOUR)
            total = 0
    edges = [low, *cuts]
    windows = [{"$gte": a, "$lt": b} for a, b in itertools.pairwise(edges)]
    return [*windows, {"$gte": edges[-1], "$lte": high}]


def _exact_count(conditions: dict, windows: list[dict]) -> int:
    """Readings matching every condition, counted window by window (index-led)."""
    total = 0
    for window in windows:
        pipeline = [*reading_stages(window, conditions), {"$count": "n"}]
        total += sum(row["n"] for row in collection(Reading).aggregate(pipeline))
    return total


def _names(scope: Scope, conditions: dict) -> tuple[dict, dict]:
    """Machine names and bearing locations by id, one query each, for the export's machines."""
    query: dict[str, Any] = {}
    for key, name in (("customer", "customer"), ("area", "area"), ("machine_id", "_id")):
        if conditions.get(key) is not None:
            query[name] = conditions[key]
    machines = {
        doc["_id"]: doc.get("machine_name", "")
        for doc in collection(Machine).find(query, {"machine_name": 1, "customer": 1})
        if scope.allows(doc.get("customer"))
    }
    found = collection(Bearing).find(
        {"machine_id": {"$in": list(machines)}}, {"bearing_location": 1}
    )
    return machines, {doc["_id"]: doc.get("bearing_location", "") for doc in found}


def reading_export_plan(
    *,
    scope: Scope,
    max_rows: int,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    **filters: Any,
) -> ReadingExport:
    """Plan an export of the readings matching ``filters`` (those of ``/api/data/query``).

    Raises :class:`RowLimitExceeded` with the exact count when more than ``max_rows`` match;
    the rollups' upper bound decides alone when it is within the limit.
    """
    conditions = _conditions(scope, **filters)
    low, high = utc(start) or TIME_MIN, utc(end) or TIME_MAX
    hours = _rollup_hours(conditions, low, high)
    windows = _windows(hours, low, high)
    bound = sum(n for _, n in hours)
    if bound > max_rows:
        exact = _exact_count(conditions, windows)
        if exact > max_rows:
            raise RowLimitExceeded(exact, max_rows)
    machines, bearings = _names(scope, conditions)
    return ReadingExport(scope, conditions, windows, bound, machines, bearings)


def reading_export_rows(*, scope: Scope, plan: ReadingExport) -> Iterator[dict]:
    """The planned export's reading documents, oldest first (ties by id), batch by batch.

    The plan's conditions hold its scope; a plan made for another scope is refused.
    """
    if plan.scope != scope:
        raise ValueError("the export was planned for another scope")
    readings = collection(Reading)
    for window in plan.windows:
        # No $project: on SecantusDB it costs more than the two unused fields it would drop.
        pipeline = [*reading_stages(window, plan.conditions), {"$sort": {"timestamp": 1, "_id": 1}}]
        yield from readings.aggregate(pipeline, batchSize=BATCH_SIZE)


# --------------------------------------------------------------------------------------------
# Trends: hour or day buckets from the rollups
# --------------------------------------------------------------------------------------------


def _trend_group(keys: Sequence[str], bucket: Any, fields: Sequence[str]) -> dict:
    group: dict[str, Any] = {"_id": {"t": bucket, **{k: f"${k}" for k in keys}}}
    group["count"] = {"$sum": "$count"}
    return {**group, **rollup_accumulators(fields)}


def trend_export_rows(
    *,
    scope: Scope,
    level: str,
    interval: str,
    start: dt.datetime,
    end: dt.datetime,
    tz: str = "UTC",
    machine_id=None,
    bearing_id=None,
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
) -> list[dict]:
    """Hour or local-day buckets from the one holding ``start`` to the one holding ``end``.

    ``level="bearing"``: per bearing of one machine (``machine_id`` required); ``"area"``: per
    customer and area. Each row: ``start`` (UTC), keys, ``count`` and per indicator
    ``{rollup_field}: {"avg", "min", "max"}``. Days follow the zone ``tz`` (DST included).
    """
    if level == "area":
        model, keys = AreaHourlyRollup, ("customer", "area")
        conditions = {"customer": scope.condition(customer)}
        conditions["area"] = {"$in": list(area)} if area else None
    else:
        model, keys = BearingHourlyRollup, ("machine_id", "bearing_id")
        conditions = {"machine_id": machine_id, "bearing_id": bearing_id}
        conditions["customer"] = scope.condition()
    fields = [i.rollup_field for i in TREND_INDICATORS[level]]
    unit = "hour" if interval == "hour" else "day"
    bucket = {"$dateTrunc": {"date": "$hour", "unit": unit, "timezone": tz}}
    pipeline = [
        *rollup_stages(model, {"$gte": _first_bucket(start, unit, tz), "$lte": end}, conditions),
        {"$group": _trend_group(keys, bucket, fields)},
        {"$sort": {"_id.t": 1, **{f"_id.{k}": 1 for k in keys}}},
    ]
    return [_trend_row(row, keys, fields) for row in collection(model).aggregate(pipeline)]


def _first_bucket(start: dt.datetime, unit: str, tz: str) -> dt.datetime:
    """The start (UTC) of the hour or local day holding ``start``."""
    if unit == "hour":
        return floor_hour(start)
    zone = zoneinfo.ZoneInfo(tz)
    day = utc(start).astimezone(zone).date()
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _trend_row(row: dict, keys: Sequence[str], fields: Sequence[str]) -> dict:
    out = {"start": utc(row["_id"]["t"]), "count": row["count"]}
    out.update({k: row["_id"].get(k) for k in keys})
    for f in fields:
        n = row[f"{f}__count"]
        out[f] = {
            "avg": row[f"{f}__sum"] / n if n else None,
            "min": row[f"{f}__min"] if n else None,
            "max": row[f"{f}__max"] if n else None,
        }
    return out
