"""The access matrix: anonymous / customer A / customer B / staff x every endpoint.

The fleet has Acme (m1, m2, m3; 13 readings) and Globex (m4, m5; 2 readings). A plant user
sees their customers' data and nothing else; another customer's object answers 404, not 403.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import fleet_fixtures
from tests.monitoring.conftest import TokenClient

fleet, fleet_db = fleet_fixtures()

USERS = {
    "acme": {"customers": ["Acme"], "machines": 3, "bearings": 4, "readings": 13},
    "globex": {"customers": ["Globex"], "machines": 2, "bearings": 2, "readings": 2},
    "staff": {"customers": None, "machines": 5, "bearings": 6, "readings": 15},
}


def client_for(who: str) -> TokenClient:
    spec = USERS[who]
    return TokenClient(f"user-{who}", is_staff=who == "staff", customers=spec["customers"])


def endpoints(f) -> list[str]:
    """Every API URL, for objects of both customers."""
    urls = [
        "/api/machines",
        "/api/machines/search?q=a",
        "/api/bearings",
        "/api/data/query",
        "/api/dashboard/kpis",
        "/api/dashboard/trends/hourly",
        "/api/dashboard/trends/status",
        "/api/stats",
        "/api/export/readings.csv",
        "/api/export/trends.csv",
        "/api/alarms",
        "/api/alarms/summary",
        "/api/alarm-rules",
        "/api/audit",
    ]
    for m in (f.m1, f.m4):
        urls += [
            f"/api/machines/{m.pk}",
            f"/api/machines/{m.pk}/latest-readings",
            f"/api/machines/{m.pk}/timeseries",
            f"/api/bearings?machine_id={m.pk}",
            f"/api/export/trends.csv?machine_id={m.pk}",
            f"/api/machines/{m.pk}/report",
        ]
    r = f.spectrum.reading_id
    urls += [f"/api/readings/{r}/fft", f"/api/readings/{r}/waveform"]
    urls += [f"/api/readings/{r}/waveform?format=csv", f"/api/readings/{r}/envelope"]
    return urls


def test_anonymous_gets_401_everywhere_but_health(fleet_db, anonymous_client):
    for url in endpoints(fleet_db):
        response = anonymous_client.get(url)
        assert response.status_code == 401, url
        assert response.json()["detail"] == "Authentication credentials were not provided."
        assert response["WWW-Authenticate"] == "Token"
    assert anonymous_client.get("/health").status_code == 200
    assert anonymous_client.get("/api/schema/").status_code == 401


def test_a_wrong_token_is_401(fleet_db, anonymous_client):
    response = anonymous_client.get("/api/machines", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "errors": {}}


@pytest.mark.parametrize("who", ["acme", "globex", "staff"])
def test_lists_and_aggregates_count_only_the_users_customers(fleet_db, who):
    client, spec = client_for(who), USERS[who]
    allowed = spec["customers"]

    def ok(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        return response.json()

    machines = ok("/api/machines?page_size=500")["results"]
    assert len(machines) == spec["machines"]
    assert allowed is None or {m["customer"] for m in machines} == set(allowed)
    assert len(ok("/api/machines/search?q=&page_size=500")["results"]) == spec["machines"]
    assert len(ok("/api/bearings?page_size=500")["results"]) == spec["bearings"]
    readings = ok("/api/data/query?page_size=500")["results"]
    assert len(readings) == spec["readings"]
    kpis = ok("/api/dashboard/kpis")
    assert kpis["machines_total"] == spec["machines"]
    assert kpis["bearings_total"] == spec["bearings"]
    hourly = ok("/api/dashboard/trends/hourly?hours=720")
    assert sum(b["count"] for b in hourly["buckets"]) == spec["readings"]
    status = ok("/api/dashboard/trends/status?days=30")
    assert sum(sum(d["counts"].values()) for d in status["days"]) == spec["readings"]
    stats = ok("/api/stats")
    assert stats["collections"]["machines"] == spec["machines"]
    assert stats["collections"]["readings"] == spec["readings"]


@pytest.mark.parametrize("who", ["acme", "globex", "staff"])
def test_other_customers_objects_are_not_found(fleet_db, who):
    f, client = fleet_db, client_for(who)
    allowed = USERS[who]["customers"]
    for machine in (f.m1, f.m4):
        visible = allowed is None or machine.customer in allowed
        expected = 200 if visible else 404
        for url in (
            f"/api/machines/{machine.pk}",
            f"/api/machines/{machine.pk}/latest-readings",
            f"/api/machines/{machine.pk}/timeseries",
            f"/api/bearings?machine_id={machine.pk}",
            f"/api/export/trends.csv?machine_id={machine.pk}",
            f"/api/machines/{machine.pk}/report",
        ):
            response = client.get(url)
            assert response.status_code == expected, (who, url)
            if not visible:
                # The same answer as for an id that does not exist: nothing is revealed.
                assert "Acme" not in response.content.decode()
    r = f.spectrum.reading_id
    for what in ("fft", "waveform", "waveform?format=csv", "envelope"):
        response = client.get(f"/api/readings/{r}/{what}")
        assert response.status_code == (200 if allowed is None or "Acme" in allowed else 404)


@pytest.mark.parametrize("who", ["acme", "globex", "staff"])
def test_exports_hold_only_the_users_customers(fleet_db, who):
    client, spec = client_for(who), USERS[who]
    allowed = spec["customers"]

    def rows(url, **headers) -> list[list[str]]:
        response = client.get(url, **headers)
        assert response.status_code == 200, url
        text = b"".join(response.streaming_content).decode()
        return [line.split(",") for line in text.splitlines()[1:]]

    readings = rows("/api/export/readings.csv?customer=Acme,Globex")
    assert len(readings) == spec["readings"]
    assert allowed is None or {r[2] for r in readings} == set(allowed)
    assert len(rows("/api/data/query", HTTP_ACCEPT="text/csv")) == spec["readings"]
    area = rows("/api/export/trends.csv?start=2026-03-01T00:00:00Z&end=2026-03-11T00:00:00Z")
    assert sum(int(r[4]) for r in area) == spec["readings"]


def test_filtering_for_another_customer_returns_nothing(fleet_db):
    client = client_for("globex")
    body = client.get("/api/machines?customer=Acme").json()
    assert body["count"] == 0 and body["results"] == []
    assert client.get("/api/dashboard/kpis?customer=Acme").json()["machines_total"] == 0


def test_user_without_customers_sees_nothing(fleet_db):
    client = TokenClient("nobody", is_staff=False, customers=None)
    assert client.get("/api/machines").json()["count"] == 0
    assert client.get(f"/api/machines/{fleet_db.m1.pk}").status_code == 404
    assert client.get("/api/dashboard/kpis").json()["machines_total"] == 0


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_api_is_read_only_for_plant_users(fleet_db, method):
    client = client_for("acme")
    response = getattr(client, method)(f"/api/machines/{fleet_db.m1.pk}")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only staff may change data."


def test_staff_writes_are_not_offered(fleet_db):
    # The API has no write endpoints; staff edit data in the admin.
    response = client_for("staff").post("/api/machines", {})
    assert response.status_code == 405


def test_session_login_works_for_the_browsable_api(fleet_db):
    user, _ = get_user_model().objects.get_or_create(username="browser", is_staff=True)
    browser = Client()
    browser.force_login(user)
    response = browser.get("/api/machines", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"Boiler Feed Pump" in response.content


def test_docs_pages_are_public_but_the_schema_is_not(fleet_db, anonymous_client, client):
    for url in ("/docs", "/redoc"):
        assert anonymous_client.get(url).status_code == 200
    assert anonymous_client.get("/api/schema/").status_code == 401
    assert client.get("/api/schema/").status_code == 200


@pytest.mark.django_db
def test_a_deleted_token_or_deactivated_user_stops_working_at_once(settings):
    settings.API_TOKEN_CACHE_SECONDS = 60
    client = TokenClient("revoked", is_staff=True)
    assert client.get("/api/stats").status_code == 200
    assert client.get("/api/stats").status_code == 200  # now served from the token cache
    user = get_user_model().objects.get(username="revoked")
    user.is_active = False
    user.save()
    assert client.get("/api/stats").status_code == 401
    user.is_active = True
    user.save()
    assert client.get("/api/stats").status_code == 200
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    assert client.get("/api/stats").status_code == 401
