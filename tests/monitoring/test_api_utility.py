"""/health, /api/stats, the docs pages, and the one error format (404s, 503s)."""

import pytest
from django.db import DatabaseError
from pymongo.database import Database
from pymongo.errors import ServerSelectionTimeoutError

from monitoring.selectors import catalogue, dashboard, system
from tests.factories import fleet_fixtures

# The shared read-only fleet, built once for this module.
fleet, fleet_db = fleet_fixtures()


def _outage():
    try:
        raise ServerSelectionTimeoutError("127.0.0.1:27017: connection refused")
    except ServerSelectionTimeoutError as cause:
        # What Django raises when pymongo cannot reach the server: an empty DatabaseError.
        error = DatabaseError()
        error.__cause__ = cause
        return error


# --- health ----------------------------------------------------------------------------------


def test_health(fleet_db, client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["version"] == "0.1.0"
    assert body["database_latency_ms"] >= 0
    assert client.get("/health/").status_code == 200


def test_health_without_database(fleet_db, client, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise ServerSelectionTimeoutError("mongodb://admin:secret@db:27017 refused")

    monkeypatch.setattr(Database, "command", refuse)
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["database"] == "unreachable"
    assert "secret" not in response.content.decode()


# --- stats -----------------------------------------------------------------------------------


EXPECTED_COUNTS = {
    "machines": 5,
    "bearings": 6,
    "readings": 15,
    "spectra": 1,
    # One bearing rollup per bearing and UTC hour, one area rollup per area and hour.
    "bearing_hourly_rollups": 13,
    "area_hourly_rollups": 9,
    "ingestion_runs": 1,
}


def test_stats_as_on_mongodb(fleet_db, client, monkeypatch):
    """Where counts and sizes come from metadata, every count and the sizes are reported."""
    monkeypatch.setattr(system, "metadata_counts_are_cheap", lambda build_info: True)
    f = fleet_db
    body = client.get("/api/stats").json()
    assert body["collections"] == EXPECTED_COUNTS
    assert body["oldest_reading_at"] == "2026-03-01T08:00:00Z"
    assert body["newest_reading_at"] == "2026-03-10T12:25:00Z"
    assert body["last_ingestion"]["id"] == str(f.run.pk)
    assert body["last_ingestion"]["outcome"] == "succeeded"
    assert body["app_version"] == "0.1.0"
    assert body["server_version"]
    assert body["storage_size_bytes"] > 0
    assert body["data_size_bytes"] > 0


def test_stats_on_secantusdb_leaves_out_what_would_read_every_document(fleet_db, client):
    """The embedded server scans for counts and dbStats: growing collections and sizes are null."""
    body = client.get("/api/stats").json()
    assert body["collections"] == {
        **EXPECTED_COUNTS, "spectra": None, "bearing_hourly_rollups": None
    }  # fmt: skip
    assert body["storage_size_bytes"] is None and body["data_size_bytes"] is None
    assert body["newest_reading_at"] == "2026-03-10T12:25:00Z"


@pytest.mark.django_db
def test_stats_on_an_empty_database(client):
    body = client.get("/api/stats").json()
    assert body["collections"]["readings"] == 0
    assert body["oldest_reading_at"] is None and body["newest_reading_at"] is None
    assert body["last_ingestion"] is None


def test_stats_rejects_params(fleet_db, client):
    response = client.get("/api/stats?verbose=1")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input: verbose.",
        "errors": {"verbose": ["Unknown query parameter."]},
    }


# --- docs ------------------------------------------------------------------------------------


def test_schema_and_docs_are_served_without_a_cdn(fleet_db, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/machines/{machine_id}/timeseries:" in schema.content
    for url, marker in (("/docs", b"swagger-ui"), ("/redoc", b"redoc")):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.lower()
        assert marker in html
        assert b"drf_spectacular_sidecar" in html
        assert b"cdn.jsdelivr" not in html and b"unpkg.com" not in html


# --- errors ----------------------------------------------------------------------------------


def test_unknown_api_url_is_a_json_404(fleet_db, client):
    response = client.get("/api/machinez")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}


def test_database_outage_is_a_503_in_the_error_format(fleet_db, client, monkeypatch):
    def down(**kwargs):
        raise _outage()

    monkeypatch.setattr(dashboard, "kpis_get", down)
    response = client.get("/api/dashboard/kpis")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database is unreachable; try again shortly.",
        "errors": {},
    }


def test_raw_pymongo_timeout_is_a_503(fleet_db, client, monkeypatch):
    def down(**kwargs):
        raise ServerSelectionTimeoutError("timed out")

    monkeypatch.setattr(catalogue, "machine_list", down)
    response = client.get("/api/machines")
    assert response.status_code == 503
    assert set(response.json()) == {"detail", "errors"}


def test_other_database_errors_are_not_disguised(fleet_db, monkeypatch):
    # A broken query is a bug (500), not an outage: only unreachability maps to 503.
    from monitoring.exceptions import database_is_down

    assert database_is_down(_outage())
    assert not database_is_down(DatabaseError("E11000 duplicate key"))
