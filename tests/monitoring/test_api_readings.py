"""/api/data/query (readings by cursor) and /api/readings/{id}/fft (spectra)."""

import datetime as dt
import itertools
from base64 import b64encode

import numpy as np
import pytest

from tests.factories import (
    FLEET_READINGS,
    BearingFactory,
    MachineFactory,
    ReadingFactory,
    SpectrumFactory,
    fleet_fixtures,
)

# The shared read-only fleet, built once for this module.
fleet, fleet_db = fleet_fixtures()

QUERY = "/api/data/query"


def ids(response):
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


def walk(client, url):
    """Every result of a cursor-paginated URL, following `next`."""
    results = []
    while url:
        body = client.get(url).json()
        results.extend(body["results"])
        url = body["next"]
    return results


# --- data/query ------------------------------------------------------------------------------


def test_newest_first_without_spectra(fleet_db, client):
    body = client.get(QUERY).json()
    assert set(body) == {"next", "previous", "results"}
    times = [r["timestamp"] for r in body["results"]]
    assert len(times) == 15
    assert times[:3] == ["2026-03-10T12:25:00Z", "2026-03-10T12:20:00Z", "2026-03-10T12:10:00Z"]
    assert times[-1] == "2026-03-01T08:00:00Z"
    assert times == sorted(times, reverse=True)
    assert set(body["results"][0]) == {
        "id",
        "machine_id",
        "bearing_id",
        "customer",
        "area",
        "timestamp",
        "status",
        "acceleration",
        "velocity",
        "envelope",
        "temperature",
        "velocity_band_hz",
        "band_limited",
        "zone_standard",
    }


def test_cursor_pages_cover_everything_once(fleet_db, client):
    results = walk(client, f"{QUERY}?page_size=4")
    assert len(results) == 15
    assert len({r["id"] for r in results}) == 15
    first = client.get(f"{QUERY}?page_size=4").json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


def _expected(predicate):
    return sum(1 for row in FLEET_READINGS if predicate(*row))


@pytest.mark.parametrize(
    ("query", "predicate"),
    [
        ("customer=Globex", lambda m, b, t, s, v, temp: m in ("m4", "m5")),
        ("area=Press shop", lambda m, b, t, s, v, temp: m == "m3"),
        ("area=Utilities&customer=Acme", lambda m, b, t, s, v, temp: m in ("m1", "m2")),
        ("status=Alert,Unacceptable", lambda m, b, t, s, v, temp: s in ("Alert", "Unacceptable")),
        ("status=normal", lambda m, b, t, s, v, temp: s == "Normal"),
        ("min_velocity_rms=2", lambda m, b, t, s, v, temp: v >= 2),
        ("max_velocity_rms=1.0", lambda m, b, t, s, v, temp: v <= 1.0),
        ("min_velocity_rms=1.1&max_velocity_rms=1.3", lambda m, b, t, s, v, temp: 1.1 <= v <= 1.3),
        (
            "start=2026-03-10T12:00:00Z",
            lambda m, b, t, s, v, temp: t >= dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC),
        ),
        (
            "end=2026-03-09T12:40:00%2B00:00",
            lambda m, b, t, s, v, temp: t <= dt.datetime(2026, 3, 9, 12, 40, tzinfo=dt.UTC),
        ),
        (
            "start=2026-03-10T12:10:00%2B01:00&end=2026-03-10T11:40:00Z",
            lambda m, b, t, s, v, temp: (
                dt.datetime(2026, 3, 10, 11, 10, tzinfo=dt.UTC)
                <= t
                <= dt.datetime(2026, 3, 10, 11, 40, tzinfo=dt.UTC)
            ),
        ),
    ],
)
def test_filters(fleet_db, client, query, predicate):
    expected = _expected(predicate)
    assert expected > 0
    assert len(ids(client.get(f"{QUERY}?{query}"))) == expected


def test_id_filters(fleet_db, client):
    f = fleet_db
    assert len(ids(client.get(f"{QUERY}?machine_id={f.m1.pk}"))) == 7
    assert ids(client.get(f"{QUERY}?bearing_id={f.b1.pk}")) == [
        str(f.readings[i].pk) for i in (3, 2, 1, 0)
    ]
    assert ids(client.get(f"{QUERY}?machine_id={f.m5.pk}")) == []
    assert ids(client.get(f"{QUERY}?machine_id=6650f1c2a1b2c3d4e5f60718")) == []


def test_fields_picks_returned_fields(fleet_db, client):
    body = client.get(f"{QUERY}?fields=id,timestamp&fields=velocity&page_size=1").json()
    assert list(body["results"][0]) == ["id", "timestamp", "velocity"]
    assert body["results"][0]["velocity"] == {"rms": 9.0, "peak": 13.5, "crest_factor": 1.5}


