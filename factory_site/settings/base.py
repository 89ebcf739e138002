"""Settings shared by every environment; every value comes from the environment or `.env`."""

import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# An optional .env file for local use; real environment variables win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

APP_VERSION = "0.1.0"

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "factory_site.apps.MongoAdminConfig",
    "factory_site.apps.MongoAuthConfig",
    "factory_site.apps.MongoContentTypesConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_mongodb_backend",
    "rest_framework",
    "rest_framework.authtoken",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_crontab",
    "monitoring",
    "ingestion",
]

MIDDLEWARE = [
    # First: the request id, metrics and access log see every answer, redirects included.
    "factory_site.observability.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "factory_site.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "factory_site.urls"
WSGI_APPLICATION = "factory_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# MONGODB_URI set: a real MongoDB, used as is (TLS and auth parameters live in the URI).
# MONGODB_URI unset: the embedded SecantusDB for EMBEDDED_DB_PATH, started on first connection.
MONGODB_URI = env("MONGODB_URI", default="")
MONGODB_NAME = env("MONGODB_NAME", default="factory_monitoring")
EMBEDDED_DB_PATH = Path(env("EMBEDDED_DB_PATH", default=str(BASE_DIR / "var" / "db")))
# Fail fast when the database is away instead of hanging a request for 30 s.
MONGODB_TIMEOUT_MS = env.int("MONGODB_TIMEOUT_MS", default=2000)


def database_settings(uri: str, name: str, embedded_path: Path) -> dict:
    """The DATABASES["default"] entry for a URI, or for the embedded server when it is empty."""
    options = {
        "serverSelectionTimeoutMS": MONGODB_TIMEOUT_MS,
        "connectTimeoutMS": MONGODB_TIMEOUT_MS,
    }
    if uri:
        return {"ENGINE": "factory_site.db", "HOST": uri, "NAME": name, "OPTIONS": options}
    return {
        "ENGINE": "factory_site.db",
        "HOST": "",
        "NAME": name,
        "EMBEDDED_PATH": str(embedded_path),
        "OPTIONS": options,
    }


DATABASES = {"default": database_settings(MONGODB_URI, MONGODB_NAME, EMBEDDED_DB_PATH)}
DATABASE_ROUTERS = ["django_mongodb_backend.routers.MongoRouter"]
DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
MIGRATION_MODULES = {
    "admin": "mongo_migrations.admin",
    "auth": "mongo_migrations.auth",
    "contenttypes": "mongo_migrations.contenttypes",
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))

# --- Logging ---------------------------------------------------------------------------------
LOG_DIR = Path(env("LOG_DIR", default=str(BASE_DIR / "var" / "log")))
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
APP_LOG_FILE = Path(env("APP_LOG_FILE", default=str(LOG_DIR / "app.log")))
INGESTION_LOG_FILE = Path(env("INGESTION_LOG_FILE", default=str(LOG_DIR / "ingestion.log")))
# text (default) or json: one JSON object per line with the request id, user, route, status...
LOG_FORMAT = env("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json")
# One line per request from Django (factory_site.access), with the request id and route.
ACCESS_LOG = env.bool("ACCESS_LOG", default=True)
LOG_DIR.mkdir(parents=True, exist_ok=True)
APP_LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
INGESTION_LOG_FILE.parent.mkdir(parents=True, exist_ok=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "factory_site.observability.TextFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s",
        },
        "json": {"()": "factory_site.observability.JsonFormatter"},
    },
    # Request id, user, route and ingestion run id on every record, whoever logged it.
    "filters": {"context": {"()": "factory_site.observability.ContextFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        },
        "app_file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(APP_LOG_FILE),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "formatter": LOG_FORMAT,
            "filters": ["context"],
            "delay": True,
        },
        "ingestion_file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(INGESTION_LOG_FILE),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "formatter": LOG_FORMAT,
            "filters": ["context"],
            "delay": True,
        },
    },
    "root": {"handlers": ["console", "app_file"], "level": LOG_LEVEL},
    "loggers": {
        "ingestion": {
            "handlers": ["console", "ingestion_file"],
            "level": LOG_LEVEL,
            "propagate": False,
        },
        "factory_site.access": {"level": "INFO" if ACCESS_LOG else "WARNING"},
        # pymongo logs every command at DEBUG; keep it quiet unless asked for.
        "pymongo": {"level": "WARNING"},
    },
}

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "monitoring.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "monitoring.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "monitoring.renderers.JsonFirstNegotiation",
    # API clients (the dashboard) send "Authorization: Token ..."; the browsable API and the
    # admin use sessions.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "monitoring.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "monitoring.permissions.ReadOnlyUnlessStaff",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "monitoring.throttling.AnonCounterThrottle",
        "monitoring.throttling.UserCounterThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="1200/minute"),
    },
    # One error format for every 4xx, and 503 when the database is unreachable.
    "EXCEPTION_HANDLER": "monitoring.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Factory Monitoring API",
    "DESCRIPTION": (
        "Vibration condition monitoring of machines and bearings. Ids are 24-hex ObjectIds; "
        "timestamps are ISO 8601, UTC with Z in responses, and must carry an offset in "
        'requests. Errors: {"detail": ..., "errors": {field: [messages]}}. Conventions: '
        "acceleration in g, velocity in mm/s (RMS and 0-peak, over the ISO band), spectra 0-peak "
        "(Hann window, amplitude-corrected), kurtosis Pearson (a Gaussian reads 3), BSF once per "
        "ball revolution; zones per ISO 20816-3:2022 (the housing velocity boundaries of ISO "
        "10816-3), a value on a boundary in the worse zone."
    ),
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is under /api/ like the data: it needs a token or a staff session.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Assets packaged locally: plant networks are often offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["monitoring.api.urls.schema_paths_without_slash"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "monitoring.api.urls.non_blank_query_strings",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "monitoring.models.Status",
        "OutcomeEnum": "monitoring.models.IngestionRun.Outcome",
    },
}

