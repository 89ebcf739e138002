"""The admin console: pages load for staff, refuse everyone else, show zones and spectra."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.models import Machine, Reading
from monitoring.services import latest_state_rebuild
from tests.factories import BearingFactory, ReadingFactory, SpectrumFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    bearing = BearingFactory(machine__machine_name="Cooling pump 1", bearing_location="Motor DE")
    reading = ReadingFactory(bearing=bearing, status="Alert")
    spectrum = SpectrumFactory(reading=reading)
    latest_state_rebuild()
    return bearing.machine, bearing, reading, spectrum


def _pages(machine, bearing, reading):
    return [
        reverse("admin:index"),
        reverse("admin:monitoring_machine_changelist"),
        reverse("admin:monitoring_machine_change", args=[machine.pk]),
        reverse("admin:monitoring_bearing_changelist"),
        reverse("admin:monitoring_bearing_change", args=[bearing.pk]),
        reverse("admin:monitoring_reading_changelist"),
        reverse("admin:monitoring_reading_change", args=[reading.pk]),
        reverse("admin:monitoring_ingestionrun_changelist"),
    ]


def test_staff_can_open_every_page(admin_client, data):
    machine, bearing, reading, _ = data
    for url in _pages(machine, bearing, reading):
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["anonymous", "non_staff"])
def test_others_cannot_reach_any_admin_page(anonymous_client, django_user_model, data, who):
    client = anonymous_client
    machine, bearing, reading, _ = data
    if who == "non_staff":
        user = django_user_model.objects.create_user("plant", password="pw")
        client.force_login(user)
    for url in _pages(machine, bearing, reading):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url


def test_machine_list_shows_zone_colours_and_filters(admin_client, data):
    response = admin_client.get(reverse("admin:monitoring_machine_changelist"))
    html = response.content.decode()
    assert "Cooling pump 1" in html
    assert "#f57c00" in html  # Alert is orange
    for name in ("customer", "area", "machine_type", "status"):
        assert f"?{name}=" in html or f"{name}__exact=" in html


def test_machine_page_shows_latest_reading_per_bearing(admin_client, data):
    machine, _, reading, _ = data
    html = admin_client.get(
        reverse("admin:monitoring_machine_change", args=[machine.pk])
    ).content.decode()
    assert "Motor DE" in html and "1 mm/s" in html
    assert reverse("admin:monitoring_reading_change", args=[reading.pk]) in html


def test_machine_search(admin_client, data):
    url = reverse("admin:monitoring_machine_changelist")
    assert "Cooling pump 1" in admin_client.get(url, {"q": "cooling"}).content.decode()
    assert "Cooling pump 1" not in admin_client.get(url, {"q": "zzz"}).content.decode()


def test_reading_page_renders_spectrum_chart_and_units(admin_client, data):
    _, _, reading, _ = data
    html = admin_client.get(
        reverse("admin:monitoring_reading_change", args=[reading.pk])
    ).content.decode()
    assert "<svg" in html and "<polyline" in html
    assert "Frequency (Hz)" in html and "Amplitude (g)" in html
    assert "2048 lines" in html
    assert "mm/s" in html and "°C" in html
    assert "1x" in html  # running-speed marker at 25 Hz
    assert "BPFO" in html and "BPFI" in html  # the 6205's fault frequencies


def test_reading_page_lists_every_catalogue_indicator(admin_client, data):
    from monitoring import indicators

    _, _, reading, _ = data
    html = admin_client.get(
        reverse("admin:monitoring_reading_change", args=[reading.pk])
    ).content.decode()
    for indicator in indicators.INDICATORS:
        assert f"<th>{indicator.label.capitalize()}</th>" in html


def test_readings_are_read_only(admin_client, data):
    _, _, reading, _ = data
    assert admin_client.get(reverse("admin:monitoring_reading_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:monitoring_reading_change", args=[reading.pk]), {"status": "Normal"}
    )
    assert response.status_code == 403


def test_reading_list_queries_do_not_grow_with_rows(admin_client, data):
    _, bearing, _, _ = data
    url = reverse("admin:monitoring_reading_changelist")
    admin_client.get(url)
    ReadingFactory.create_batch(20, bearing=bearing)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    ReadingFactory.create_batch(20, bearing=bearing)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


def test_readings_filter_by_status_machine_and_date(admin_client, data):
    machine, _, reading, _ = data
    other = ReadingFactory(status="Normal")  # another machine
    url = reverse("admin:monitoring_reading_changelist")
    html = admin_client.get(url, {"machine__id__exact": machine.pk}).content.decode()
    assert reverse("admin:monitoring_reading_change", args=[reading.pk]) in html
    assert reverse("admin:monitoring_reading_change", args=[other.pk]) not in html
    html = admin_client.get(url, {"status__exact": "Normal"}).content.decode()
    assert reverse("admin:monitoring_reading_change", args=[other.pk]) in html
    assert reverse("admin:monitoring_reading_change", args=[reading.pk]) not in html
    day = reading.timestamp
    response = admin_client.get(
        url, {"timestamp__year": day.year, "timestamp__month": day.month, "timestamp__day": day.day}
    )
    assert response.status_code == 200
    assert (
        reverse("admin:monitoring_reading_change", args=[reading.pk]) in response.content.decode()
    )


def test_measured_machines_and_bearings_cannot_be_deleted(admin_client, data):
    machine, bearing, _, _ = data
    for name, obj in (("machine", machine), ("bearing", bearing)):
        url = reverse(f"admin:monitoring_{name}_delete", args=[obj.pk])
        assert admin_client.get(url).status_code == 403
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Reading.objects.count() == 1


def test_unmeasured_machine_can_be_deleted(admin_client):
    from tests.factories import MachineFactory

    machine = MachineFactory()
    url = reverse("admin:monitoring_machine_delete", args=[machine.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Machine.objects.filter(pk=machine.pk).exists()


def _reading_page(admin_client, reading) -> str:
    response = admin_client.get(reverse("admin:monitoring_reading_change", args=[reading.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_reading_page_survives_geometry_the_kinematics_reject(admin_client, data):
    # Staff typed the pitch diameter as the ball diameter: no fault frequencies exist. (Django
    # swallows a ValueError from a read-only field and shows "-", so the defect was a chart
    # silently replaced by a dash rather than a 500.)
    _, bearing, reading, _ = data
    bearing.ball_diameter_mm = bearing.pitch_diameter_mm
    bearing.save()
    html = _reading_page(admin_client, reading)
    assert 'aria-label="Amplitude spectrum"' in html and "<polyline" in html
    assert "1x" in html  # the running-speed marker stays
    assert "BPFO" not in html and "BPFI" not in html


def test_reading_page_survives_a_truncated_spectrum(admin_client, data):
    _, _, reading, spectrum = data
    spectrum.amplitudes = bytes(spectrum.amplitudes)[:-3]  # 2047 floats and 1 stray byte
    spectrum.save()
    html = _reading_page(admin_client, reading)
    assert 'aria-label="Amplitude spectrum"' in html and "<polyline" in html
    assert "BPFO" in html
