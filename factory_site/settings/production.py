"""Production settings: a real MongoDB, secrets from the environment, nothing embedded.

Behind a TLS-terminating proxy or load balancer that sets X-Forwarded-Proto.
"""

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
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS: the proxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers probe /health over plain HTTP inside the network.
# So do orchestrators (readiness) and Prometheus (/metrics) inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^health/ready/?$", r"^metrics/?$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Static files (admin, Swagger UI, ReDoc) served by the application itself: gunicorn has no
# static file server, and `collectstatic` + `gunicorn -c gunicorn.conf.py` must be enough.
# Hashed names (manifest) are cached for a year; a CDN or proxy in front may cache them too.
MIDDLEWARE.insert(  # noqa: F405
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,  # noqa: F405
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Set when a CDN serves /static/ from another origin (e.g. https://cdn.example.com/static/).
STATIC_URL = env("DJANGO_STATIC_URL", default="static/")

# Alarm digests go out by SMTP (EMAIL_HOST, EMAIL_PORT, ... in base.py) unless told otherwise.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
