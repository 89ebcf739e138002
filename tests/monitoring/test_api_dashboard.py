"""/api/dashboard/kpis, /trends/hourly and /trends/status, including DST changes."""

import datetime as dt

import pytest

from monitoring import clock
from monitoring.services import rollups_rebuild
from tests.factories import (
    BearingFactory,
    ReadingFactory,
    fleet_fixtures,
    velocity,
)

# The shared read-only fleet, built once for this module.
fleet, fleet_db = fleet_fixtures()

UTC = dt.UTC


def ok(response):
    assert response.status_code == 200, response.content
    return response.json()


# --- KPIs ------------------------------------------------------------------------------------


def test_kpis(fleet_db, client):
    f = fleet_db
    body = ok(client.get("/api/dashboard/kpis"))
    assert body == {
        "generated_at": "2026-03-10T12:30:00Z",
        "machines_total": 5,
        "machines_by_status": {
            "Normal": 1,
            "Satisfactory": 1,
            "Alert": 1,
            "Unacceptable": 1,
            "no_data": 1,
        },
        "machines_in_alert": 2,
        "healthy_share": 0.5,
        "bearings_total": 6,
        # 15 readings, minus 2026-03-01 08:00 and 2026-03-09 12:20 (just outside the window
        # that starts 2026-03-09 12:30, inside the same rollup hour as 12:40 which counts).
        "readings_last_24h": 13,
        "active_alarms_by_severity": {"warning": 0, "alert": 0, "danger": 0},
        "machines_with_alarm": 0,
        "last_ingestion": {
            "id": str(f.run.pk),
            "started_at": "2026-03-10T02:00:00Z",
            "finished_at": "2026-03-10T02:05:00Z",
            "outcome": "succeeded",
            "date_from": "2026-03-09",
            "date_to": "2026-03-09",
            "customer": "",
            "fetched": 15,
            "stored": 15,
            "duplicates": 0,
            "skipped": 0,
        },
    }


def test_readings_last_24h_is_exact_at_any_minute(fleet_db, client, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 3, 10, 12, 15, tzinfo=UTC))
    # [03-09 12:15, 03-10 12:15]: 3 readings of 03-09 and 9 of 03-10 (not 12:20, 12:25).
    assert ok(client.get("/api/dashboard/kpis"))["readings_last_24h"] == 12


@pytest.mark.parametrize(
    ("query", "machines", "by_status", "bearings", "readings", "healthy"),
    [
        ("customer=Acme", 3, (1, 1, 1, 0, 0), 4, 12, 0.6667),
        ("customer=Globex", 2, (0, 0, 0, 1, 1), 2, 1, 0.0),
        ("customer=Acme,Globex", 5, (1, 1, 1, 1, 1), 6, 13, 0.5),
        ("area=Utilities", 3, (1, 1, 0, 1, 0), 4, 11, 0.6667),
        ("customer=Acme&area=Press shop", 1, (0, 0, 1, 0, 0), 1, 2, 0.0),
        ("customer=Nobody", 0, (0, 0, 0, 0, 0), 0, 0, None),
    ],
)
def test_kpi_filters(fleet_db, client, query, machines, by_status, bearings, readings, healthy):
    body = ok(client.get(f"/api/dashboard/kpis?{query}"))
    assert body["machines_total"] == machines
    assert tuple(body["machines_by_status"].values()) == by_status
    assert body["machines_in_alert"] == by_status[2] + by_status[3]
    assert body["bearings_total"] == bearings
    assert body["readings_last_24h"] == readings
    assert body["healthy_share"] == healthy


@pytest.mark.django_db
def test_kpis_on_an_empty_database(client):
    body = ok(client.get("/api/dashboard/kpis"))
    assert body["machines_total"] == 0 and body["readings_last_24h"] == 0
    assert body["healthy_share"] is None and body["last_ingestion"] is None


