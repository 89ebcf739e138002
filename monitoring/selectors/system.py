"""Health, system statistics and the dashboard data version."""

from __future__ import annotations

import datetime as dt
import time

import pymongo
from django.conf import settings
from django.db import connection

from monitoring import clock
from monitoring.models import (
    AreaHourlyRollup,
    Bearing,
    BearingHourlyRollup,
    DataVersion,
    IngestionRun,
    Machine,
    Reading,
    Spectrum,
)
from monitoring.mongo import (
    HOUR,
    TIME_MAX,
    TIME_MIN,
    aggregate,
    collection,
    reading_stages,
    rollup_stages,
    utc,
)
from monitoring.scope import Scope

HEALTH_TIMEOUT_S = 2.0
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


FINISHED_OUTCOMES = (IngestionRun.Outcome.SUCCEEDED, IngestionRun.Outcome.COMPLETED_WITH_ERRORS)
#: Finished runs are looked for among this many newest runs first (one index walk, no filter).
RECENT_RUNS = 50


def _runs_query(scope: Scope) -> dict:
    # Runs over every customer ("") concern everyone; others only their own customer.
    if scope.unrestricted:
        return {}
    return {"customer": {"$in": [*scope.allowed(), ""]}}


def last_run(*, scope: Scope) -> dict | None:
    """The most recent ingestion run (document) that concerns the scope's customers."""
    return collection(IngestionRun).find_one(_runs_query(scope), sort=[("started_at", -1)])


def last_finished_run(*, scope: Scope) -> dict | None:
    """The most recent ingestion run that completed (document), for the scope's customers."""
    # Along the started_at index newest first: an outcome filter beside the sort would make
    # SecantusDB scan and sort the whole collection, so it is the fallback only.
    runs = collection(IngestionRun)
    finished = [str(o) for o in FINISHED_OUTCOMES]
    recent = runs.find(_runs_query(scope), sort=[("started_at", -1)], limit=RECENT_RUNS)
    for run in recent:
        if run.get("outcome") in finished:
            return run
    query = {**_runs_query(scope), "outcome": {"$in": finished}}
    return runs.find_one(query, sort=[("started_at", -1)])


def area_activity_get(*, scope: Scope, end: dt.datetime, hours: int = 24) -> list[dict]:
    """Per customer and area: readings in the ``hours`` full hours before ``end``, and bearings.

    Readings come from the area rollups (the hour index, a few documents per hour); bearings
    from the machine catalogue, led by its customer index (every machine has a customer).
    """
    key = {"customer": "$customer", "area": "$area"}
    window = {"$gte": end - HOUR * hours, "$lt": end}
    readings = aggregate(
        AreaHourlyRollup,
        [
            *rollup_stages(AreaHourlyRollup, window, scope.match()),
            {"$group": {"_id": key, "n": {"$sum": "$count"}}},
        ],
    )
    customers = scope.condition() or {"$gte": ""}
    bearings = aggregate(
        Machine,
        [
            {"$match": {"customer": customers}},
            {"$group": {"_id": key, "n": {"$sum": "$bearing_count"}}},
        ],
    )
    rows: dict[tuple, dict] = {}
    for name, found in (("readings", readings), ("bearings", bearings)):
        for doc in found:
            area = (doc["_id"].get("customer") or "", doc["_id"].get("area") or "")
            row = rows.setdefault(area, {"customer": area[0], "area": area[1]})
            row[name] = doc["n"]
    return [{"readings": 0, "bearings": 0, **row} for _, row in sorted(rows.items())]


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
        "time": clock.now(),
    }


def metadata_counts_are_cheap(build_info: dict) -> bool:
    """Whether estimated counts and dbStats come from metadata (MongoDB), not a full read.

    SecantusDB reads every document for both (factory_site/compat.py, note 5).
    """
    return "secantusVersion" not in build_info


