"""Routes of the REST API, under ``/api/``: the seed's paths, kebab-case.

Each route answers with and without a trailing slash (no redirect). Routes are listed
explicitly rather than by a router so ``machines/search`` sits before ``machines/{id}`` and the
dashboard's nested paths read as they are served.
"""

from django.urls import re_path

from monitoring.api import views


def route(pattern: str, view, name: str):
    """A route for ``pattern`` that also accepts a trailing slash."""
    return re_path(rf"^{pattern}/?$", view, name=name)


def serve(viewset, action: str):
    """The view of one viewset action, with the options its ``@action`` declares.

    A router would pass them; without one, ``as_view`` must, or e.g. an action's
    ``pagination_class=None`` is lost and the schema describes a paginated answer.
    """
    options = getattr(getattr(viewset, action), "kwargs", {})
    return viewset.as_view({"get": action}, **options)


machines = views.MachineViewSet
dashboard = views.DashboardViewSet
MACHINE = r"machines/(?P<machine_id>[^/]+)"

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
