"""The database goes away and comes back: 503s in the API's format, then normal service.

The test stops the session's embedded server for real and starts it again on the same data
folder; the same process (no restart) must serve again.
"""

import time
from pathlib import Path

import pytest
from django.conf import settings

from factory_site import embedded
from tests.factories import MachineFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "EMBEDDED_PATH" not in settings.DATABASES["default"],
        reason="needs the embedded server (TEST_MONGODB_URI points at a real MongoDB)",
    ),
]


def test_outage_answers_503_then_recovers(client, anonymous_client):
    MachineFactory(machine_name="Kiln fan")
    assert client.get("/api/machines").status_code == 200
    path = Path(settings.DATABASES["default"]["EMBEDDED_PATH"])
    embedded.stop(path)
    try:
        started = time.monotonic()
        health = anonymous_client.get("/health")
        assert time.monotonic() - started < 3.0
        assert health.status_code == 503
        assert health.json()["database"] == "unreachable"

        for url in ("/api/machines", "/api/dashboard/kpis", "/api/stats"):
            started = time.monotonic()
            response = client.get(url)
            assert time.monotonic() - started < 6.0, url
            assert response.status_code == 503, url
            assert response["Content-Type"] == "application/json"
            assert response.json() == {
                "detail": "The database is unreachable; try again shortly.",
                "errors": {},
            }
    finally:
        embedded.ensure_server(path)

    deadline = time.monotonic() + 15
    while anonymous_client.get("/health").status_code != 200:
        assert time.monotonic() < deadline, "no recovery after the server came back"
        time.sleep(0.2)
    names = [m["machine_name"] for m in client.get("/api/machines").json()["results"]]
    assert names == ["Kiln fan"]
