"""Routes of the REST API, under ``/api/``: the seed's paths, kebab-case.

Each route answers with and without a trailing slash (no redirect). Routes are listed
explicitly rather than by a router so ``machines/search`` sits before ``machines/{id}`` and the
dashboard's nested paths read as they are served.
"""

from django.urls import re_path

from monitoring.alarms import api as alarm_api
from monitoring.api import views


def route(pattern: str, view, name: str):
    """A route for ``pattern`` that also accepts a trailing slash."""
    return re_path(rf"^{pattern}/?$", view, name=name)


def serve(viewset, action: str, method: str = "get"):
    """The view of one viewset action, with the options its ``@action`` declares.

    A router would pass them; without one, ``as_view`` must, or e.g. an action's
    ``pagination_class=None`` is lost and the schema describes a paginated answer.
    """
    options = getattr(getattr(viewset, action), "kwargs", {})
    return viewset.as_view({method: action}, **options)


machines = views.MachineViewSet
dashboard = views.DashboardViewSet
MACHINE = r"machines/(?P<machine_id>[^/]+)"
alarms = alarm_api.AlarmViewSet
ALARM = r"alarms/(?P<alarm_id>[^/]+)"
RULE = r"alarm-rules/(?P<rule_id>[^/]+)"

urlpatterns = [
    route("machines", serve(machines, "list"), "machine-list"),
    route("machines/search", serve(machines, "search"), "machine-search"),
    route(MACHINE, serve(machines, "retrieve"), "machine-detail"),
    route(
        f"{MACHINE}/latest-readings",
        serve(machines, "latest_readings"),
        "machine-latest-readings",
    ),
    route(f"{MACHINE}/timeseries", serve(machines, "timeseries"), "machine-timeseries"),
    route(f"{MACHINE}/report", serve(views.MachineReportViewSet, "retrieve"), "machine-report"),
    route("bearings", serve(views.BearingViewSet, "list"), "bearing-list"),
    route("data/query", serve(views.ReadingViewSet, "list"), "reading-query"),
    route(
        r"readings/(?P<reading_id>[^/]+)/fft",
        serve(views.SpectrumViewSet, "retrieve"),
        "reading-fft",
    ),
    route(
        r"readings/(?P<reading_id>[^/]+)/waveform",
        serve(views.WaveformViewSet, "waveform"),
        "reading-waveform",
    ),
    route(
        r"readings/(?P<reading_id>[^/]+)/envelope",
        serve(views.EnvelopeViewSet, "envelope"),
        "reading-envelope",
    ),
    route("dashboard/kpis", serve(dashboard, "kpis"), "dashboard-kpis"),
    route("dashboard/trends/hourly", serve(dashboard, "hourly_trends"), "dashboard-trends-hourly"),
    route("dashboard/trends/status", serve(dashboard, "status_trends"), "dashboard-trends-status"),
    route("stats", views.StatsView.as_view(), "stats"),
    route(r"export/readings\.csv", serve(views.ExportViewSet, "readings"), "export-readings"),
    route(r"export/trends\.csv", serve(views.ExportViewSet, "trends"), "export-trends"),
    # Alarms (monitoring/alarms/api.py)
    route("alarms", serve(alarms, "list"), "alarm-list"),
    route("alarms/summary", serve(alarms, "summary"), "alarm-summary"),
    route(ALARM, serve(alarms, "retrieve"), "alarm-detail"),
    *[
        route(f"{ALARM}/{name}", serve(alarms, name, "post"), f"alarm-{name}")
        for name in ("ack", "clear", "close", "assign", "comments")
    ],
    route(
        "alarm-rules",
        alarm_api.AlarmRuleViewSet.as_view({"get": "list", "post": "create"}),
        "alarm-rule-list",
    ),
    route(
        RULE,
        alarm_api.AlarmRuleViewSet.as_view({"get": "retrieve", "put": "update"}),
        "alarm-rule-detail",
    ),
    route(
        f"{RULE}/preview",
        serve(alarm_api.AlarmRuleViewSet, "preview", "post"),
        "alarm-rule-preview",
    ),
    route("audit", serve(alarm_api.AuditViewSet, "list"), "audit-list"),
]


def schema_paths_without_slash(endpoints, **kwargs):
    """drf-spectacular hook: document each route once, without its optional trailing slash."""
    return [
        (path.rstrip("/") if path != "/" else path, regex, method, callback)
        for path, regex, method, callback in endpoints
    ]


def non_blank_query_strings(result, generator, request, public):
    """drf-spectacular hook: string query parameters may not be blank (the views say 400)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param.get("in") != "query" or param["name"] == "q":
                    continue
                schema = param.get("schema", {})
                target = schema.get("items", schema) if schema.get("type") == "array" else schema
                if target.get("type") == "string" and "enum" not in target:
                    target.setdefault("minLength", 1)
    return result
