"""Request ids on every response, JSON log lines with the request's context, ingestion run ids
on ingestion's log lines, and readiness for orchestrators."""

import io
import json
import logging
import logging.handlers

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from factory_site import health
from factory_site.observability import ContextFilter, JsonFormatter, TextFormatter
from ingestion.run import ingestion_run
from monitoring.models import IngestionRun
from tests.factories import IngestionRunFactory
from tests.ingestion.support import CUSTOMER, DAY, simulator_start, vendor_client
from tests.monitoring.conftest import TokenClient
from tests.servers import migrations_record_applied

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Records of the access log and ingestion, formatted as production's LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("factory_site.access", "ingestion")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.parametrize("url", ["/health", "/api/machines", "/admin/login/", "/nowhere"])
def test_every_response_carries_a_request_id(url):
    response = Client().get(url)
    assert len(response["X-Request-Id"]) == 32
    assert response["X-Request-Id"] != Client().get(url)["X-Request-Id"]


@pytest.mark.parametrize(
    "incoming, kept",
    [
        ("3f1c-proxy.id:42", True),
        ("Root=1-67891233-abcdef012345678912345678", True),  # an AWS load balancer trace id
        ("x" * 129, False),  # unbounded
        ("bad id", False),
        ('id"\n{"level": "forged"}', False),  # would forge a log line
        ("", False),
    ],
)
def test_the_proxys_request_id_is_kept_when_sane(incoming, kept):
    response = Client().get("/health", HTTP_X_REQUEST_ID=incoming)
    assert (response["X-Request-Id"] == incoming) is kept
    if not kept:
        assert len(response["X-Request-Id"]) == 32


def test_one_json_access_line_per_request_with_its_context(json_lines):
    client = TokenClient("log-user")
    client.get("/api/machines?page_size=5", HTTP_X_REQUEST_ID="req-abc-1")
    [line] = [r for r in json_lines() if r["logger"] == "factory_site.access"]
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "user", "route",
                         "status", "duration_ms"}  # fmt: skip
    assert line["request_id"] == "req-abc-1"
    assert line["route"] == "api/machines/?$"  # the pattern, not the path and query
    assert line["status"] == 200 and line["level"] == "INFO"
    from django.contrib.auth import get_user_model

    assert line["user"] == str(get_user_model().objects.get(username="log-user").pk)
    assert line["time"].endswith("+00:00")


def test_anonymous_requests_log_no_user(json_lines):
    Client().get("/health")
    [line] = json_lines()
    assert "user" not in line and line["route"] == "^health/?$"


def test_ingestion_log_lines_carry_the_run_id(json_lines):
    server = simulator_start()
    try:
        with vendor_client(server) as client:
            run = ingestion_run(date_from=DAY, date_to=DAY, customer=CUSTOMER, client=client)
    finally:
        server.stop()
    lines = [r for r in json_lines() if r["logger"].startswith("ingestion")]
    assert lines, "ingestion logged nothing at INFO"
    assert {r.get("run_id") for r in lines} == {str(run.pk)}
    # and none after the run
    logging.getLogger("ingestion.run").warning("after the run")
    assert "run_id" not in json_lines()[-1]


# --- readiness --------------------------------------------------------------------------------


@pytest.fixture
def migrations_recorded(monkeypatch):
    """The applied migrations recorded, as `migrate` leaves a real database."""
    monkeypatch.setattr(health, "_migrations_applied", False)
    migrations_record_applied()
    yield
    MigrationRecorder(connection).migration_qs.all().delete()


def test_ready_reports_migrations_and_the_last_run_age(migrations_recorded, settings):
    IngestionRunFactory()  # finished 2026-03-10 02:05
    settings.READINESS_INGESTION_MAX_AGE_S = 3600
    response = Client().get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["migrations"] == "applied"
    assert body["database"] == "ok"
    assert body["last_ingestion_outcome"] == IngestionRun.Outcome.SUCCEEDED
    assert body["last_ingestion_age_s"] > 3600 and body["ingestion_stale"] is True
    # nothing about the plant or the database's address
    assert set(body) == {"status", "database", "migrations", "last_ingestion_age_s",
                         "last_ingestion_outcome", "ingestion_stale", "version"}  # fmt: skip
    assert "mongodb" not in response.content.decode().lower()


def test_not_ready_while_a_migration_is_pending(migrations_recorded):
    MigrationRecorder(connection).migration_qs.filter(app="monitoring").delete()
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending" and response.json()["status"] == "not_ready"


def test_readiness_is_in_the_schema_without_authentication(staff_client):
    schema = staff_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/health/ready"]["get"]
    assert set(operation["responses"]) == {"200", "503"}
    assert operation.get("security") == schema["paths"]["/health"]["get"].get("security")


class CountingFormatter(TextFormatter):
    """The text formatter, counting the lines it actually builds."""

    built = 0

    def format_record(self, record):
        CountingFormatter.built += 1
        return super().format_record(record)


def test_a_line_written_to_console_and_rotating_file_is_formatted_once(tmp_path):
    formatter = CountingFormatter("%(levelname)s %(name)s%(context)s: %(message)s")
    console_stream = io.StringIO()
    console = logging.StreamHandler(console_stream)
    # maxBytes > 0: the rotating handler formats the record again to see whether it still fits.
    log_file = logging.handlers.RotatingFileHandler(tmp_path / "app.log", maxBytes=1 << 20)
    context = ContextFilter()
    for handler in (console, log_file):
        handler.addFilter(context)
        handler.setFormatter(formatter)
    logger = logging.getLogger("tests.observability.once")
    logger.propagate = False
    logger.addHandler(console)
    logger.addHandler(log_file)
    try:
        CountingFormatter.built = 0
        logger.warning("pump %s tripped", 7)
    finally:
        for handler in (console, log_file):
            logger.removeHandler(handler)
            handler.close()
    assert CountingFormatter.built == 1
    line = "WARNING tests.observability.once: pump 7 tripped\n"
    assert console_stream.getvalue() == line
    assert (tmp_path / "app.log").read_text() == line


def test_the_text_log_format_formats_each_record_once(settings):
    assert settings.LOGGING["formatters"]["text"]["()"].endswith("observability.TextFormatter")
