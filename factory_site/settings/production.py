"""Production settings: a real MongoDB, secrets from the environment, nothing embedded."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, MONGODB_NAME, database_settings, env

DEBUG = False
# No defaults: production refuses to start without its secrets.
SECRET_KEY = env("DJANGO_SECRET_KEY")
MONGODB_URI = env("MONGODB_URI")
if not MONGODB_URI:
    raise ImproperlyConfigured("Set the MONGODB_URI environment variable")
DATABASES["default"] = database_settings(MONGODB_URI, MONGODB_NAME, None)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
