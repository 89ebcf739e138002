"""A machine's time series: raw readings or hour/day buckets from the bearing rollups."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from monitoring import indicators
from monitoring.models import Bearing, BearingHourlyRollup, Reading
from monitoring.mongo import (
    aggregate,
    floor_hour,
    path_value,
    reading_stages,
    rollup_accumulators,
    rollup_stages,
    utc,
)
from monitoring.scope import Scope
from monitoring.selectors._counts import reading_counts, rollup_counts
from monitoring.selectors.catalogue import machine_bearings

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
METRICS = tuple(i.name for i in indicators.INDICATORS)
DEFAULT_METRICS = ("velocity.rms", "acceleration.rms", "temperature")
INTERVALS = ("raw", "hour", "day")
AGGREGATES = ("avg", "max", "min")
# A default interval keeps each series near this many points; more than the limit is refused.
TARGET_POINTS = 1000
MAX_POINTS = 10_000


class PointLimitExceeded(Exception):
    """A time series would return more points per series than :data:`MAX_POINTS`."""

    def __init__(self, points: int, interval: str):
        super().__init__(points, interval)
        self.points = points
        self.interval = interval


def _series_points(span: dt.timedelta, interval: str) -> int:
    """Buckets an hour or day interval needs for a span."""
    return math.floor(span / (HOUR if interval == "hour" else DAY)) + 1


def _raw_points_per_series(base: dict, start: dt.datetime, end: dt.datetime, limit: int) -> int:
    """Readings per series in the range, exact wherever it decides against ``limit``.

    A bound from the rollups of the hours touched decides alone when it is within the limit
    (exact <= bound); only near the limit are the edge hours counted exactly.
    """
    hours_touched = {"$gte": floor_hour(start), "$lte": end}
    bound = rollup_counts(BearingHourlyRollup, hours_touched, base, "bearing_id")
    per_series = max(bound.values(), default=0)
    if per_series > limit:
        counts = reading_counts(match=base, group_key="bearing_id", start=start, end=end)
        per_series = max(counts.values(), default=0)
    return per_series


def _choose_interval(interval: str | None, base: dict, start: dt.datetime, end: dt.datetime) -> str:
    """The interval asked for, or the finest giving about TARGET_POINTS; raises over limits."""
    chosen = interval
    if interval in (None, "raw") and base["bearing_id"]["$in"]:
        limit = MAX_POINTS if interval == "raw" else TARGET_POINTS
        per_series = _raw_points_per_series(base, start, end, limit)
        if interval == "raw" and per_series > MAX_POINTS:
            raise PointLimitExceeded(per_series, "raw")
        if interval is None and per_series <= TARGET_POINTS:
            chosen = "raw"
    span = end - floor_hour(start)
    if chosen is None:
        chosen = "hour" if _series_points(span, "hour") <= TARGET_POINTS else "day"
    if chosen in ("hour", "day") and _series_points(span, chosen) > MAX_POINTS:
        raise PointLimitExceeded(_series_points(span, chosen), chosen)
    return chosen


def timeseries_get(
    *,
    scope: Scope,
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
    :class:`PointLimitExceeded`. A ``bearing_id`` that is not one of the machine's bearings
    (in scope) raises ``Bearing.DoesNotExist``.
    """
    start, end = utc(start), utc(end)
    bearings = machine_bearings(scope=scope, machine_id=machine_id)
    if bearing_id is not None:
        bearings = [b for b in bearings if b["_id"] == bearing_id]
        if not bearings:
            raise Bearing.DoesNotExist("no such bearing on this machine")
    ids = [b["_id"] for b in bearings]
    base = {"machine_id": machine_id, "bearing_id": {"$in": ids}}
    interval = _choose_interval(interval, base, start, end)
    points: dict = {(b_id, m): [] for b_id in ids for m in metrics}
    if ids:
        reader = _raw_points if interval == "raw" else _bucket_points
        reader(points, base=base, start=start, end=end, metrics=metrics, interval=interval, agg=agg)
    units = {m: indicators.BY_NAME[m].unit for m in metrics}
    series = [
        {
            "bearing_id": b["_id"],
            "bearing_location": b.get("bearing_location", ""),
            "metric": m,
            "unit": units[m],
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
        "units": units,
        "series": series,
    }


def _raw_points(points, *, base, start, end, metrics, **_) -> None:
    """Fill ``points`` from readings in [start, end] (machine or bearing index, by time)."""
    chosen = [indicators.BY_NAME[m] for m in metrics]
    projection = {"_id": 0, "bearing_id": 1, "timestamp": 1}
    projection.update({i.path: 1 for i in chosen})
    rows = aggregate(
        Reading,
        [*reading_stages({"$gte": start, "$lte": end}, base), {"$project": projection}],
    )
    for row in rows:
        when = utc(row["timestamp"])
        for indicator in chosen:
            value = path_value(row, indicator.parts)
            if value is not None:
                points[(row["bearing_id"], indicator.name)].append((when, value))
    # Sorted here, not by a $sort: rows come in index order (by time, newest first) already,
    # which Python's sort turns round in one pass; SecantusDB would sort every row again.
    for series in points.values():
        series.sort(key=itemgetter(0))


def _bucket_group(fields: list[str], bucket: Any) -> dict:
    return {"_id": {"b": "$bearing_id", "t": bucket}, **rollup_accumulators(fields)}


def _bucket_points(points, *, base, start, end, metrics, interval, agg) -> None:
    """Fill ``points`` with hour or day buckets from the bearing rollups."""
    fields = [indicators.BY_NAME[m].rollup_field for m in metrics]
    bucket = "$hour" if interval == "hour" else {"$dateTrunc": {"date": "$hour", "unit": "day"}}
    first = floor_hour(start) if interval == "hour" else floor_hour(start).replace(hour=0)
    rows = aggregate(
        BearingHourlyRollup,
        [
            *rollup_stages(BearingHourlyRollup, {"$gte": first, "$lte": end}, base),
            {"$group": _bucket_group(fields, bucket)},
            {"$sort": {"_id.t": 1}},
        ],
    )
    for row in rows:
        when = utc(row["_id"]["t"])
        for m, f in zip(metrics, fields, strict=True):
            count = row[f"{f}__count"]
            if not count:
                continue
            value = row[f"{f}__sum"] / count if agg == "avg" else row[f"{f}__{agg}"]
            if value is not None:
                points[(row["_id"]["b"], m)].append((when, value))
