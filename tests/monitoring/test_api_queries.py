"""Each endpoint issues a constant number of queries, and only list-free reads touch spectra.

A pymongo command listener sees every read the API sends (the ORM's aggregates and the hot
paths' finds alike), rendered as ``db.<collection>.<command>(<body>)``.
"""

import pytest

from monitoring import clock
from tests.factories import fleet_fixtures

# The shared read-only fleet, built once for this module.
fleet, fleet_db = fleet_fixtures()


AUTH_COLLECTIONS = ("authtoken_token", "auth_user", "django_session", "customer_access")


@pytest.fixture
def client(client, recorder):
    """The staff client, with every read command it causes recorded."""
    client.recorder = recorder
    return client


def _text(command: dict) -> str:
    name = next(iter(command))
    body = {k: v for k, v in command.items() if k != name and not k.startswith(("$", "lsid"))}
    return f"db.{command[name]}.{name}({body!r})"


def captured(client, url):
    """The data queries of one request (authentication's token lookup is counted apart)."""
    client.get("/api/stats")  # authenticate once outside the measurement
    client.recorder.commands.clear()
    response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    queries = [_text(c) for c in client.recorder.commands]
    auth = [q for q in queries if q.startswith(tuple(f"db.{c}." for c in AUTH_COLLECTIONS))]
    assert len(auth) <= 1, auth  # the token lookup, joined with its user
    return [q for q in queries if q not in auth]


def _urls(f, name):
    m1, m3 = f.m1.pk, f.m3.pk
    return {
        # name: (small request, large request, queries)
        "machines": ("/api/machines?page_size=1", "/api/machines?page_size=500", 2),
        "search": ("/api/machines/search?q=o&page_size=1", "/api/machines/search?q=o", 2),
        "machine": (f"/api/machines/{m3}", f"/api/machines/{m1}", 2),
        "latest": (f"/api/machines/{m3}/latest-readings", f"/api/machines/{m1}/latest-readings", 3),
        "bearings": ("/api/bearings?page_size=1", "/api/bearings?page_size=500", 2),
        "bearings_of": (
            f"/api/bearings?machine_id={m3}&page_size=1",
            f"/api/bearings?machine_id={m1}",
            2,  # bearings found prove their machine exists in scope: no machine query
        ),
        # A page reads growing windows back from now until it is full (see the test below).
        "readings": ("/api/data/query?page_size=1", "/api/data/query?page_size=500", None),
        "raw": (
            f"/api/machines/{m3}/timeseries?interval=raw",
            f"/api/machines/{m1}/timeseries?interval=raw&metrics=velocity.rms,"
            "velocity.peak,temperature,acceleration.kurtosis",
            # Machine, bearings, rollup counts of the hours touched (under the point limit:
            # no exact edge-hour counts, see the test below), points.
            4,
        ),
        "hour": (
            f"/api/machines/{m3}/timeseries?interval=hour",
            f"/api/machines/{m1}/timeseries?interval=hour&start=2026-01-01T00:00:00Z",
            3,
        ),
        "day": (
            f"/api/machines/{m3}/timeseries?interval=day",
            f"/api/machines/{m1}/timeseries?interval=day&start=2020-01-01T00:00:00Z",
            3,
        ),
        "auto": (
            f"/api/machines/{m3}/timeseries",
            f"/api/machines/{m1}/timeseries?start=2026-01-01T00:00:00Z",
            # As raw (under TARGET_POINTS).
            4,
        ),
        # Machines, area rollups, one count per partial edge hour of the 24 h window (an $or
        # of both ranges scans readings on SecantusDB), last run.
        "kpis": ("/api/dashboard/kpis?customer=Acme", "/api/dashboard/kpis", 5),
        "hourly": (
            "/api/dashboard/trends/hourly?hours=1",
            "/api/dashboard/trends/hourly?hours=720",
            1,
        ),
        "status": (
            "/api/dashboard/trends/status?days=1",
            "/api/dashboard/trends/status?days=90",
            1,
        ),
        # Area rollups (reading count, first and last hour), the oldest and newest reading in
        # those hours, last run, and estimated counts of machines, bearings, area rollups and
        # runs (on SecantusDB, not of spectra and bearing rollups: they read every document);
        # then retention: the tiers' running totals (1) and the next run's start (last
        # retention run, first area rollup; no day due here, so no day is planned).
        "stats": ("/api/stats", "/api/stats", 8 + 3),
        "fft": (
            f"/api/readings/{f.readings[3].pk}/fft",
            f"/api/readings/{f.readings[3].pk}/fft",
            4,
        ),
        # The reading and its waveform; the envelope adds the bearing and the machine.
        "waveform": (
            f"/api/readings/{f.readings[3].pk}/waveform",
            f"/api/readings/{f.readings[3].pk}/waveform?format=csv",
            2,
        ),
        "envelope": (
            f"/api/readings/{f.readings[3].pk}/envelope",
            f"/api/readings/{f.readings[3].pk}/envelope",
            4,
        ),
    }[name]


ENDPOINTS = [
    "machines",
    "search",
    "machine",
    "latest",
    "bearings",
    "bearings_of",
    "readings",
    "raw",
    "hour",
    "day",
    "auto",
    "kpis",
    "hourly",
    "status",
    "stats",
    "fft",
    "waveform",
    "envelope",
]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_constant_query_count(fleet_db, client, name):
    small, large, expected = _urls(fleet_db, name)
    if expected is None:
        return  # bounded, not constant: test_reading_pages_read_windows_until_full
    assert len(captured(client, small)) == expected
    assert len(captured(client, large)) == expected


def test_reading_pages_read_windows_until_full(fleet_db, client):
    # The clock is pinned at 12:30 and the newest reading is at 12:25: one window (the last
    # hour) fills a one-reading page; all of them takes windows back to the year 1, ~ten.
    [query] = captured(client, "/api/data/query?page_size=1")
    assert "db.readings.aggregate" in query
    everything = captured(client, "/api/data/query?page_size=500")
    assert 2 <= len(everything) <= 10
    assert all("'timestamp': {'$gte'" in q for q in everything)


@pytest.mark.parametrize("name", [e for e in ENDPOINTS if e != "fft"])
def test_only_fft_reads_spectra(fleet_db, client, name):
    small, large, _ = _urls(fleet_db, name)
    for url in (small, large):
        assert not any("spectra" in q for q in captured(client, url)), url


@pytest.mark.parametrize(
    "name", ["machines", "search", "machine", "kpis", "hourly", "status", "hour", "day"]
)
def test_hot_paths_do_not_scan_readings(fleet_db, client, name):
    # Lists read denormalized state; dashboards and buckets read rollups. KPIs read readings
    # only for the partial edge hours of the 24 h window, bounded by time.
    for url in _urls(fleet_db, name)[:2]:
        for query in captured(client, url):
            if "db.readings." in query:
                assert name == "kpis" and "'timestamp': {'$gte'" in query, query


def test_latest_readings_reads_readings_by_id(fleet_db, client):
    queries = captured(client, f"/api/machines/{fleet_db.m1.pk}/latest-readings")
    [readings] = [q for q in queries if "db.readings." in q]
    assert "$in" in readings and "$sort" not in readings


def test_half_hour_zone_reads_readings_in_a_bounded_range(fleet_db, client):
    [query] = captured(client, "/api/dashboard/trends/hourly?hours=24&tz=Asia/Kolkata")
    assert query.startswith("db.readings.aggregate") and "'$lt'" in query


def test_selector_clock_is_pinned(fleet_db):
    assert clock.now().isoformat() == "2026-03-10T12:30:00+00:00"
