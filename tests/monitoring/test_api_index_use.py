"""Every query an endpoint sends to the readings collection uses an index.

A command listener records what each request sends to MongoDB; each command on readings is
then explained, and a collection scan fails the test. (Rollups, machines and bearings are
small by design; readings grow by ~100 million a year.)
"""

import datetime as dt

import pytest
from django.db import connection

from monitoring.services import latest_state_rebuild, rollups_rebuild
from tests.factories import (
    BearingFactory,
    MachineFactory,
    ReadingFactory,
    SpectrumFactory,
    WaveformFactory,
)
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db


def _plan(command: dict) -> str:
    """The query planner's answer for a recorded command, as text."""
    body = {k: v for k, v in command.items() if not k.startswith(("$", "lsid"))}
    body.pop("txnNumber", None)
    if "aggregate" in body:
        body["cursor"] = {}
    explained = connection.get_database().command({"explain": body, "verbosity": "queryPlanner"})
    return repr(explained)


@pytest.fixture
def plant():
    """Two customers, three machines, 240 readings over 40 hours, one spectrum (on Acme's)."""
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    machines = [
        MachineFactory(customer="Acme", area="Utilities"),
        MachineFactory(customer="Acme", area="Press shop"),
        MachineFactory(customer="Globex", area="Utilities"),
    ]
    bearings = [BearingFactory(machine=m) for m in machines for _ in range(2)]
    readings = [
        ReadingFactory(bearing=b, timestamp=start + dt.timedelta(hours=i), status=status)
        for i in range(40)
        for b, status in zip(bearings, ["Normal", "Alert"] * 3, strict=True)
    ]
    SpectrumFactory(reading=readings[-6])  # the last reading of bearings[0]
    WaveformFactory(reading=readings[-12])  # the one before: /fft derives from the waveform
    rollups_rebuild()
    latest_state_rebuild()
    return machines, bearings, readings


def urls(machines, bearings, readings) -> list[str]:
    m, b, r, w = machines[0].pk, bearings[0].pk, readings[-6].pk, readings[-12].pk
    t = "start=2026-03-02T00:00:00Z&end=2026-03-05T00:00:00Z"
    kolkata = "tz=Asia/Kolkata&customer=Acme,Globex&area=Utilities"
    return [
        "/api/machines", "/api/machines/search?q=pump&has_alert=true", f"/api/machines/{m}",
        f"/api/machines/{m}/latest-readings",
        f"/api/machines/{m}/timeseries?interval=raw&{t}",
        f"/api/machines/{m}/timeseries?interval=raw&bearing_id={b}&{t}",
        f"/api/machines/{m}/timeseries?interval=hour&{t}",
        f"/api/machines/{m}/timeseries?interval=day&{t}&agg=max",
        f"/api/machines/{m}/timeseries?{t}",
        f"/api/machines/{m}/timeseries?start=2026-03-02T00:20:00Z&end=2026-03-02T00:40:00Z",
        "/api/bearings", f"/api/bearings?machine_id={m}",
        "/api/data/query", f"/api/data/query?machine_id={m}", f"/api/data/query?bearing_id={b}",
        f"/api/data/query?machine_id={m}&bearing_id={b}&status=Normal",
        "/api/data/query?customer=Acme", "/api/data/query?area=Utilities",
        "/api/data/query?customer=Acme,Globex&area=Utilities",
        "/api/data/query?status=Alert", f"/api/data/query?{t}",
        "/api/data/query?min_velocity_rms=0.5&max_velocity_rms=3",
        "/api/data/query?customer=Acme&status=Alert&min_velocity_rms=0.5",
        f"/api/readings/{r}/fft", f"/api/readings/{w}/fft", f"/api/readings/{w}/waveform",
        f"/api/readings/{w}/waveform?format=csv", f"/api/readings/{w}/envelope",
        "/api/dashboard/kpis", "/api/dashboard/kpis?customer=Globex&area=Utilities",
        "/api/dashboard/kpis?customer=Acme,Globex",
        "/api/dashboard/trends/hourly?hours=720", "/api/dashboard/trends/status?days=30",
        "/api/dashboard/trends/hourly?hours=720&tz=Asia/Kolkata",
        "/api/dashboard/trends/status?days=30&tz=Asia/Kolkata",
        f"/api/dashboard/trends/hourly?hours=720&{kolkata}",
        f"/api/dashboard/trends/status?days=30&{kolkata}",
        "/api/stats",
        "/api/export/readings.csv", f"/api/export/readings.csv?machine_id={m}&{t}",
        f"/api/export/readings.csv?bearing_id={b}&status=Normal",
        "/api/export/readings.csv?customer=Acme&status=Alert&min_velocity_rms=0.5",
        "/api/export/readings.csv?customer=Acme,Globex&area=Utilities",
        f"/api/data/query?format=csv&machine_id={m}",
        f"/api/export/trends.csv?machine_id={m}&{t}",
        f"/api/export/trends.csv?machine_id={m}&bearing_id={b}&interval=hour&{t}",
        f"/api/export/trends.csv?level=area&{t}&tz=Asia/Kolkata",
        f"/api/machines/{m}/report",
        "/api/alarms", "/api/alarms?customer=Acme&state=open&severity=alert,danger",
        f"/api/alarms?machine_id={m}&rule_type=zone", "/api/alarms?since=2026-03-01T00:00:00Z",
        "/api/alarms/summary", "/api/alarms/summary?customer=Acme",
    ]  # fmt: skip