def _time_edges(scope: Scope, first_hour, last_hour) -> tuple:
    """The exact first and last reading times inside the first and last rollup hours."""
    edges = []
    for hour, op in ((first_hour, "$min"), (last_hour, "$max")):
        hour = utc(hour)
        rows = aggregate(
            Reading,
            [
                *reading_stages({"$gte": hour, "$lt": hour + HOUR}, scope.match()),
                {"$group": {"_id": None, "t": {op: "$timestamp"}}},
            ],
        )
        edges.append(utc(rows[0]["t"]) if rows else None)
    return tuple(edges)


def _reading_summary(scope: Scope) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    """Readings in scope and their oldest and newest time, found via the area rollups.

    Ingestion adds to the rollups in the transaction that stores the readings, so their counts
    are the readings' count; counting readings would read them all (SecantusDB walks every
    document even for an estimated count). The first and last rollup hours bound two small
    reads for the exact times.
    """
    group = {"_id": None, "n": {"$sum": "$count"}, "first": {"$min": "$hour"}}
    group["last"] = {"$max": "$hour"}
    summary = aggregate(
        AreaHourlyRollup, [{"$match": scope.match(count={"$gt": 0})}, {"$group": group}]
    )
    if summary:
        first, last = _time_edges(scope, summary[0]["first"], summary[0]["last"])
        return summary[0]["n"], first, last
    # No rollup in scope (never built; normally no readings either): one read over all time.
    group = {"_id": None, "n": {"$sum": 1}, "first": {"$min": "$timestamp"}}
    group["last"] = {"$max": "$timestamp"}
    window = {"$gte": TIME_MIN, "$lte": TIME_MAX}
    rows = aggregate(Reading, [*reading_stages(window, scope.match()), {"$group": group}])
    if not rows:
        return 0, None, None
    return rows[0]["n"], utc(rows[0]["first"]), utc(rows[0]["last"])


def _collection_counts(scope: Scope, readings: int, cheap: bool) -> dict:
    """Documents per collection in scope; None where unknown cheaply or not attributable."""
    counts = {}
    for name, model in STATS_COLLECTIONS.items():
        coll = collection(model)
        has_customer = any(f.name == "customer" for f in model._meta.get_fields())
        if model is Reading:
            counts[name] = readings
        elif not cheap and model in GROWING_COLLECTIONS:
            counts[name] = None
        elif scope.unrestricted:
            counts[name] = coll.estimated_document_count()
        elif has_customer:
            counts[name] = coll.count_documents(scope.match())
        else:
            counts[name] = None  # not attributable to a customer
    return counts


def _storage(database, cheap: bool, scope: Scope) -> dict:
    """dbStats sizes, for an unrestricted scope on a server that reads them from metadata."""
    if not (cheap and scope.unrestricted):
        return {}
    try:
        db_stats = database.command("dbStats")
    except pymongo.errors.OperationFailure:
        return {}
    return {k: db_stats.get(k) for k in ("storageSize", "dataSize", "indexSize")}


def stats_get(*, scope: Scope) -> dict:
    """Document counts, storage size, reading time range, last run and versions."""
    database = connection.database
    try:
        build_info = database.client.admin.command("buildInfo")
    except pymongo.errors.OperationFailure:
        build_info = {}
    # Where counts and sizes would read every document (SecantusDB), the collections that
    # grow with readings and the storage sizes are left out (null) rather than made slow.
    cheap = metadata_counts_are_cheap(build_info)
    readings, oldest, newest = _reading_summary(scope)
    storage = _storage(database, cheap, scope)
    return {
        "collections": _collection_counts(scope, readings, cheap),
        "storage_size_bytes": storage.get("storageSize"),
        "data_size_bytes": storage.get("dataSize"),
        "index_size_bytes": storage.get("indexSize"),
        "oldest_reading_at": oldest,
        "newest_reading_at": newest,
        "last_ingestion": last_run(scope=scope),
        "app_version": settings.APP_VERSION,
        "server_version": build_info.get("version"),
    }


def data_version_get() -> int:
    """The dashboard data version ingestion bumps on every change (0 before any)."""
    doc = collection(DataVersion).find_one({"_id": DataVersion.DASHBOARD}, {"version": 1})
    return doc["version"] if doc else 0
