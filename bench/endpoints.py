"""The benchmarked endpoints: each URL, the raw pymongo work that returns the same answer on the
same server, and a check that the two answers agree (ids, counts), so HTTP/raw ratios compare
like with like.

A raw equivalent is the least database work a hand-written service would need for the same
payload: the same filters, sort, limit and projection, the same rollup pipeline, and the counts a
page reports. It decodes every document (``list(cursor)``) but does no JSON encoding; the gap to
HTTP is what Django, DRF, authentication, serialization and JSON cost on top.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo.database import Database

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
STATUSES = ["Normal", "Satisfactory", "Alert", "Unacceptable"]
ALERTS = ["Alert", "Unacceptable"]
PAGE = 50

MACHINE_LIST_FIELDS = [
    "machine_name", "customer", "area", "subarea", "machine_type", "status", "bearing_count",
    "last_reading_at",
]  # fmt: skip
MACHINE_DETAIL_FIELDS = [*MACHINE_LIST_FIELDS, "running_speed_rpm", "iso_group", "foundation"]
MACHINE_BEARING_FIELDS = [
    "bearing_location", "bearing_type", "position", "status", "last_reading_at", "machine_id",
]  # fmt: skip
BEARING_FIELDS = [
    "machine_id", "customer", "bearing_location", "bearing_type", "position", "rolling_elements",
    "ball_diameter_mm", "pitch_diameter_mm", "contact_angle_deg", "status", "last_reading_id",
    "last_reading_at", "last_velocity_rms", "last_acceleration_rms", "last_temperature",
]  # fmt: skip
READING_FIELDS = [
    "machine_id", "bearing_id", "customer", "area", "timestamp", "status", "acceleration",
    "velocity", "temperature",
]  # fmt: skip
BEARING_ORDER = [("machine_id", 1), ("bearing_location", 1), ("_id", 1)]
TS_METRICS = {"velocity_rms": "velocity.rms", "acceleration_rms": "acceleration.rms"}
TS_METRICS["temperature"] = "temperature"


def _proj(fields: list[str]) -> dict:
    return dict.fromkeys(fields, 1)


def utcnow() -> dt.datetime:
    """Now as naive UTC (what pymongo compares against stored datetimes)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def floor_hour(value: dt.datetime) -> dt.datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def ceil_hour(value: dt.datetime) -> dt.datetime:
    start = floor_hour(value)
    return start if start == value else start + HOUR


def iso(value: dt.datetime) -> str:
    """A naive UTC datetime as ISO 8601 with Z (the API requires an offset)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Context:
    """What the URLs and raw queries of one database need: ids and fixed time windows."""

    db: Database
    machine_id: ObjectId
    fft_reading_id: ObjectId
    window_end: dt.datetime  # naive UTC, whole second: the timeseries windows end here
    bearing_ids: list = field(default_factory=list)


def context_for(db: Database, *, machine_external_id: str, window_end: dt.datetime) -> Context:
    """Look up the benchmarked machine and a reading with a spectrum in one database."""
    machine = db.machines.find_one({"external_id": machine_external_id}, {"_id": 1})
    if machine is None:
        raise RuntimeError(f"no machine {machine_external_id} in {db.name}")
    spectrum = db.spectra.find_one({}, {"reading_id": 1})
    if spectrum is None:
        raise RuntimeError(f"no spectrum in {db.name}")
    return Context(
        db=db,
        machine_id=machine["_id"],
        fft_reading_id=spectrum["reading_id"],
        window_end=window_end.replace(microsecond=0),
    )


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked request.

    ``kind``: "list"/"detail" (HTTP within 2x of raw is a target), "dashboard", "utility".
    ``flat``: p50 at the largest size must stay within 1.3x of the smallest.
    """

    name: str
    path: Callable[[Context], str]
    raw: Callable[[Context], Any] | None  # None: HTTP only (the cached rows)
    check: Callable[[Any, Any], str | None] | None  # (http json, raw result) -> problem or None
    kind: str
    flat: bool = False
    load_weight: int = 0
    note: str = ""
    cached: bool = False  # served with the dashboard cache on (as deployed), not off


# --------------------------------------------------------------------------------------------
# Raw equivalents
# --------------------------------------------------------------------------------------------