def _cursor(text):
    return b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("machine_id=xyz", "machine_id"),
        ("bearing_id=123", "bearing_id"),
        ("status=Fine", "status"),
        ("start=2026-03-10T10:00:00", "start"),  # naive
        ("end=not-a-date", "end"),
        ("start=2026-03-10T12:00:00Z&end=2026-03-10T10:00:00Z", "start"),
        ("min_velocity_rms=abc", "min_velocity_rms"),
        ("max_velocity_rms=inf", "max_velocity_rms"),
        ("min_velocity_rms=3&max_velocity_rms=1", "min_velocity_rms"),
        ("fields=id,spectrum", "fields"),
        ("page_size=501", "page_size"),
        ("cursor=%%%", "cursor"),
        (f"cursor={_cursor('p=$gt')}", "cursor"),
        ("page=2", "page"),
        ("velocity__rms__gte=1", "velocity__rms__gte"),
    ],
)
def test_bad_parameters(fleet_db, client, query, field):
    response = client.get(f"{QUERY}?{query}")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]


@pytest.mark.django_db
def test_cursor_is_stable_while_new_readings_arrive(client):
    bearing = BearingFactory()
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    # Two readings share each timestamp: ties must neither repeat nor vanish across pages.
    old = [
        ReadingFactory(bearing=bearing, timestamp=t0 + dt.timedelta(minutes=10 * (i // 2)))
        for i in range(6)
    ]
    first = client.get(f"{QUERY}?page_size=3").json()
    ReadingFactory(bearing=bearing, timestamp=t0 + dt.timedelta(days=1))  # arrives meanwhile
    rest = walk(client, first["next"])
    seen = [r["id"] for r in first["results"]] + [r["id"] for r in rest]
    assert sorted(seen) == sorted(str(r.pk) for r in old)


@pytest.mark.django_db
def test_pages_walk_a_long_history_in_order(client, monkeypatch):
    """Pages read growing time windows; across their edges nothing repeats, vanishes or moves."""
    from monitoring import clock

    now = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: now)
    bearing = BearingFactory()
    offsets = [
        dt.timedelta(minutes=-5),  # inside the first hour
        dt.timedelta(hours=-1),  # exactly on the first window's edge
        dt.timedelta(hours=-1),  # a tie on it
        dt.timedelta(hours=-9),  # exactly on the second edge (1 h + 8 h)
        dt.timedelta(days=-3),
        dt.timedelta(days=-400),
        dt.timedelta(days=-4000),
        dt.timedelta(minutes=7),  # stamped ahead of the clock
    ]
    readings = [ReadingFactory(bearing=bearing, timestamp=now + o) for o in offsets]
    expected = [
        str(r.pk) for r in sorted(readings, key=lambda r: (r.timestamp, r.pk), reverse=True)
    ]
    walked = [r["id"] for r in walk(client, f"{QUERY}?page_size=3")]
    assert walked == expected
    # And back: previous pages from the last one give the same readings, newest first.
    pages = [client.get(f"{QUERY}?page_size=3").json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    back = [pages[-1]]
    while back[-1]["previous"]:
        back.append(client.get(back[-1]["previous"]).json())
    assert [r["id"] for page in reversed(back) for r in page["results"]] == expected


def test_page_windows_cover_the_range_once():
    from monitoring.mongo import TIME_MAX, TIME_MIN, page_windows

    def covered(windows, low, high):
        # Contiguous and disjoint: each window starts where the previous one stopped.
        for a, b in itertools.pairwise(windows):
            assert a.get("$gte") == b.get("$lt") or a.get("$lt") == b.get("$gte"), (a, b)
        starts = [w["$gte"] for w in windows]
        assert min(starts) == low
        assert max(w.get("$lte", w.get("$lt")) for w in windows) == high

    for newer in (False, True):
        windows = list(page_windows(low=TIME_MIN, high=TIME_MAX, newer=newer))
        covered(windows, TIME_MIN, TIME_MAX)
        assert len(windows) <= 12
    t = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    [only] = page_windows(low=t - dt.timedelta(minutes=30), high=t, newer=False)
    assert only == {"$gte": t - dt.timedelta(minutes=30), "$lte": t}


# --- fft -------------------------------------------------------------------------------------


def test_fft(fleet_db, client):
    f = fleet_db
    response = client.get(f"/api/readings/{f.readings[3].pk}/fft")
    assert response.status_code == 200
    body = response.json()
    assert body["reading_id"] == str(f.readings[3].pk)
    assert body["machine_id"] == str(f.m1.pk) and body["bearing_id"] == str(f.b1.pk)
    assert body["timestamp"] == "2026-03-10T12:10:00Z"
    assert body["sample_rate_hz"] == 5120.0
    assert body["n_samples"] == 4096
    assert body["resolution_hz"] == 1.25
    assert body["n_lines"] == 2048
    assert body["window"] == "hann"
    assert body["frequency_unit"] == "Hz" and body["amplitude_unit"] == "g"
    assert body["running_speed_hz"] == 25.0
    assert len(body["frequencies"]) == len(body["amplitudes"]) == 2048
    assert body["frequencies"][:3] == [0.0, 1.25, 2.5]
    assert body["frequencies"][-1] == 2047 * 1.25
    assert body["amplitudes"][20] == 0.5 and body["amplitudes"][0] == 0.001
    assert body["peaks"] == [{"frequency_hz": 25.0, "amplitude": 0.5, "order": 1.0}]
    # 6205 (9 balls, 7.94 mm, pitch 38.5 mm, 0 deg) at 1500 rpm.
    faults = body["fault_frequencies"]
    assert faults["bpfo"] == pytest.approx(89.3, abs=0.05)
    assert faults["bpfi"] == pytest.approx(135.7, abs=0.05)
    assert faults["ftf"] == pytest.approx(9.92, abs=0.01)
    assert faults["bsf"] == pytest.approx(58.03, abs=0.01)


@pytest.mark.django_db
def test_fft_without_running_speed_or_geometry(client):
    machine = MachineFactory(running_speed_rpm=None)
    bearing = BearingFactory(machine=machine, rolling_elements=None)
    amplitudes = np.zeros(512, dtype="<f4")
    amplitudes[[40, 100]] = [0.2, 0.7]  # 50 Hz and 125 Hz
    spectrum = SpectrumFactory(
        reading=ReadingFactory(bearing=bearing), n_lines=512, amplitudes=amplitudes.tobytes()
    )
    body = client.get(f"/api/readings/{spectrum.reading_id}/fft").json()
    assert body["running_speed_hz"] is None
    assert body["fault_frequencies"] is None
    assert body["peaks"] == [
        {"frequency_hz": 125.0, "amplitude": pytest.approx(0.7), "order": None},
        {"frequency_hz": 50.0, "amplitude": pytest.approx(0.2), "order": None},
    ]
    # Geometry known but no speed, or speed known but no geometry: no fault frequencies.
    machine.running_speed_rpm = 3000.0
    machine.save()
    body = client.get(f"/api/readings/{spectrum.reading_id}/fft").json()
    assert body["running_speed_hz"] == 50.0 and body["fault_frequencies"] is None
    assert body["peaks"][0]["order"] == pytest.approx(2.5)


@pytest.mark.parametrize("reading", ["no-spectrum", "malformed", "unknown"])
def test_fft_not_found(fleet_db, client, reading):
    f = fleet_db
    reading_id = {
        "no-spectrum": f.readings[0].pk,
        "malformed": "abc",
        "unknown": "6650f1c2a1b2c3d4e5f60718",
    }[reading]
    response = client.get(f"/api/readings/{reading_id}/fft")
    assert response.status_code == 404
    assert response.json() == {"detail": "No spectrum for this reading id.", "errors": {}}


def test_fft_rejects_params(fleet_db, client):
    f = fleet_db
    response = client.get(f"/api/readings/{f.readings[3].pk}/fft?lines=10")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["lines"]


def test_fft_in_velocity_units(fleet_db, client):
    """0.5 g at 25 Hz is 0.5 * 9806.65 / (2 pi 25) / sqrt 2 = 22.07 mm/s RMS; lines below the
    ISO band's low edge (10 Hz for a 1,500 rpm shaft) are zero."""
    reading = fleet_db.readings[3].pk
    accel = client.get(f"/api/readings/{reading}/fft").json()
    body = client.get(f"/api/readings/{reading}/fft?units=velocity").json()
    assert accel["amplitude_unit"] == "g" and body["amplitude_unit"] == "mm/s"
    freqs, amps = np.array(body["frequencies"]), np.array(body["amplitudes"])
    line = int(np.argmax(amps))
    assert freqs[line] == pytest.approx(25.0)
    assert amps[line] == pytest.approx(0.5 * 9806.65 / (2 * np.pi * 25.0) / np.sqrt(2), rel=1e-5)
    assert not amps[freqs < 10.0].any() and amps[freqs >= 10.0].all()
    assert body["peaks"][0]["frequency_hz"] == pytest.approx(25.0, abs=0.01)
    assert body["fault_frequencies"] == accel["fault_frequencies"]
    assert client.get(f"/api/readings/{reading}/fft?units=furlongs").status_code == 400
