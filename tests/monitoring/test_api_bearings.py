"""/api/bearings: the bearings of a machine, or all of them, paginated."""

import pytest

from tests.factories import fleet_fixtures

# The shared read-only fleet, built once for this module.
fleet, fleet_db = fleet_fixtures()


def test_all_bearings_paginated(fleet_db, client):
    body = client.get("/api/bearings").json()
    assert body["count"] == 6
    assert len(body["results"]) == 6
    page = client.get("/api/bearings?page_size=4&page=2").json()
    assert page["count"] == 6 and len(page["results"]) == 2
    assert page["next"] is None and page["previous"] is not None


def test_bearings_of_a_machine(fleet_db, client):
    f = fleet_db
    response = client.get(f"/api/bearings?machine_id={f.m1.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    motor = body["results"][0]
    assert motor == {
        "id": str(f.b1.pk),
        "machine_id": str(f.m1.pk),
        "customer": "Acme",
        "bearing_location": "Motor DE",
        "bearing_type": "6205",
        "position": "horizontal",
        "rolling_elements": 9,
        "ball_diameter_mm": 7.94,
        "pitch_diameter_mm": 38.5,
        "contact_angle_deg": 0.0,
        "shaft_speed_rpm": None,
        "measurement_direction": None,
        "status": "Satisfactory",
        "last_reading_id": str(f.readings[3].pk),
        "last_reading_at": "2026-03-10T12:10:00Z",
        "last_velocity_rms": 2.0,
        "last_acceleration_rms": 0.2,
        "last_temperature": 42.0,
    }
    assert body["results"][1]["bearing_location"] == "Pump NDE"


def test_bearing_without_readings(fleet_db, client):
    f = fleet_db
    [spare] = client.get(f"/api/bearings/?machine_id={f.m5.pk}").json()["results"]
    assert spare["status"] is None
    assert spare["last_reading_id"] is None and spare["last_reading_at"] is None


@pytest.mark.parametrize("machine_id", ["nope", "6650f1c2a1b2c3d4e5f60718"])
def test_unknown_or_malformed_machine_is_404(fleet_db, client, machine_id):
    response = client.get(f"/api/bearings?machine_id={machine_id}")
    assert response.status_code == 404
    assert response.json() == {"detail": "No machine with this id.", "errors": {}}


@pytest.mark.parametrize(
    ("query", "field"),
    [("page_size=501", "page_size"), ("machine=1", "machine"), ("page=0", "page")],
)
def test_bad_parameters(fleet_db, client, query, field):
    response = client.get(f"/api/bearings?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
