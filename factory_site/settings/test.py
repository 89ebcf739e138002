"""Test settings: a throwaway embedded server per test session (see tests/conftest.py)."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK, database_settings, env

# Tests never touch the developer's data folder: each session gets its own temporary one,
# unless TEST_MONGODB_URI points the suite at a real MongoDB.
TEST_DB_DIR = Path(
    os.environ.setdefault("TEST_EMBEDDED_DB_PATH", tempfile.mkdtemp(prefix="fm-test-"))
)
DATABASES["default"] = database_settings(
    env("TEST_MONGODB_URI", default=""), "factory_monitoring", TEST_DB_DIR / "db"
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOG_LEVEL = "WARNING"

# The suite makes thousands of requests as a few users within a minute; the throttling tests
# set their own rates (tests/monitoring/test_api_throttling.py).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "100000/minute", "user": "100000/minute"}
CORS_ALLOWED_ORIGINS = ["https://dashboard.example.com"]
# Tests share one process-wide cache across different data; the cache test turns it on.
DASHBOARD_CACHE_SECONDS = 0