def raw_machines(c: Context) -> dict:
    rows = list(
        c.db.machines.find({}, _proj(MACHINE_LIST_FIELDS))
        .sort([("machine_name", 1), ("_id", 1)])
        .limit(PAGE)
    )
    return {"count": c.db.machines.count_documents({}), "results": rows}


def raw_machine_detail(c: Context) -> dict:
    machine = c.db.machines.find_one({"_id": c.machine_id}, _proj(MACHINE_DETAIL_FIELDS))
    bearings = list(
        c.db.bearings.find({"machine_id": c.machine_id}, _proj(MACHINE_BEARING_FIELDS)).sort(
            BEARING_ORDER
        )
    )
    return {"machine": machine, "bearings": bearings}


def raw_latest_readings(c: Context) -> list:
    c.db.machines.find_one({"_id": c.machine_id}, {"_id": 1})
    bearings = list(
        c.db.bearings.find(
            {"machine_id": c.machine_id},
            {"bearing_location": 1, "bearing_type": 1, "position": 1, "last_reading_id": 1},
        ).sort(BEARING_ORDER)
    )
    ids = [b["last_reading_id"] for b in bearings if b.get("last_reading_id")]
    readings = {r["_id"]: r for r in c.db.readings.find({"_id": {"$in": ids}}, READING_FIELDS)}
    return [(b, readings.get(b.get("last_reading_id"))) for b in bearings]


def _machine_bearing_ids(c: Context) -> list:
    return [
        b["_id"]
        for b in c.db.bearings.find({"machine_id": c.machine_id}, {"_id": 1}).sort(BEARING_ORDER)
    ]


def raw_timeseries_hour(c: Context) -> dict:
    """Hour buckets are one rollup document per bearing and hour: a find is the answer."""
    c.db.machines.find_one({"_id": c.machine_id}, {"_id": 1})
    _machine_bearing_ids(c)  # the API reads the machine's bearings first, too
    start = c.window_end - 7 * DAY
    # The machine's rollups are its bearings' (an $in over them beside the range would be a
    # collection scan on SecantusDB).
    query = {"machine_id": c.machine_id, "hour": {"$gte": floor_hour(start), "$lte": c.window_end}}
    projection = {"_id": 0, "bearing_id": 1, "hour": 1}
    for name in TS_METRICS:
        projection[f"{name}.sum"] = 1
        projection[f"{name}.count"] = 1
    points: dict = {}
    for row in c.db.rollups_bearing_hourly.find(query, projection):
        for name in TS_METRICS:
            agg = row.get(name) or {}
            if agg.get("count"):
                points.setdefault((row["bearing_id"], name), []).append(
                    (row["hour"], agg["sum"] / agg["count"])
                )
    for series in points.values():
        series.sort()
    return points


def raw_timeseries_raw(c: Context) -> dict:
    c.db.machines.find_one({"_id": c.machine_id}, {"_id": 1})
    _machine_bearing_ids(c)  # as above: the machine's readings are its bearings'
    query = {
        "machine_id": c.machine_id,
        "timestamp": {"$gte": c.window_end - DAY, "$lte": c.window_end},
    }
    projection = {"_id": 0, "bearing_id": 1, "timestamp": 1, **_proj(list(TS_METRICS.values()))}
    points: dict = {}
    for row in c.db.readings.find(query, projection):
        points.setdefault(row["bearing_id"], []).append(row)
    return points


def raw_bearings(c: Context) -> dict:
    query = {"machine_id": c.machine_id}
    rows = list(c.db.bearings.find(query, _proj(BEARING_FIELDS)).sort(BEARING_ORDER).limit(PAGE))
    return {"count": c.db.bearings.count_documents(query), "results": rows}


def raw_data_query(c: Context) -> list:
    """The newest page by the machine's index, in the API's growing windows back from now.

    One find sorted over the machine's whole history would read all of it (no limit
    push-down on SecantusDB); an hour, then 8 hours, ... is the cheapest exact answer.
    """
    rows: list = []
    edge, width, upper = utcnow(), HOUR, {}
    while len(rows) < PAGE:
        lower = edge - width
        query = {"machine_id": c.machine_id, "timestamp": {"$gte": lower, **upper}}
        rows += list(
            c.db.readings.find(query, _proj(READING_FIELDS))
            .sort([("timestamp", -1), ("_id", -1)])
            .limit(PAGE - len(rows))
        )
        if lower.year < 2000:
            break
        edge, width, upper = lower, width * 8, {"$lt": lower}
    return rows


