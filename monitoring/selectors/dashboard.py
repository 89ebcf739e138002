"""Fleet KPIs and trends: the denormalized machine state and the per-area hourly rollups.

Their cost grows with hours, not readings. Local hours and days of whole-hour time zones are
whole UTC hours (a DST day has 23 or 25 of them), so rollups serve them; zones with other
offsets (e.g. Asia/Kolkata, +05:30) are bucketed from readings in the bounded range.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence

from monitoring import clock
from monitoring.alarms.rules import SEVERITIES
from monitoring.models import (
    ALERT_STATUSES,
    AreaHourlyRollup,
    Machine,
    Reading,
    Status,
)
from monitoring.mongo import aggregate, reading_stages, rollup_stages, utc
from monitoring.scope import Scope
from monitoring.selectors._counts import reading_counts
from monitoring.selectors.system import last_run

HOUR = dt.timedelta(hours=1)
STATUSES = [s.value for s in Status]


def _machines_by_status(match: dict) -> dict:
    """Machines per status (and without data), machines, bearings and active alarms by
    severity, from the machines' denormalized state: one small group."""
    by_status = dict.fromkeys(STATUSES, 0)
    totals = dict.fromkeys(("no_data", "machines", "bearings", "with_alarm"), 0)
    alarms = dict.fromkeys(SEVERITIES, 0)
    group = {"_id": "$status", "n": {"$sum": 1}, "bearings": {"$sum": "$bearing_count"},
             "with_alarm": {"$sum": {"$cond": [{"$gt": ["$open_alarm_count", 0]}, 1, 0]}},
             **{s: {"$sum": f"$open_alarms.{s}"} for s in SEVERITIES}}  # fmt: skip
    for row in aggregate(Machine, [{"$match": match}, {"$group": group}]):
        totals["machines"] += row["n"]
        totals["bearings"] += row["bearings"]
        totals["with_alarm"] += row["with_alarm"]
        for severity in SEVERITIES:
            alarms[severity] += row[severity]
        if row["_id"] in by_status:
            by_status[row["_id"]] += row["n"]
        else:
            totals["no_data"] += row["n"]
    return {"by_status": by_status, "alarms": alarms, **totals}


def kpis_get(
    *,
    scope: Scope,
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
) -> dict:
    """Fleet KPIs from the denormalized machine state and the area rollups (four queries)."""
    now = clock.now()
    match = scope.match(customer, area)
    machines = _machines_by_status(match)
    by_status = machines["by_status"]
    counts = reading_counts(
        match=match,
        group_key=None,
        start=now - dt.timedelta(hours=24),
        end=now,
        rollup_model=AreaHourlyRollup,
    )
    with_data = machines["machines"] - machines["no_data"]
    healthy = by_status[Status.NORMAL] + by_status[Status.SATISFACTORY]
    requested = Scope.of(scope.allowed(customer)) if customer else scope
    return {
        "generated_at": now,
        "machines_total": machines["machines"],
        "machines_by_status": {**by_status, "no_data": machines["no_data"]},
        "machines_in_alert": sum(by_status[s] for s in ALERT_STATUSES),
        "healthy_share": round(healthy / with_data, 4) if with_data else None,
        "bearings_total": machines["bearings"],
        "readings_last_24h": sum(counts.values()),
        "active_alarms_by_severity": machines["alarms"],
        "machines_with_alarm": machines["with_alarm"],
        "last_ingestion": last_run(scope=requested),
    }


