"""Prometheus metrics at ``/metrics``: requests, database and cache errors, ingestion, readings.

Request and error counters live in this process (prometheus-client), and under gunicorn in its
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, which gunicorn.conf.py sets), so one scrape
sums every worker. Ingestion and readings figures are read from the database at scrape time,
index-led and cached for ``METRICS_DB_CACHE_SECONDS``, so a scrape costs no collection scan and
usually no query at all. ``/metrics`` answers only a bearer token (``METRICS_TOKEN``) or an
allowed address (``METRICS_ALLOWED_IPS``); with neither configured it answers 404.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from pymongo import monitoring as pymongo_monitoring

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "factory_http_requests", "HTTP requests answered, per route pattern, method and status.",
    ["route", "method", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "factory_http_request_duration_seconds",
    "Time from the first middleware to the response, per route pattern and status.",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
DATABASE_ERRORS = Counter(
    "factory_database_errors",
    "Failed database commands (kind: the server's error code name) and failed heartbeats "
    "(kind=unreachable: the server did not answer).",
    ["kind"],
)
CACHE_ERRORS = Counter(
    "factory_cache_errors", "Cache (Redis) calls that failed and were served degraded.", ["op"]
)

SNAPSHOT_KEY = "metrics:database-snapshot"


def request_observe(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, str(status)).observe(seconds)


class _CommandErrors(pymongo_monitoring.CommandListener):
    def started(self, event):
        pass

    def succeeded(self, event):
        pass

    def failed(self, event):
        failure = event.failure if isinstance(event.failure, dict) else {}
        DATABASE_ERRORS.labels(str(failure.get("codeName") or "command")).inc()


class _HeartbeatErrors(pymongo_monitoring.ServerHeartbeatListener):
    def started(self, event):
        pass

    def succeeded(self, event):
        pass

    def failed(self, event):
        DATABASE_ERRORS.labels("unreachable").inc()


# Listeners apply to database clients created after this (the web app's, on first use).
pymongo_monitoring.register(_CommandErrors())
pymongo_monitoring.register(_HeartbeatErrors())


# --------------------------------------------------------------------------------------------
# Figures read from the database at scrape time
# --------------------------------------------------------------------------------------------


def _epoch(value: dt.datetime | None) -> float | None:
    """Seconds since the epoch of a stored datetime (naive values are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def _runs_snapshot() -> dict:
    """The latest ingestion run and the latest finished one (the started_at index, limit 1)."""
    # Imported late: the logging configuration loads this module before the apps are ready.
    from monitoring.scope import Scope
    from monitoring.selectors import system

    everything = Scope.everything()
    last = system.last_run(scope=everything)
    success = system.last_finished_run(scope=everything)
    snapshot = {"last_success": _epoch(success["finished_at"]) if success else None}
    if last:
        started, finished = _epoch(last["started_at"]), _epoch(last.get("finished_at"))
        snapshot["last_run"] = {
            "started": started,
            "duration": finished - started if finished is not None else None,
            "outcome": last.get("outcome"),
            **{key: last.get(key, 0) for key in ("stored", "skipped", "duplicates")},
        }
    return snapshot


def _readings_snapshot(now: dt.datetime) -> list[list]:
    """[customer, area, readings in the last 24 full hours, bearings] per customer and area."""
    from monitoring.scope import Scope
    from monitoring.selectors import system

    end = now.replace(minute=0, second=0, microsecond=0)
    rows = system.area_activity_get(scope=Scope.everything(), end=end, hours=24)
    return [[r["customer"], r["area"], r["readings"], r["bearings"]] for r in rows]


def database_snapshot() -> dict:
    """The database-derived figures, from the cache when fresh (one computation per period)."""
    snapshot = cache.get(SNAPSHOT_KEY)
    if snapshot is None:
        now = dt.datetime.now(dt.UTC)
        snapshot = {"runs": _runs_snapshot(), "areas": _readings_snapshot(now),
                    "alarms": _alarms_snapshot()}  # fmt: skip
        if settings.METRICS_DB_CACHE_SECONDS > 0:
            cache.set(SNAPSHOT_KEY, snapshot, settings.METRICS_DB_CACHE_SECONDS)
    return snapshot


def _alarms_snapshot() -> list[list]:
    """[customer, severity, state, open alarms] per combination present."""
    from monitoring.scope import Scope
    from monitoring.selectors import alarms

    totals: dict[tuple, int] = {}
    for row in alarms.open_alarm_counts(
        scope=Scope.everything(), by=("customer", "severity", "state")
    ):
        key = (row["customer"] or "", row["severity"], row["state"])
        totals[key] = totals.get(key, 0) + row["n"]
    return [[*key, n] for key, n in sorted(totals.items())]


def _gauge(name: str, documentation: str, value: float | None, labels=None):
    family = GaugeMetricFamily(name, documentation, labels=list(labels or {}))
    if value is not None:
        family.add_metric(list((labels or {}).values()), value)
    return family


def _run_families(runs: dict) -> list:
    """Gauges of the latest ingestion run and of the last successful one."""
    last = runs.get("last_run") or {}
    families = [
        _gauge("factory_ingestion_last_success_timestamp_seconds",
               "When the last successful ingestion run finished.", runs.get("last_success")),
        _gauge("factory_ingestion_last_run_start_timestamp_seconds",
               "When the latest ingestion run started.", last.get("started")),
        _gauge("factory_ingestion_last_run_duration_seconds",
               "Duration of the latest run (absent while it runs).", last.get("duration")),
    ]  # fmt: skip
    for key in ("stored", "skipped", "duplicates"):
        families.append(
            _gauge(f"factory_ingestion_last_run_{key}",
                   f"Readings {key} by the latest ingestion run.", last.get(key))
        )  # fmt: skip
    outcome = GaugeMetricFamily(
        "factory_ingestion_last_run_outcome", "1 for the latest run's outcome.", labels=["outcome"]
    )
    if last.get("outcome"):
        outcome.add_metric([last["outcome"]], 1)
    return [*families, outcome]


def _area_families(areas: list[list]) -> list:
    """Readings, bearings and readings per bearing over the last 24 full hours, per area."""
    labels = ["customer", "area"]
    readings = GaugeMetricFamily(
        "factory_readings_last_24h", "Readings in the last 24 full UTC hours.", labels=labels
    )
    bearings = GaugeMetricFamily("factory_bearings", "Bearings in the catalogue.", labels=labels)
    per_bearing = GaugeMetricFamily(
        "factory_readings_per_bearing_per_day",
        "Readings per bearing in the last 24 full UTC hours (a silent sensor lowers it).",
        labels=labels,
    )
    for customer, area, n_readings, n_bearings in areas:
        readings.add_metric([customer, area], n_readings)
        bearings.add_metric([customer, area], n_bearings)
        if n_bearings:
            per_bearing.add_metric([customer, area], n_readings / n_bearings)
    return [readings, bearings, per_bearing]


def _alarm_families(rows: list[list]) -> list:
    """Open alarms per customer, severity and state (active, or cleared awaiting closure)."""
    family = GaugeMetricFamily(
        "factory_open_alarms",
        "Open (not closed) alarms; state active or cleared (condition gone, not yet closed).",
        labels=["customer", "severity", "state"],
    )
    for customer, severity, state, n in rows:
        family.add_metric([customer, severity, state], n)
    return [family]


class DatabaseCollector:
    """Collects the database-derived figures when a scrape asks for them."""

    def collect(self):
        try:
            snapshot = database_snapshot()
        except Exception as exc:  # the scrape still answers with the process metrics
            logger.warning("metrics: database figures unavailable (%s)", type(exc).__name__)
            yield _gauge("factory_metrics_database_up", "Database figures could be read.", 0)
            return
        yield _gauge("factory_metrics_database_up", "Database figures could be read.", 1)
        yield from _run_families(snapshot["runs"])
        yield from _area_families(snapshot["areas"])
        yield from _alarm_families(snapshot.get("alarms", []))


# --------------------------------------------------------------------------------------------
# The scrape
# --------------------------------------------------------------------------------------------


def _denied_status(request) -> int | None:
    """None when the scraper may read the metrics, else the status to answer."""
    token, networks = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS
    if not token and not networks:
        return 404  # closed unless configured: nothing tells it exists
    if token:
        sent = request.META.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return 403
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return 403
        if not any(address in ipaddress.ip_network(net, strict=False) for net in networks):
            return 403
    return None


def process_exposition() -> bytes:
    """This process's metrics, or every gunicorn worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_view(request):
    """``GET /metrics``: the Prometheus text format, for a token or an allowed address."""
    denied = _denied_status(request)
    if denied is not None:
        return HttpResponse(status=denied, content_type="text/plain")
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    body = process_exposition() + generate_latest(database)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