# --- Cache (throttling counters, dashboard responses) -----------------------------------------
# Redis when REDIS_URL is set (shared by every app server), else this process's memory.
# While Redis is away the cache degrades instead of failing (factory_site/cache.py): misses,
# dropped writes, throttling open; Redis is retried every REDIS_RETRY_SECONDS.
REDIS_URL = env("REDIS_URL", default="")
REDIS_TIMEOUT_S = env.float("REDIS_TIMEOUT_S", default=0.5)
CACHES = {
    "default": (
        {
            "BACKEND": "factory_site.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_S,
                "socket_timeout": REDIS_TIMEOUT_S,
                "RETRY_SECONDS": env.float("REDIS_RETRY_SECONDS", default=5.0),
            },
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# How long a valid API token's user is cached (saves a join per request; 0 disables).
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=60)
# Dashboard answers (kpis, trends) are cached this long; ingestion invalidates them at once.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=30)
# Most rows one CSV export (or data/query as text/csv) may hold; more answers 400 with the count.
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=1_000_000)

# --- CORS: the dashboard frontend's origins (none by default) ----------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(api/.*|health/?)$"

# --- Ingestion -----------------------------------------------------------------------------
INGEST_API_URL = env("INGEST_API_URL", default="http://127.0.0.1:8765")
INGEST_API_KEY = env("INGEST_API_KEY", default="dev-key")
INGEST_TIMEOUT_S = env.float("INGEST_TIMEOUT_S", default=10.0)
INGEST_MAX_ATTEMPTS = env.int("INGEST_MAX_ATTEMPTS", default=5)
INGEST_CONCURRENCY = env.int("INGEST_CONCURRENCY", default=4)
INGEST_CRON_SCHEDULE = env("INGEST_CRON_SCHEDULE", default="0 2 * * *")

# Retention tiers (monitoring/retention.py): raw waveforms for this many days, then one per
# bearing and day plus evidence (pinned readings); readings and rollups are kept forever.
RETENTION_WAVEFORM_DAYS = env.int("RETENTION_WAVEFORM_DAYS", default=90)
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=1000)
# Daily, after the ingestion job (INGEST_CRON_SCHEDULE, 02:00).
RETENTION_CRON_SCHEDULE = env("RETENTION_CRON_SCHEDULE", default="30 4 * * *")

