"""Routes of the REST API, under ``/api/``: the seed's paths, kebab-case.

Each route answers with and without a trailing slash (no redirect). Routes are listed
explicitly rather than by a router so ``machines/search`` sits before ``machines/{id}`` and the
dashboard's nested paths read as they are served.
"""

from django.urls import re_path

from monitoring import views


def route(pattern: str, view, name: str):
    """A route for ``pattern`` that also accepts a trailing slash."""
    return re_path(rf"^{pattern}/?$", view, name=name)


machines = views.MachineViewSet
dashboard = views.DashboardViewSet

urlpatterns = [
    route("machines", machines.as_view({"get": "list"}), "machine-list"),
    route("machines/search", machines.as_view({"get": "search"}), "machine-search"),
    route(
        r"machines/(?P<machine_id>[^/]+)", machines.as_view({"get": "retrieve"}), "machine-detail"
    ),
    route(
        r"machines/(?P<machine_id>[^/]+)/latest-readings",
        machines.as_view({"get": "latest_readings"}),
        "machine-latest-readings",
    ),
    route(
        r"machines/(?P<machine_id>[^/]+)/timeseries",
        machines.as_view({"get": "timeseries"}),
        "machine-timeseries",
    ),
    route("bearings", views.BearingViewSet.as_view({"get": "list"}), "bearing-list"),
    route("data/query", views.ReadingViewSet.as_view({"get": "list"}), "reading-query"),
    route(
        r"readings/(?P<reading_id>[^/]+)/fft",
        views.SpectrumViewSet.as_view({"get": "retrieve"}),
        "reading-fft",
    ),
    route("dashboard/kpis", dashboard.as_view({"get": "kpis"}), "dashboard-kpis"),
    route(
        "dashboard/trends/hourly",
        dashboard.as_view({"get": "hourly_trends"}),
        "dashboard-trends-hourly",
    ),
    route(
        "dashboard/trends/status",
        dashboard.as_view({"get": "status_trends"}),
        "dashboard-trends-status",
    ),
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
