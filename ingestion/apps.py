from django.apps import AppConfig


class IngestionConfig(AppConfig):
    """Pulls measurements from the vendor API and stores them (commands, client, wire codec)."""

    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "ingestion"
