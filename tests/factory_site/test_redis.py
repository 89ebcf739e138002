"""The Redis paths against a real redis-server, as production runs them: two gunicorn workers.

The dashboard cache is shared by the workers (one computation serves both), a throttle limit
holds across them, and when Redis goes away mid-run requests still answer (degraded: cache
misses compute, throttling fails open) and the cache works again once Redis is back.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.servers import Gunicorn, RedisServer, production_env

THROTTLE_LIMIT = 30
USERS = ("cache-user", "throttle-user", "outage-user", "locmem-user")


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """An API token per test user (each has its own throttle counters)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    with django_db_blocker.unblock():
        users = [get_user_model().objects.create_user(name, is_staff=True) for name in USERS]
        yield {user.username: Token.objects.create(user=user).key for user in users}
        for user in users:
            user.delete()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def _env(tmp, **extra):
    return production_env(
        tmp, LOG_FORMAT="json", API_THROTTLE_USER=f"{THROTTLE_LIMIT}/hour", **extra
    )


@pytest.fixture(scope="module")
def site(redis_server, tokens, tmp_path_factory):
    """gunicorn, two workers, sharing Redis (retried 1 s after a failure)."""
    tmp = tmp_path_factory.mktemp("redis-site")
    env = _env(tmp, REDIS_URL=redis_server.url, REDIS_RETRY_SECONDS="1")
    server = Gunicorn(env, tmp).start()
    yield server
    server.stop()


def _get(site, path: str, token: str, request_id: str) -> httpx.Response:
    headers = {"Authorization": f"Token {token}", "X-Request-Id": request_id}
    return httpx.get(f"{site.url}{path}", headers=headers, timeout=30)


def burst(site, path: str, token: str, n: int, tag: str) -> list[httpx.Response]:
    """``n`` requests, eight at a time, so both sync workers answer some of them."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda i: _get(site, path, token, f"{tag}-{i}"), range(n)))


def workers_that_answered(site, tag: str) -> set[int]:
    """Worker pids that answered the requests tagged ``tag`` (from the JSON access log)."""
    pids = set()
    for line in site.log_text().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("logger") == "factory_site.access" and str(
                record.get("request_id", "")
            ).startswith(f"{tag}-"):
                pids.add(record["pid"])
    return pids


def _not_near_an_hour_boundary() -> None:
    """The throttle counts per calendar hour: do not straddle one."""
    now = dt.datetime.now(dt.UTC)
    if now.minute == 59 and now.second > 40:
        time.sleep(61 - now.second)


def _burst_on_both_workers(site, path, token, tag, n=24, tries=5):
    """A burst, repeated until both workers answered part of it (the kernel picks)."""
    responses, pids = [], set()
    for attempt in range(tries):
        responses += burst(site, path, token, n, f"{tag}{attempt}")
        time.sleep(0.3)  # the access lines are flushed by then
        pids |= workers_that_answered(site, f"{tag}{attempt}")
        if len(pids) == 2:
            return responses
    pytest.fail(f"one worker answered all {len(responses)} requests")


def test_two_workers_share_one_dashboard_computation(site, tokens, redis_server):
    responses = _burst_on_both_workers(site, "/api/dashboard/kpis", tokens["cache-user"], "kpi")
    assert {r.status_code for r in responses} == {200}
    # generated_at is the computation's time: one value means one computation served all.
    assert len({r.json()["generated_at"] for r in responses}) == 1
    assert redis_server.client().keys("*dashboard:*")


def test_with_local_memory_each_worker_computes_its_own(tokens, tmp_path_factory):
    """The control: the same burst without Redis gives one computation per worker."""
    tmp = tmp_path_factory.mktemp("locmem-site")
    server = Gunicorn(_env(tmp), tmp).start()
    try:
        token = tokens["locmem-user"]
        responses = _burst_on_both_workers(server, "/api/dashboard/kpis", token, "loc")
        assert len({r.json()["generated_at"] for r in responses}) == 2
    finally:
        server.stop()


def test_a_throttle_limit_holds_across_workers(site, tokens):
    _not_near_an_hour_boundary()
    token = tokens["throttle-user"]
    responses = burst(site, "/api/machines", token, THROTTLE_LIMIT + 15, "thr")
    time.sleep(0.3)
    assert len(workers_that_answered(site, "thr")) == 2
    codes = [r.status_code for r in responses]
    assert codes.count(200) == THROTTLE_LIMIT and codes.count(429) == 15, codes
    assert all(int(r.headers["Retry-After"]) > 0 for r in responses if r.status_code == 429)


def test_redis_going_away_degrades_and_recovers(site, tokens, redis_server):
    token = tokens["outage-user"]
    assert {r.status_code for r in burst(site, "/api/dashboard/kpis", token, 4, "pre")} == {200}
    redis_server.stop()
    try:
        during = burst(site, "/api/dashboard/kpis", token, 12, "down")
        during += burst(site, "/api/machines", token, 8, "down-m")
        assert [r.status_code for r in during] == [200] * 20
        assert httpx.get(f"{site.url}/health").status_code == 200
        assert "cache: Redis unreachable" in site.log_text()
    finally:
        redis_server.start()  # the same port: the workers reconnect to it
    time.sleep(1.2)  # REDIS_RETRY_SECONDS
    after = burst(site, "/api/dashboard/kpis", token, 8, "back")
    assert {r.status_code for r in after} == {200}
    assert redis_server.client().keys("*dashboard:*"), "the cache is written again"
    assert "cache: Redis is back" in site.log_text()


def test_the_cache_backend_degrades_in_process(redis_server, settings):
    """Django's cache API on the tolerant backend: miss, drop, fail open, then reconnect."""
    from factory_site.cache import TolerantRedisCache

    cache = TolerantRedisCache(
        redis_server.url,
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_SECONDS": 0.2}},
    )
    cache.set("k", {"a": 1})
    assert cache.get("k") == {"a": 1}
    assert cache.add("n", 1) and cache.incr("n") == 2
    redis_server.stop()
    try:
        assert cache.get("k", "fallback") == "fallback"
        assert cache.set("k", 2) is None and cache.add("x", 1) is False
        assert cache.incr("n") == 1  # fails open: counted as the first request of its window
        assert cache.get_many(["k"]) == {}
    finally:
        redis_server.start()
    time.sleep(0.3)
    cache.set("k", 3)
    assert cache.get("k") == 3