def raw_fft(c: Context) -> dict:
    reading = c.db.readings.find_one(
        {"_id": c.fft_reading_id}, {"machine_id": 1, "bearing_id": 1, "timestamp": 1}
    )
    spectrum = c.db.spectra.find_one({"reading_id": reading["_id"]})
    bearing = c.db.bearings.find_one({"_id": reading["bearing_id"]})
    machine = c.db.machines.find_one({"_id": reading["machine_id"]}, {"running_speed_rpm": 1})
    return {"reading": reading, "spectrum": spectrum, "bearing": bearing, "machine": machine}


def _readings_in(c: Context, match: dict, start: dt.datetime, end: dt.datetime) -> int:
    """Readings in [start, end]: full hours from the area rollups, edge hours from readings."""
    first_full, last_full = ceil_hour(start), floor_hour(end)
    total = 0
    edges = []
    if first_full < last_full:
        for row in c.db.rollups_area_hourly.aggregate(
            [
                {"$match": {**match, "hour": {"$gte": first_full, "$lt": last_full}}},
                {"$group": {"_id": None, "n": {"$sum": "$count"}}},
            ]
        ):
            total += row["n"]
        if start < first_full:
            edges.append({"timestamp": {"$gte": start, "$lt": first_full}})
        edges.append({"timestamp": {"$gte": last_full, "$lte": end}})
    else:
        edges.append({"timestamp": {"$gte": start, "$lte": end}})
    # One indexed range per edge: SecantusDB plans a top-level $or as a collection scan.
    for edge in edges:
        for row in c.db.readings.aggregate(
            [{"$match": {**match, **edge}}, {"$group": {"_id": None, "n": {"$sum": 1}}}]
        ):
            total += row["n"]
    return total


def raw_kpis(c: Context) -> dict:
    now = utcnow()
    by_status = list(
        c.db.machines.aggregate(
            [
                {
                    "$group": {
                        "_id": "$status",
                        "n": {"$sum": 1},
                        "bearings": {"$sum": "$bearing_count"},
                    }
                }
            ]
        )
    )
    last_run = next(c.db.ingestion_runs.find().sort("started_at", -1).limit(1), None)
    return {
        "machines_total": sum(r["n"] for r in by_status),
        "bearings_total": sum(r["bearings"] for r in by_status),
        "by_status": {r["_id"]: r["n"] for r in by_status},
        "readings_last_24h": _readings_in(c, {}, now - DAY, now),
        "last_run": last_run,
    }