CRONJOBS = [
    (
        INGEST_CRON_SCHEDULE,
        "django.core.management.call_command",
        # Yesterday in full and today so far: runs are idempotent, so the overlap is free.
        ["ingest_data", "--backfill-days", "2"],
        {},
        f">> {LOG_DIR / 'ingestion_cron.log'} 2>&1",
    ),
    (
        RETENTION_CRON_SCHEDULE,
        "django.core.management.call_command",
        ["apply_retention"],
        {},
        f">> {LOG_DIR / 'retention_cron.log'} 2>&1",
    ),
]
CRONTAB_COMMAND_PREFIX = env("CRONTAB_COMMAND_PREFIX", default="")
CRONTAB_EXECUTABLE = env("CRONTAB_EXECUTABLE", default="/usr/bin/crontab")
CRONTAB_LOCK_JOBS = True
# Page size asked of the vendor (its maximum is 200) and readings per transaction: each
# transaction has a fixed cost (commit, rollup buckets, alarm evaluation's queries); measured
# with bench/bench_ingest.py (median of 3 rounds), end to end / raw was 0.65 at 1000 and 0.70
# at 2000. Much larger batches make the writer wait longer for the first one.
INGEST_PAGE_SIZE = env.int("INGEST_PAGE_SIZE", default=200)
INGEST_BATCH_SIZE = env.int("INGEST_BATCH_SIZE", default=2000)
# Lease of the run lock: renewed by a heartbeat every quarter of it, so only a dead run's
# lock outlives it, and the next run takes over at most this long after the crash.
INGEST_LOCK_TTL_S = env.int("INGEST_LOCK_TTL_S", default=120)
# `make run` on an empty database: a week of simulator data (see ingestion demo_data).
INGEST_DEMO_DAYS = env.int("INGEST_DEMO_DAYS", default=7)
INGEST_DEMO_INTERVAL_MINUTES = env.int("INGEST_DEMO_INTERVAL_MINUTES", default=120)
INGEST_DEMO_N_SAMPLES = env.int("INGEST_DEMO_N_SAMPLES", default=4096)
# Installed cron lines name the settings module of whoever ran `crontab add`.
CRONTAB_DJANGO_SETTINGS_MODULE = env(
    "CRONTAB_DJANGO_SETTINGS_MODULE",
    default=__import__("os").environ.get("DJANGO_SETTINGS_MODULE", "factory_site.settings.local"),
)
# httpx logs every request at INFO; the ingestion logger reports what matters.
LOGGING["loggers"]["httpx"] = {"level": "WARNING"}

# --- Observability: /metrics and /health/ready -----------------------------------------------
# /metrics answers a bearer token, or an address in the list (IPs or CIDR networks); when both
# are set, both must match; with neither it answers 404.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
for _network in METRICS_ALLOWED_IPS:
    ipaddress.ip_network(_network, strict=False)  # a typo fails at start, not at each scrape
# Ingestion and readings figures are read from the database at most once per this period.
METRICS_DB_CACHE_SECONDS = env.int("METRICS_DB_CACHE_SECONDS", default=15)
# /health/ready reports the last ingestion run as stale past this age (0: no limit); it stays
# ready either way.
READINESS_INGESTION_MAX_AGE_S = env.int("READINESS_INGESTION_MAX_AGE_S", default=0)

# --- Alarms ----------------------------------------------------------------------------------
# A condition that returns within this many minutes of its alarm clearing reopens that alarm
# (and counts an occurrence) instead of raising a new one.
ALARM_REOPEN_MINUTES = env.int("ALARM_REOPEN_MINUTES", default=360)
# The stale-sensor check (`check_stale`), scheduled with the ingestion job (ingest_cron add).
ALARM_STALE_CRON_SCHEDULE = env("ALARM_STALE_CRON_SCHEDULE", default="*/15 * * * *")
CRONJOBS.append(
    (
        ALARM_STALE_CRON_SCHEDULE,
        "django.core.management.call_command",
        ["check_stale"],
        {},
        f">> {LOG_DIR / 'alarms_cron.log'} 2>&1",
    )
)
# Digests: email through Django's backend (EMAIL_* below), and optional signed webhooks.
ALARM_EMAIL_FROM = env("ALARM_EMAIL_FROM", default="alarms@localhost")
ALARM_WEBHOOK_TIMEOUT_S = env.float("ALARM_WEBHOOK_TIMEOUT_S", default=5.0)
ALARM_WEBHOOK_ATTEMPTS = env.int("ALARM_WEBHOOK_ATTEMPTS", default=3)
ALARM_WEBHOOK_BACKOFF_S = env.float("ALARM_WEBHOOK_BACKOFF_S", default=1.0)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
