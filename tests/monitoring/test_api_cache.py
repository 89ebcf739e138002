"""Dashboard and stats answers are cached; an ingestion change makes fresh numbers visible."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.api import views
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


class SlowComputation:
    """An answer that takes a while, counting how often it is computed."""

    def __init__(self, seconds: float = 0.3):
        self.seconds, self.calls = seconds, 0
        self.lock = threading.Lock()

    def __call__(self) -> dict:
        with self.lock:
            self.calls += 1
        time.sleep(self.seconds)
        return {"kpi": 42}


def _concurrently(n: int, work) -> list:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: work(), range(n)))


def test_concurrent_misses_compute_an_answer_once(caching):
    computation = SlowComputation()
    answers = _concurrently(
        6, lambda: views.answer_computed_once(key="dashboard:t1", compute=computation, timeout=60)
    )
    assert computation.calls == 1
    assert answers == [{"kpi": 42}] * 6
    assert cache.get("dashboard:t1") == {"kpi": 42}
    assert cache.get("dashboard:t1:computing") is None  # the claim is released


def test_a_failed_computation_releases_its_claim(caching):
    def failing():
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError):
        views.answer_computed_once(key="dashboard:t2", compute=failing, timeout=60)
    assert cache.get("dashboard:t2:computing") is None
    computation = SlowComputation(0)
    assert views.answer_computed_once(key="dashboard:t2", compute=computation, timeout=60)
    assert computation.calls == 1


def test_with_redis_away_every_worker_computes_without_waiting(monkeypatch):
    from factory_site.cache import TolerantRedisCache

    # Nothing listens on port 1: claims fail and reads miss, as in a Redis outage.
    away = TolerantRedisCache("redis://127.0.0.1:1", {"OPTIONS": {"RETRY_SECONDS": 60}})
    monkeypatch.setattr(views, "cache", away)
    computation = SlowComputation(0.05)
    started = time.monotonic()
    answers = _concurrently(
        3, lambda: views.answer_computed_once(key="dashboard:t3", compute=computation, timeout=60)
    )
    assert answers == [{"kpi": 42}] * 3 and computation.calls == 3
    assert time.monotonic() - started < views.COMPUTE_WAIT_S  # nobody waited for a claim