def raw_trends_hourly(c: Context) -> list:
    current = floor_hour(utcnow())
    start = current - 23 * HOUR
    return list(
        c.db.rollups_area_hourly.aggregate(
            [
                {"$match": {"hour": {"$gte": start, "$lt": current + HOUR}}},
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
        )
    )


def _raw_trends_status(c: Context, days: int) -> list:
    today = utcnow().date()
    dates = [today - dt.timedelta(days=k) for k in range(days - 1, -1, -1)]
    bounds = [dt.datetime.combine(d, dt.time(0)) for d in [*dates, today + dt.timedelta(days=1)]]
    return list(
        c.db.rollups_area_hourly.aggregate(
            [
                {"$match": {"hour": {"$gte": bounds[0], "$lt": bounds[-1]}}},
                {
                    "$bucket": {
                        "groupBy": "$hour",
                        "boundaries": bounds,
                        "default": "outside",
                        "output": {s: {"$sum": f"$statuses.{s}"} for s in STATUSES},
                    }
                },
            ]
        )
    )


def raw_trends_status(c: Context) -> list:
    return _raw_trends_status(c, 7)


def raw_trends_status_1d(c: Context) -> list:
    return _raw_trends_status(c, 1)


STATS_COLLECTIONS = [
    "machines", "bearings", "readings", "spectra", "rollups_bearing_hourly",
    "rollups_area_hourly", "ingestion_runs",
]  # fmt: skip


def _edge_reading(c: Context, newest: bool):
    direction = -1 if newest else 1
    hours = list(
        c.db.rollups_area_hourly.aggregate(
            [
                {"$match": {"count": {"$gt": 0}}},
                {"$sort": {"hour": direction}},
                {"$limit": 1},
                {"$project": {"_id": 0, "hour": 1}},
            ]
        )
    )
    if not hours:
        return None
    hour = hours[0]["hour"]
    rows = list(
        c.db.readings.aggregate(
            [
                {"$match": {"timestamp": {"$gte": hour, "$lt": hour + HOUR}}},
                {"$group": {"_id": None, "t": {"$max" if newest else "$min": "$timestamp"}}},
            ]
        )
    )
    return rows[0]["t"] if rows else None


def raw_stats(c: Context) -> dict:
    """What /api/stats answers, read the cheapest way on this server.

    Readings are counted from the area rollups. On SecantusDB (``secantusVersion`` in
    buildInfo) estimated counts and dbStats read every document, so, like the endpoint, it
    leaves out the collections that grow with readings and the storage sizes.
    """
    build_info = c.db.client.admin.command("buildInfo")
    cheap = "secantusVersion" not in build_info
    growing = {"spectra", "rollups_bearing_hourly"}
    total = list(
        c.db.rollups_area_hourly.aggregate(
            [{"$match": {"count": {"$gt": 0}}}, {"$group": {"_id": None, "n": {"$sum": "$count"}}}]
        )
    )
    counts = {
        name: None if not cheap and name in growing else c.db[name].estimated_document_count()
        for name in STATS_COLLECTIONS
        if name != "readings"
    }
    counts["readings"] = total[0]["n"] if total else 0
    db_stats = c.db.command("dbStats") if cheap else {}
    last_run = next(c.db.ingestion_runs.find().sort("started_at", -1).limit(1), None)
    return {
        "counts": counts,
        "storage": {k: db_stats.get(k) for k in ("storageSize", "dataSize", "indexSize")},
        "oldest": _edge_reading(c, newest=False),
        "newest": _edge_reading(c, newest=True),
        "last_run": last_run,
        "version": build_info.get("version"),
    }


def raw_health(c: Context) -> dict:
    return c.db.command("ping")


#: The whole time range of the selector's first $match (monitoring.mongo TIME_MIN/TIME_MAX).
ALARM_TIME_MIN, ALARM_TIME_MAX = dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)
#: What /api/alarms does not send (AlarmSerializer): left out of the raw read.
ALARM_LIST_OMITS = {"history": 0, "comments": 0, "subject": 0, "open_key": 0, "revision": 0}


def raw_alarm_page(c: Context) -> list:
    """The first page of /api/alarms (staff, no filter), as selectors.alarms.alarm_page reads it:
    newest first, one more than a page (whether there is a next page), on the (-raised_at,
    -_id) index in time windows walking back from now (a day, then 2x wider each time) until
    the page is full, so no query sorts all of history (SecantusDB sorts a range before a
    limit)."""
    page: list = []
    edge, width, bound = utcnow(), dt.timedelta(days=1), {"$lte": ALARM_TIME_MAX}
    for step in range(17):  # 16 windows back to 2^16 days (179 years), then the rest of time
        if len(page) > PAGE:
            break
        low = edge - width if step < 16 else ALARM_TIME_MIN
        page += (
            c.db.alarms.find({"raised_at": {"$gte": low, **bound}}, ALARM_LIST_OMITS)
            .sort([("raised_at", -1), ("_id", -1)])
            .limit(PAGE + 1 - len(page))
        )
        edge, width, bound = low, width * 2, {"$lt": low}
    return page


def raw_alarm_summary(c: Context) -> dict:
    """/api/alarms/summary (staff): open (not closed) alarms by severity, state and
    acknowledgement, one $group on the (closed, state) index, as alarm_summary reads them."""
    rows = c.db.alarms.aggregate(
        [
            {"$match": {"closed": False}},
            {
                "$group": {
                    "_id": {"severity": "$severity", "state": "$state", "ack": "$acknowledged"},
                    "n": {"$sum": 1},
                }
            },
        ]
    )
    severity = dict.fromkeys(("warning", "alert", "danger"), 0)
    state = {"active": 0, "cleared": 0, "unacknowledged": 0}
    for row in rows:
        key = row["_id"]
        state[key["state"]] += row["n"]
        if key["state"] == "active":
            severity[key["severity"]] += row["n"]
        if not key["ack"]:
            state["unacknowledged"] += row["n"]
    return {
        "active_by_severity": severity,
        "open_by_state": state,
        "open": state["active"] + state["cleared"],
    }