@pytest.mark.parametrize(
    ("query", "field"), [("hours=3", "hours"), ("customer=" + "x" * 201, "customer")]
)
def test_kpi_bad_parameters(fleet_db, client, query, field):
    response = client.get(f"/api/dashboard/kpis?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


# --- hourly trend ----------------------------------------------------------------------------


def test_hourly_trend(fleet_db, client):
    body = ok(client.get("/api/dashboard/trends/hourly?hours=3"))
    assert body["tz"] == "UTC" and body["hours"] == 3
    assert body["start"] == "2026-03-10T10:00:00Z" and body["end"] == "2026-03-10T13:00:00Z"
    b10, b11, b12 = body["buckets"]
    assert b10 == {
        "start": "2026-03-10T10:00:00Z",
        "local_start": "2026-03-10T10:00:00+00:00",
        "count": 2,
        "velocity_rms_avg": pytest.approx(0.9),
        "velocity_rms_max": 1.0,
        "temperature_avg": pytest.approx(39.0),
        "alert_count": 0,
    }
    # 11:00-12:00: 1.2, 1.6 (b1), 1.0 (b2, no temperature), 3.0 (b4).
    assert b11["count"] == 4
    assert b11["velocity_rms_avg"] == pytest.approx(1.7)
    assert b11["velocity_rms_max"] == 3.0
    assert b11["temperature_avg"] == pytest.approx((41 + 43 + 50) / 3)
    # The current hour: 2.0, 0.9, 1.2, 5.0 (Alert), 9.0 (Unacceptable).
    assert b12["count"] == 5 and b12["alert_count"] == 2
    assert b12["velocity_rms_avg"] == pytest.approx(3.62)


def test_hourly_trend_default_is_24_hours_with_empty_hours(fleet_db, client):
    body = ok(client.get("/api/dashboard/trends/hourly"))
    buckets = body["buckets"]
    assert len(buckets) == 24
    assert buckets[0]["start"] == "2026-03-09T13:00:00Z"
    assert [b["count"] for b in buckets] == [1] + [0] * 20 + [2, 4, 5]
    assert buckets[5] == {
        "start": "2026-03-09T18:00:00Z",
        "local_start": "2026-03-09T18:00:00+00:00",
        "count": 0,
        "velocity_rms_avg": None,
        "velocity_rms_max": None,
        "temperature_avg": None,
        "alert_count": 0,
    }


def test_hourly_trend_filters(fleet_db, client):
    body = ok(client.get("/api/dashboard/trends/hourly?hours=3&customer=Globex"))
    assert [b["count"] for b in body["buckets"]] == [0, 0, 1]
    body = ok(client.get("/api/dashboard/trends/hourly?hours=3&area=Press shop"))
    assert [b["count"] for b in body["buckets"]] == [0, 1, 1]


def test_hourly_trend_half_hour_zone_falls_back_to_readings(fleet_db, client):
    body = ok(client.get("/api/dashboard/trends/hourly?hours=3&tz=Asia/Kolkata"))
    assert [(b["start"], b["local_start"], b["count"]) for b in body["buckets"]] == [
        ("2026-03-10T10:30:00Z", "2026-03-10T16:00:00+05:30", 3),
        ("2026-03-10T11:30:00Z", "2026-03-10T17:00:00+05:30", 6),
        ("2026-03-10T12:30:00Z", "2026-03-10T18:00:00+05:30", 0),
    ]
    assert body["buckets"][1]["alert_count"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("hours=0", "hours"),
        ("hours=721", "hours"),
        ("hours=x", "hours"),
        ("tz=Mars/Olympus", "tz"),
        ("tz=../../etc/passwd", "tz"),
        ("days=2", "days"),
    ],
)
def test_hourly_trend_bad_parameters(fleet_db, client, query, field):
    response = client.get(f"/api/dashboard/trends/hourly?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_hourly_trend_max_hours(fleet_db, client):
    assert len(ok(client.get("/api/dashboard/trends/hourly?hours=720"))["buckets"]) == 720


def _readings(*times, status="Normal", rms=1.0):
    bearing = BearingFactory()
    for when in times:
        ReadingFactory(bearing=bearing, timestamp=when, status=status, velocity=velocity(rms))


@pytest.mark.django_db
def test_hourly_buckets_across_spring_dst_change_in_berlin(client, monkeypatch):
    # 2026-03-29: clocks go from 02:00 CET to 03:00 CEST (01:00Z); that local day has 23 hours.
    _readings(
        dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC), dt.datetime(2026, 3, 29, 2, 30, tzinfo=UTC)
    )
    _readings(dt.datetime(2026, 3, 29, 1, 15, tzinfo=UTC), rms=2.0)
    _readings(dt.datetime(2026, 3, 29, 1, 45, tzinfo=UTC), status="Alert", rms=4.0)
    _readings(dt.datetime(2026, 3, 28, 22, 59, tzinfo=UTC))  # local 23:59 the day before
    rollups_rebuild()
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 3, 29, 21, 30, tzinfo=UTC))
    # 23 hours back from 23:30 CEST is the whole local day.
    body = ok(client.get("/api/dashboard/trends/hourly?hours=23&tz=Europe/Berlin"))
    buckets = body["buckets"]
    assert len(buckets) == 23
    assert body["start"] == "2026-03-28T23:00:00Z" and body["end"] == "2026-03-29T22:00:00Z"
    assert [b["start"] for b in buckets[:5]] == [
        "2026-03-28T23:00:00Z",
        "2026-03-29T00:00:00Z",
        "2026-03-29T01:00:00Z",
        "2026-03-29T02:00:00Z",
        "2026-03-29T03:00:00Z",
    ]
    assert [b["local_start"] for b in buckets[:5]] == [
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T04:00:00+02:00",
        "2026-03-29T05:00:00+02:00",
    ]
    assert [b["local_start"][11:13] for b in buckets] == [f"{h:02d}" for h in range(24) if h != 2]
    assert [b["count"] for b in buckets[:5]] == [0, 1, 2, 1, 0]
    assert sum(b["count"] for b in buckets) == 4
    assert buckets[2]["velocity_rms_avg"] == 3.0 and buckets[2]["velocity_rms_max"] == 4.0
    assert buckets[2]["alert_count"] == 1

    body = ok(client.get("/api/dashboard/trends/status?days=2&tz=Europe/Berlin"))
    assert [(d["date"], d["start"], d["end"], d["hours"], d["total"]) for d in body["days"]] == [
        ("2026-03-28", "2026-03-27T23:00:00Z", "2026-03-28T23:00:00Z", 24, 1),
        ("2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 23, 4),
    ]
    assert body["days"][1]["counts"] == {
        "Normal": 3,
        "Satisfactory": 0,
        "Alert": 1,
        "Unacceptable": 0,
    }


@pytest.mark.django_db
def test_hourly_buckets_across_autumn_dst_change_in_berlin(client, monkeypatch):
    # 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00Z); 02:00-03:00 local happens twice.
    _readings(
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        dt.datetime(2026, 10, 25, 1, 40, tzinfo=UTC),
    )
    rollups_rebuild()
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 10, 25, 22, 30, tzinfo=UTC))
    body = ok(client.get("/api/dashboard/trends/hourly?hours=25&tz=Europe/Berlin"))
    buckets = body["buckets"]
    assert len(buckets) == 25
    assert [(b["start"], b["local_start"], b["count"]) for b in buckets[1:5]] == [
        ("2026-10-24T23:00:00Z", "2026-10-25T01:00:00+02:00", 0),
        ("2026-10-25T00:00:00Z", "2026-10-25T02:00:00+02:00", 1),
        ("2026-10-25T01:00:00Z", "2026-10-25T02:00:00+01:00", 2),
        ("2026-10-25T02:00:00Z", "2026-10-25T03:00:00+01:00", 0),
    ]
    assert buckets[0]["local_start"] == "2026-10-25T00:00:00+02:00"
    assert buckets[-1]["local_start"] == "2026-10-25T23:00:00+01:00"
    body = ok(client.get("/api/dashboard/trends/status?days=1&tz=Europe/Berlin"))
    [day] = body["days"]
    assert (day["date"], day["start"], day["end"], day["hours"], day["total"]) == (
        "2026-10-25",
        "2026-10-24T22:00:00Z",
        "2026-10-25T23:00:00Z",
        25,
        3,
    )


