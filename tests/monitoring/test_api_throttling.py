"""Throttling (429 with Retry-After, per user and per anonymous client) and CORS headers."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from monitoring.throttling import AnonCounterThrottle, UserCounterThrottle
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    """Rates of 3 requests a minute (the classes read them once, at import)."""
    rates = {"anon": "3/minute", "user": "3/minute"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_user_over_the_rate_gets_429_with_retry_after(low_rates):
    client = TokenClient("busy", is_staff=True)
    assert [client.get("/api/machines").status_code for _ in range(3)] == [200] * 3
    response = client.get("/api/machines")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["errors"] == {} and "throttled" in body["detail"].lower()


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, set by the test (seconds since the epoch)."""
    now = [1_800_000_015.0]  # 15 s into a minute
    for throttle in (UserCounterThrottle, AnonCounterThrottle):
        monkeypatch.setattr(throttle, "timer", staticmethod(lambda: now[0]))
    return now


def test_the_limit_applies_per_minute_and_lifts_when_it_ends(low_rates, clock):
    client = TokenClient("steady", is_staff=True)
    assert [client.get("/api/machines").status_code for _ in range(3)] == [200] * 3
    clock[0] += 30
    refused = client.get("/api/machines")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "15"  # the minute ends 15 s later
    clock[0] += 15
    assert client.get("/api/machines").status_code == 200


def test_users_are_throttled_separately(low_rates):
    first, second = TokenClient("one", is_staff=True), TokenClient("two", is_staff=True)
    for _ in range(3):
        first.get("/api/machines")
    assert first.get("/api/machines").status_code == 429
    assert second.get("/api/machines").status_code == 200


def test_anonymous_clients_are_throttled_too(low_rates, anonymous_client):
    codes = [anonymous_client.get("/api/machines").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_guessing_tokens_is_throttled(low_rates, anonymous_client):
    codes = [
        anonymous_client.get("/api/machines", HTTP_AUTHORIZATION=f"Token {n:040d}").status_code
        for n in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_health_is_never_throttled(low_rates, anonymous_client):
    assert {anonymous_client.get("/health").status_code for _ in range(6)} == {200}


def test_cors_allows_the_configured_origin_only(anonymous_client):
    allowed = anonymous_client.get("/health", HTTP_ORIGIN="https://dashboard.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://dashboard.example.com"
    other = anonymous_client.get("/health", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in other


def test_cors_preflight_allows_the_authorization_header(anonymous_client):
    response = anonymous_client.options(
        "/api/machines",
        HTTP_ORIGIN="https://dashboard.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert response.status_code == 200
    assert "authorization" in response["Access-Control-Allow-Headers"].lower()


def test_cors_is_not_applied_to_the_admin(anonymous_client):
    response = anonymous_client.get("/admin/login/", HTTP_ORIGIN="https://dashboard.example.com")
    assert "Access-Control-Allow-Origin" not in response
