"""Dashboard and stats answers are cached; an ingestion change makes fresh numbers visible."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.models import Reading
from monitoring.mongo import collection
from monitoring.services import latest_state_update, rollups_apply
from tests.factories import BearingFactory, ReadingFactory

pytestmark = pytest.mark.django_db

URLS = ["/api/dashboard/kpis", "/api/dashboard/trends/hourly", "/api/dashboard/trends/status"]


@pytest.fixture
def caching(settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def _ingest(reading):
    """Store a reading's rollups and latest state as an ingestion batch does."""
    doc = collection(Reading).find_one({"_id": reading.pk})
    rollups_apply([doc])
    latest_state_update({doc["bearing_id"]: doc})


def test_second_request_is_served_from_the_cache(caching, client):
    _ingest(ReadingFactory())
    for url in URLS:
        first = client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            second = client.get(url)
        assert second.json() == first.json()
        data = [q for q in ctx.captured_queries if "rollups" in q["sql"] or "machines" in q["sql"]]
        assert data == [], url  # only the token and the data version were read


def test_an_ingestion_makes_fresh_numbers_visible(caching, client):
    bearing = BearingFactory()
    _ingest(ReadingFactory(bearing=bearing))
    before = client.get("/api/dashboard/kpis").json()
    assert before["readings_last_24h"] == 1
    assert client.get("/api/dashboard/kpis").json() == before  # cached
    _ingest(ReadingFactory(bearing=bearing, status="Alert"))
    after = client.get("/api/dashboard/kpis").json()
    assert after["readings_last_24h"] == 2
    assert after["machines_in_alert"] == 1
    hourly = client.get("/api/dashboard/trends/hourly").json()
    assert sum(b["count"] for b in hourly["buckets"]) == 2


def test_users_of_different_customers_never_share_an_entry(caching, client):
    from tests.monitoring.conftest import TokenClient

    _ingest(ReadingFactory())  # customer Acme
    assert client.get("/api/dashboard/kpis").json()["machines_total"] == 1
    other = TokenClient("globex-user", is_staff=False, customers=["Globex"])
    assert other.get("/api/dashboard/kpis").json()["machines_total"] == 0


def test_stats_are_cached_and_refreshed_by_an_ingestion(caching, client, recorder):
    bearing = BearingFactory()
    _ingest(ReadingFactory(bearing=bearing))
    first = client.get("/api/stats").json()
    assert first["collections"]["readings"] == 1
    assert any(c.get("aggregate") == "rollups_area_hourly" for c in recorder.commands)
    recorder.commands.clear()
    assert client.get("/api/stats").json() == first
    # The second answer reads only the data version (and nothing the stats are made of).
    assert [next(iter(c.values())) for c in recorder.commands] == ["data_versions"]
    _ingest(ReadingFactory(bearing=bearing))
    assert client.get("/api/stats").json()["collections"]["readings"] == 2
