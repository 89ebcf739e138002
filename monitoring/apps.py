from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Machines, bearings, readings, spectra and rollups; the admin and the REST API."""

    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "monitoring"

    def ready(self):
        # Connects the token cache's invalidation signals.
        from monitoring import authentication  # noqa: F401
        from monitoring.api import render, serializers  # noqa: F401

        # Every response serializer compiles now: an unsupported field fails at start-up.
        render.compile_all()