# --------------------------------------------------------------------------------------------
# Answer checks: same ids / counts / totals
# --------------------------------------------------------------------------------------------


def _ids(rows) -> list[str]:
    return [str(r["_id"]) for r in rows]


def _differ(what: str, http, raw) -> str | None:
    return None if http == raw else f"{what}: http {http!r} != raw {raw!r}"


def check_machines(h, r) -> str | None:
    return _differ("count", h["count"], r["count"]) or _differ(
        "ids", [x["id"] for x in h["results"]], _ids(r["results"])
    )


def check_machine_detail(h, r) -> str | None:
    return _differ("id", h["id"], str(r["machine"]["_id"])) or _differ(
        "bearing ids", [b["id"] for b in h["bearings"]], _ids(r["bearings"])
    )


def check_latest_readings(h, r) -> str | None:
    http = [(x["bearing_id"], (x["reading"] or {}).get("id")) for x in h]
    raw = [(str(b["_id"]), str(rd["_id"]) if rd else None) for b, rd in r]
    return _differ("(bearing, reading) ids", http, raw)


def check_timeseries_hour(h, r) -> str | None:
    names = {"velocity.rms": "velocity_rms", "acceleration.rms": "acceleration_rms"}
    names["temperature"] = "temperature"
    http = {(s["bearing_id"], names[s["metric"]]): len(s["points"]) for s in h["series"]}
    raw = {(str(b), m): len(p) for (b, m), p in r.items()}
    http = {k: v for k, v in http.items() if v}
    return _differ("interval", h["interval"], "hour") or _differ("points per series", http, raw)


def check_timeseries_raw(h, r) -> str | None:
    http = {s["bearing_id"]: len(s["points"]) for s in h["series"] if s["metric"] == "temperature"}
    raw = {str(b): len(rows) for b, rows in r.items()}
    http = {k: v for k, v in http.items() if v}
    return _differ("interval", h["interval"], "raw") or _differ("points per bearing", http, raw)


def check_bearings(h, r) -> str | None:
    return _differ("count", h["count"], r["count"]) or _differ(
        "ids", [x["id"] for x in h["results"]], _ids(r["results"])
    )


def check_data_query(h, r) -> str | None:
    return _differ("ids", [x["id"] for x in h["results"]], _ids(r))


def check_fft(h, r) -> str | None:
    n_lines = len(bytes(r["spectrum"]["amplitudes"])) // 4
    return _differ("reading id", h["reading_id"], str(r["reading"]["_id"])) or _differ(
        "lines", len(h["amplitudes"]), n_lines
    )


def check_kpis(h, r) -> str | None:
    return (
        _differ("machines_total", h["machines_total"], r["machines_total"])
        or _differ("bearings_total", h["bearings_total"], r["bearings_total"])
        or _differ("readings_last_24h", h["readings_last_24h"], r["readings_last_24h"])
    )


def check_trends_hourly(h, r) -> str | None:
    return _differ(
        "readings in the hours",
        sum(b["count"] for b in h["buckets"]),
        sum(row["count"] for row in r),
    )


def check_trends_status(h, r) -> str | None:
    raw_total = sum(sum(row.get(s, 0) for s in STATUSES) for row in r if row["_id"] != "outside")
    return _differ("readings in the days", sum(d["total"] for d in h["days"]), raw_total)


def check_stats(h, r) -> str | None:
    names = {"bearing_hourly_rollups": "rollups_bearing_hourly"}
    names["area_hourly_rollups"] = "rollups_area_hourly"
    http = {names.get(k, k): v for k, v in h["collections"].items()}
    return _differ("collection counts", http, r["counts"])


def check_alarm_page(h, r) -> str | None:
    return _differ("ids", [x["id"] for x in h["results"]], _ids(r[:PAGE])) or _differ(
        "next page", h["next"] is not None, len(r) > PAGE
    )


def check_alarm_summary(h, r) -> str | None:
    keys = ("open", "active_by_severity", "open_by_state")
    return _differ("counts", {k: h[k] for k in keys}, {k: r[k] for k in keys})


def check_health(h, r) -> str | None:
    return _differ("status", h["status"], "ok") or _differ("ping", r.get("ok"), 1.0)


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


def _timeseries_path(c: Context, *, interval: str, span: dt.timedelta) -> str:
    return (
        f"/api/machines/{c.machine_id}/timeseries?interval={interval}"
        f"&start={iso(c.window_end - span)}&end={iso(c.window_end)}"
    )


