"""/api/export/trends.csv: hour or local-day buckets from the rollups, per bearing or area."""

import csv
import io

import pytest

from tests.factories import fleet_fixtures
from tests.monitoring.conftest import TokenClient

fleet, fleet_db = fleet_fixtures()

TRENDS = "/api/export/trends.csv"
DAY_10 = "start=2026-03-10T00:00:00Z&end=2026-03-10T23:00:00Z"


def table(response) -> list[list[str]]:
    assert response.status_code == 200, response
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_daily_trend_per_bearing_with_units(fleet_db, client):
    response = client.get(f"{TRENDS}?machine_id={fleet_db.m1.pk}&{DAY_10}")
    assert (
        "trends_day_boiler-feed-pump_2026-03-10_2026-03-10.csv" in (response["Content-Disposition"])
    )
    header, *rows = table(response)
    assert header[:5] == ["bucket_start", "epoch_ms", "machine", "bearing", "count"]
    assert "velocity_rms_avg_mm_s" in header and "temperature_max_c" in header
    assert "acceleration_kurtosis_min" in header
    avg = header.index("velocity_rms_avg_mm_s")
    got = [(r[0], r[2], r[3], r[4], float(r[avg]), r[avg + 1], r[avg + 2]) for r in rows]
    assert got == [
        ("2026-03-10T00:00:00+00:00", "Boiler Feed Pump", "Motor DE", "4", 1.45, "1.0", "2.0"),
        ("2026-03-10T00:00:00+00:00", "Boiler Feed Pump", "Pump NDE", "3", 0.9, "0.8", "1.0"),
    ]
    assert rows[0][1] == "1773100800000"


def test_hourly_trend_of_one_bearing(fleet_db, client):
    url = f"{TRENDS}?machine_id={fleet_db.m1.pk}&bearing_id={fleet_db.b1.pk}&interval=hour"
    header, *rows = table(client.get(f"{url}&{DAY_10}"))
    avg = header.index("velocity_rms_avg_mm_s")
    assert [(r[0][11:16], r[4], round(float(r[avg]), 3)) for r in rows] == [
        ("10:00", "1", 1.0),
        ("11:00", "2", 1.4),
        ("12:00", "1", 2.0),
    ]


def test_local_days_follow_the_zone(fleet_db, client):
    # Auckland is UTC+13 in March: b1's 10:10 UTC reading is on the 10th, the others the 11th.
    url = f"{TRENDS}?machine_id={fleet_db.m1.pk}&bearing_id={fleet_db.b1.pk}&tz=Pacific/Auckland"
    rows = table(client.get(f"{url}&{DAY_10}"))[1:]
    assert [(r[0], r[4]) for r in rows] == [
        ("2026-03-10T00:00:00+13:00", "1"),
        ("2026-03-11T00:00:00+13:00", "3"),
    ]


def test_area_trend_headline_indicators_scoped(fleet_db):
    acme = TokenClient("acme-trends", is_staff=False, customers=["Acme"])
    url = f"{TRENDS}?level=area&start=2026-03-01T00:00:00Z&end=2026-03-10T23:00:00Z"
    header, *rows = table(acme.get(url))
    assert header == [
        "bucket_start", "epoch_ms", "customer", "area", "count",
        "acceleration_rms_avg_g", "acceleration_rms_min_g", "acceleration_rms_max_g",
        "velocity_rms_avg_mm_s", "velocity_rms_min_mm_s", "velocity_rms_max_mm_s",
        "temperature_avg_c", "temperature_min_c", "temperature_max_c",
    ]  # fmt: skip
    assert [(r[0][:10], r[2], r[3], r[4]) for r in rows] == [
        ("2026-03-09", "Acme", "Utilities", "3"),
        ("2026-03-10", "Acme", "Press shop", "2"),
        ("2026-03-10", "Acme", "Utilities", "8"),
    ]
    assert table(acme.get(f"{url}&customer=Globex")) == [header]
    # Without machine_id the level is area.
    assert table(acme.get(url.replace("level=area&", "")))[0] == header


def test_trend_errors(fleet_db, client):
    acme = TokenClient("acme-trends-errors", is_staff=False, customers=["Acme"])
    m1, m4 = fleet_db.m1.pk, fleet_db.m4.pk
    cases = [
        (client, "level=bearing", 400, "machine_id"),
        (client, f"level=area&machine_id={m1}", 400, "level"),
        (client, f"machine_id={m1}&customer=Acme", 400, "level"),
        (client, "level=area&interval=week", 400, "interval"),
        (client, "level=area&start=2026-03-02T00:00:00Z&end=2026-03-01T00:00:00Z", 400, "start"),
        (acme, f"machine_id={m4}", 404, None),
        (client, f"machine_id={m1}&bearing_id={fleet_db.b5.pk}", 404, None),
    ]
    for who, query, code, field in cases:
        response = who.get(f"{TRENDS}?{query}", HTTP_ACCEPT="text/csv")
        assert response.status_code == code, query
        assert response["Content-Type"] == "application/json"
        if field:
            assert field in response.json()["errors"], query


@pytest.mark.parametrize("interval", ["hour", "day"])
def test_semicolon_and_bom_in_trends(fleet_db, client, interval):
    url = f"{TRENDS}?machine_id={fleet_db.m3.pk}&interval={interval}&delimiter=;&bom=true"
    raw = b"".join(client.get(f"{url}&{DAY_10}").streaming_content)
    assert raw.startswith(b"\xef\xbb\xbfbucket_start;epoch_ms;machine;bearing;count;")