def cursor_urls(client) -> list[str]:
    """A next page, a previous page and a filtered next page, as a client follows them."""
    second = client.get("/api/data/query?page_size=7").json()["next"]
    third = client.get(second).json()["next"]
    back = client.get(third).json()["previous"]
    filtered = client.get("/api/data/query?page_size=3&customer=Acme&status=Alert").json()["next"]
    return [second, third, back, filtered]


def audit_urls(client) -> list[str]:
    """The audit trail's first page and the pages after and before one entry."""
    from monitoring.alarms.lifecycle import audit_record

    for n in range(3):
        audit_record(actor="staff", action="admin_change", object_type="machine",
                     object_id=n, customer="Acme", before={}, after={})  # fmt: skip
    second = client.get("/api/audit?page_size=1").json()["next"]
    back = client.get(client.get(second).json()["next"]).json()["previous"]
    return ["/api/audit", second, back]


# Staff see every customer; a plant user's scope is one more condition on every query (an
# equality for one customer, an $in for several).
# Collections that grow with time: readings, and rollups by bearing-hour and area-hour.
GROWING = {
    "readings",
    "rollups_bearing_hourly",
    "rollups_area_hourly",
    "alarms",
    "spectra",
    "waveforms",
    "audit_events",
}
SCOPES = {"staff": None, "one customer": ["Acme"], "two customers": ["Acme", "Globex"]}


@pytest.mark.parametrize("scope", list(SCOPES))
def test_no_endpoint_scans_the_readings_collection(plant, recorder, monkeypatch, scope):
    from monitoring import clock

    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 3, 2, 16, 30, tzinfo=dt.UTC))
    customers = SCOPES[scope]
    client = TokenClient(scope.replace(" ", "-"), is_staff=customers is None, customers=customers)
    scans = []
    checked = 0
    extra = audit_urls(client) if customers is None else []  # the audit trail is staff-only
    for url in urls(*plant) + cursor_urls(client) + extra:
        recorder.commands.clear()
        response = client.get(url)
        if response.streaming:  # an export reads as it is sent
            b"".join(response.streaming_content)
        else:
            assert response.status_code == 200, (url, response.content[:300])
        assert response.status_code == 200, url
        for command in list(recorder.commands):
            name = next(iter(command))
            if command[name] not in GROWING:
                continue
            if url == "/api/stats" and command[name] == "rollups_area_hourly":
                continue  # the all-time summary: a few area documents per hour, read whole
            checked += command[name] == "readings"
            if "COLLSCAN" in _plan(command):
                query = command.get("pipeline") or command.get("filter") or command.get("query")
                scans.append((url, f"{name}: {query!r}"[:300]))
    assert checked >= 20  # the walk really exercised readings queries
    assert scans == [], "\n".join(f"{u}: {c}" for u, c in scans)