ENDPOINTS: list[Endpoint] = [
    Endpoint("machines", lambda c: "/api/machines", raw_machines, check_machines, "list",
             flat=True, load_weight=3, note="find sort(name) limit 50 + count"),
    Endpoint("machines/{id}", lambda c: f"/api/machines/{c.machine_id}", raw_machine_detail,
             check_machine_detail, "detail", load_weight=2, note="machine + its bearings"),
    Endpoint("machines/{id}/latest-readings",
             lambda c: f"/api/machines/{c.machine_id}/latest-readings", raw_latest_readings,
             check_latest_readings, "list", flat=True, load_weight=3,
             note="bearings + readings _id $in"),
    Endpoint("timeseries hour 7d",
             lambda c: _timeseries_path(c, interval="hour", span=7 * DAY), raw_timeseries_hour,
             check_timeseries_hour, "dashboard", load_weight=2,
             note="bearing rollups (machine, hour) find"),
    Endpoint("timeseries raw 1d",
             lambda c: _timeseries_path(c, interval="raw", span=DAY), raw_timeseries_raw,
             check_timeseries_raw, "dashboard", load_weight=1,
             note="readings (machine, time) find"),
    Endpoint("bearings?machine_id=", lambda c: f"/api/bearings?machine_id={c.machine_id}",
             raw_bearings, check_bearings, "list", load_weight=1,
             note="bearings find + count"),
    Endpoint("data/query?machine_id=", lambda c: f"/api/data/query?machine_id={c.machine_id}",
             raw_data_query, check_data_query, "list", load_weight=1,
             note="readings find sort(-ts,-id) limit 50, windows back from now"),
    Endpoint("readings/{id}/fft", lambda c: f"/api/readings/{c.fft_reading_id}/fft", raw_fft,
             check_fft, "detail", load_weight=1, note="reading + spectrum + bearing + machine"),
    Endpoint("dashboard/kpis", lambda c: "/api/dashboard/kpis", raw_kpis, check_kpis,
             "dashboard", flat=True, load_weight=3,
             note="machines $group + area rollups 24 h + 2 edge ranges of readings"),
    Endpoint("dashboard/trends/hourly", lambda c: "/api/dashboard/trends/hourly",
             raw_trends_hourly, check_trends_hourly, "dashboard", flat=True, load_weight=2,
             note="area rollups 24 h $group"),
    Endpoint("dashboard/trends/status", lambda c: "/api/dashboard/trends/status",
             raw_trends_status, check_trends_status, "dashboard", flat=True, load_weight=2,
             note="area rollups 7 d $bucket"),
    Endpoint("dashboard/trends/status?days=1",
             lambda c: "/api/dashboard/trends/status?days=1", raw_trends_status_1d,
             check_trends_status, "dashboard", flat=True,
             note="control: a window every data set fills"),
    Endpoint("dashboard/kpis, cached", lambda c: "/api/dashboard/kpis", None, None,
             "dashboard", flat=True, cached=True, note="cache on (as deployed): hits"),
    Endpoint("dashboard/trends/hourly, cached", lambda c: "/api/dashboard/trends/hourly", None,
             None, "dashboard", flat=True, cached=True, note="cache on (as deployed): hits"),
    Endpoint("dashboard/trends/status, cached", lambda c: "/api/dashboard/trends/status", None,
             None, "dashboard", flat=True, cached=True, note="cache on (as deployed): hits"),
    Endpoint("alarms", lambda c: "/api/alarms", raw_alarm_page, check_alarm_page, "list",
             flat=True, load_weight=1,
             note="alarms (-raised_at, -id) by windows 1, 2, 4.. days back, limit 51"),
    Endpoint("alarms/summary", lambda c: "/api/alarms/summary", raw_alarm_summary,
             check_alarm_summary, "detail", flat=True, load_weight=1,
             note="alarms closed=false $group (severity, state, ack)"),
    Endpoint("stats", lambda c: "/api/stats", raw_stats, check_stats, "utility",
             note="buildInfo + rollup count + counts (+ dbStats on MongoDB) + edges"),
    Endpoint("health", lambda c: "/health", raw_health, check_health, "utility",
             load_weight=1, note="ping"),
]  # fmt: skip
