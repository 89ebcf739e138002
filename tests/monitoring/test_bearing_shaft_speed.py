"""A bearing behind a gearbox: its own shaft speed drives /fft, the admin chart and the API."""

import numpy as np
import pytest
from django.urls import reverse

from monitoring import admin_charts
from monitoring.models import Bearing
from tests.factories import BearingFactory, MachineFactory, ReadingFactory, SpectrumFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("bearing", "machine", "hz"),
    [
        ({"shaft_speed_rpm": 375.0}, {"running_speed_rpm": 1500.0}, 6.25),
        ({"shaft_speed_rpm": None}, {"running_speed_rpm": 1500.0}, 25.0),
        ({}, {"running_speed_rpm": 1500.0}, 25.0),
        ({"shaft_speed_rpm": 0.0}, {"running_speed_rpm": 1500.0}, 25.0),
        ({"shaft_speed_rpm": float("nan")}, {"running_speed_rpm": None}, None),
        (None, None, None),
        ({"shaft_speed_rpm": 375.0}, None, 6.25),
    ],
)
def test_shaft_hz_is_the_bearings_speed_else_the_machines(bearing, machine, hz):
    assert Bearing.shaft_hz(bearing, machine) == hz


@pytest.fixture
def output_shaft_reading():
    """A 6205 on a 375 rpm output shaft of a 1500 rpm machine; spectrum peak at 1x (6.25 Hz)."""
    machine = MachineFactory(running_speed_rpm=1500.0)
    bearing = BearingFactory(machine=machine, shaft_speed_rpm=375.0, measurement_direction="axial")
    amplitudes = np.full(2048, 0.001, dtype="<f4")
    amplitudes[5] = 0.5  # 6.25 Hz at 1.25 Hz resolution
    return SpectrumFactory(
        reading=ReadingFactory(bearing=bearing), amplitudes=amplitudes.tobytes()
    ).reading


def test_fft_uses_the_bearings_shaft_speed(client, output_shaft_reading):
    body = client.get(f"/api/readings/{output_shaft_reading.pk}/fft").json()
    assert body["running_speed_hz"] == 6.25
    assert body["peaks"][0] == {"frequency_hz": 6.25, "amplitude": 0.5, "order": 1.0}
    faults = body["fault_frequencies"]
    # 6205 at 375 rpm: a quarter of the 1500 rpm figures (89.3, 135.7, 58.03, 9.92 Hz).
    assert faults["bpfo"] == pytest.approx(22.33, abs=0.02)
    assert faults["bpfi"] == pytest.approx(33.92, abs=0.02)
    assert faults["bsf"] == pytest.approx(14.51, abs=0.02)
    assert faults["ftf"] == pytest.approx(2.48, abs=0.01)


def test_admin_chart_marks_the_bearings_shaft(admin_client, output_shaft_reading, monkeypatch):
    drawn = {}

    def spy(amplitudes, resolution_hz, *, unit, markers, title, f_max=None):
        drawn.setdefault(title, markers)
        return "<svg></svg>"

    monkeypatch.setattr(admin_charts, "spectrum_svg", spy)
    url = reverse("admin:monitoring_reading_change", args=[output_shaft_reading.pk])
    assert admin_client.get(url).status_code == 200
    assert drawn["Amplitude spectrum"]["1x"] == 6.25
    assert drawn["Amplitude spectrum"]["BPFO"] == pytest.approx(22.33, abs=0.02)


def test_bearing_endpoints_show_shaft_speed_and_direction(client, output_shaft_reading):
    bearing = output_shaft_reading.bearing
    [item] = client.get(f"/api/bearings?machine_id={bearing.machine_id}").json()["results"]
    assert item["shaft_speed_rpm"] == 375.0 and item["measurement_direction"] == "axial"
    machine = client.get(f"/api/machines/{bearing.machine_id}").json()
    assert machine["bearings"][0]["shaft_speed_rpm"] == 375.0
    assert machine["bearings"][0]["measurement_direction"] == "axial"


def test_shaft_speed_and_direction_are_read_only_in_the_admin(admin_client):
    bearing = BearingFactory(shaft_speed_rpm=375.0)
    html = admin_client.get(
        reverse("admin:monitoring_bearing_change", args=[bearing.pk])
    ).content.decode()
    assert 'name="shaft_speed_rpm"' not in html and 'name="measurement_direction"' not in html
    assert "375" in html
