"""URL configuration: the admin console, the REST API and its documentation."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from factory_site.health import ReadinessView
from factory_site.metrics import metrics_view
from factory_site.views import favicon
from monitoring.api.views import HealthView

urlpatterns = [
    # First: nearly every request is an API call, resolved without trying the others.
    path("api/", include("monitoring.api.urls")),
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^health/ready/?$", ReadinessView.as_view(), name="readiness"),
    re_path(r"^metrics/?$", metrics_view, name="metrics"),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    # The documentation pages hold no data; the schema they load needs a session or token.
    re_path(
        r"^docs/?$",
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[AllowAny]),
        name="swagger-ui",
    ),
    re_path(
        r"^redoc/?$",
        SpectacularRedocView.as_view(url_name="schema", permission_classes=[AllowAny]),
        name="redoc",
    ),
]

# The API's error format for unmatched API URLs and server errors (HTML elsewhere).
handler404 = "monitoring.exceptions.json_not_found"
handler500 = "monitoring.exceptions.json_server_error"