# --- status trend ----------------------------------------------------------------------------


def test_status_trend(fleet_db, client):
    body = ok(client.get("/api/dashboard/trends/status?days=2"))
    assert body == {
        "tz": "UTC",
        "days": [
            {
                "date": "2026-03-09",
                "start": "2026-03-09T00:00:00Z",
                "end": "2026-03-10T00:00:00Z",
                "hours": 24,
                "total": 3,
                "counts": {"Normal": 3, "Satisfactory": 0, "Alert": 0, "Unacceptable": 0},
            },
            {
                "date": "2026-03-10",
                "start": "2026-03-10T00:00:00Z",
                "end": "2026-03-11T00:00:00Z",
                "hours": 24,
                "total": 11,
                "counts": {"Normal": 7, "Satisfactory": 2, "Alert": 1, "Unacceptable": 1},
            },
        ],
    }


def test_status_trend_default_is_seven_days_with_all_keys(fleet_db, client):
    days = ok(client.get("/api/dashboard/trends/status"))["days"]
    assert [d["date"] for d in days] == [f"2026-03-{d:02d}" for d in range(4, 11)]
    assert days[0]["counts"] == {"Normal": 0, "Satisfactory": 0, "Alert": 0, "Unacceptable": 0}
    assert [d["total"] for d in days] == [0, 0, 0, 0, 0, 3, 11]
    ninety = ok(client.get("/api/dashboard/trends/status?days=90"))["days"]
    assert len(ninety) == 90
    assert sum(d["total"] for d in ninety) == 15


def test_status_trend_filters_and_half_hour_zone(fleet_db, client):
    days = ok(client.get("/api/dashboard/trends/status?days=1&customer=Globex"))["days"]
    assert days[0]["counts"] == {"Normal": 0, "Satisfactory": 0, "Alert": 0, "Unacceptable": 1}
    days = ok(client.get("/api/dashboard/trends/status?days=1&area=Press shop"))["days"]
    assert days[0]["counts"]["Alert"] == 1 and days[0]["total"] == 2
    # Asia/Kolkata: 2026-03-10 runs from 03-09 18:30Z to 03-10 18:30Z.
    days = ok(client.get("/api/dashboard/trends/status?days=2&tz=Asia/Kolkata"))["days"]
    assert [(d["date"], d["start"], d["total"]) for d in days] == [
        ("2026-03-09", "2026-03-08T18:30:00Z", 3),
        ("2026-03-10", "2026-03-09T18:30:00Z", 11),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("days=0", "days"),
        ("days=91", "days"),
        ("tz=Nowhere", "tz"),
        ("hours=3", "hours"),
        ("status=Alert", "status"),
    ],
)
def test_status_trend_bad_parameters(fleet_db, client, query, field):
    response = client.get(f"/api/dashboard/trends/status?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