def _zone(tz: str | zoneinfo.ZoneInfo) -> zoneinfo.ZoneInfo:
    """A ZoneInfo from an IANA name (already validated by the view)."""
    return tz if isinstance(tz, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo(tz)


def _hour_aligned(instants: Iterable[dt.datetime]) -> bool:
    """Whether every instant is a UTC hour start (then hourly rollups can serve the buckets)."""
    return all(t.minute == 0 and t.second == 0 and t.microsecond == 0 for t in instants)


def _ratio(total: float, count: int) -> float | None:
    """An average from a sum and a count (None for an empty bucket)."""
    return total / count if count else None


def _hourly_rollup_pipeline(hours: dict, match: dict) -> list[dict]:
    group = {
        "_id": "$hour",
        "count": {"$sum": "$count"},
        "v_sum": {"$sum": "$velocity_rms.sum"},
        "v_count": {"$sum": "$velocity_rms.count"},
        "v_max": {"$max": "$velocity_rms.max"},
        "t_sum": {"$sum": "$temperature.sum"},
        "t_count": {"$sum": "$temperature.count"},
        "alerts": {"$sum": {"$add": ["$statuses.Alert", "$statuses.Unacceptable"]}},
    }
    return [*rollup_stages(AreaHourlyRollup, hours, match), {"$group": group}]


def _hourly_reading_pipeline(range_: dict, match: dict, zone: zoneinfo.ZoneInfo) -> list[dict]:
    group = {
        "_id": {"$dateTrunc": {"date": "$timestamp", "unit": "hour", "timezone": zone.key}},
        "count": {"$sum": 1},
        "v_sum": {"$sum": "$velocity.rms"},
        "v_count": {"$sum": {"$cond": [{"$isNumber": "$velocity.rms"}, 1, 0]}},
        "v_max": {"$max": "$velocity.rms"},
        "t_sum": {"$sum": "$temperature"},
        "t_count": {"$sum": {"$cond": [{"$isNumber": "$temperature"}, 1, 0]}},
        "alerts": {"$sum": {"$cond": [{"$in": ["$status", list(ALERT_STATUSES)]}, 1, 0]}},
    }
    return [*reading_stages(range_, match), {"$group": group}]


def _hour_bucket(start: dt.datetime, zone: zoneinfo.ZoneInfo, row: dict | None) -> dict:
    return {
        "start": start,
        "local_start": start.astimezone(zone).isoformat(),
        "count": row["count"] if row else 0,
        "velocity_rms_avg": _ratio(row["v_sum"], row["v_count"]) if row else None,
        "velocity_rms_max": row["v_max"] if row and row["v_count"] else None,
        "temperature_avg": _ratio(row["t_sum"], row["t_count"]) if row else None,
        "alert_count": row["alerts"] if row else 0,
    }


def hourly_trends_get(
    *,
    scope: Scope,
    hours: int = 24,
    tz: str = "UTC",
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
) -> dict:
    """The last ``hours`` local hours (the current one included), oldest first."""
    zone = _zone(tz)
    local_hour = clock.now().astimezone(zone).replace(minute=0, second=0, microsecond=0)
    current = local_hour.astimezone(dt.UTC)
    starts = [current - HOUR * k for k in range(hours - 1, -1, -1)]
    end = current + HOUR
    match = scope.match(customer, area)
    window = {"$gte": starts[0], "$lt": end}
    if _hour_aligned(starts):
        model, pipeline = AreaHourlyRollup, _hourly_rollup_pipeline(window, match)
    else:
        model, pipeline = Reading, _hourly_reading_pipeline(window, match, zone)
    rows = {utc(row["_id"]): row for row in aggregate(model, pipeline)}
    buckets = [_hour_bucket(start, zone, rows.get(start)) for start in starts]
    return {"tz": zone.key, "hours": hours, "start": starts[0], "end": end, "buckets": buckets}


def _local_midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant a local day starts."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _status_pipeline(bounds: list, match: dict, zone: zoneinfo.ZoneInfo) -> tuple:
    """(model, pipeline) counting readings per status per local day."""
    window = {"$gte": bounds[0], "$lt": bounds[-1]}
    if _hour_aligned(bounds):
        bucket = {
            "groupBy": "$hour",
            "boundaries": bounds,
            "default": "outside",
            "output": {s: {"$sum": f"$statuses.{s}"} for s in STATUSES},
        }
        return AreaHourlyRollup, [
            *rollup_stages(AreaHourlyRollup, window, match),
            {"$bucket": bucket},
        ]
    group = {
        "_id": {"$dateTrunc": {"date": "$timestamp", "unit": "day", "timezone": zone.key}},
        **{s: {"$sum": {"$cond": [{"$eq": ["$status", s]}, 1, 0]}} for s in STATUSES},
    }
    return Reading, [*reading_stages(window, match), {"$group": group}]


def status_trends_get(
    *,
    scope: Scope,
    days: int = 7,
    tz: str = "UTC",
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
) -> dict:
    """Readings per status for each of the last ``days`` local days (today included)."""
    zone = _zone(tz)
    today = clock.now().astimezone(zone).date()
    dates = [today - dt.timedelta(days=k) for k in range(days - 1, -1, -1)]
    bounds = [_local_midnight(d, zone) for d in [*dates, today + dt.timedelta(days=1)]]
    model, pipeline = _status_pipeline(bounds, scope.match(customer, area), zone)
    rows = {
        utc(row["_id"]): row
        for row in aggregate(model, pipeline)
        if isinstance(row["_id"], dt.datetime)
    }
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
