"""The admin's pictures read back from the pages' SVG: a machine's velocity trend over its
zones, a reading's spectrum and envelope (full and zoomed), an alarm's trigger reading."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from monitoring import charts, clock
from monitoring.alarms.models import Alarm, Baseline
from monitoring.alarms.services import alarms_evaluate
from monitoring.models import BearingHourlyRollup, Reading
from monitoring.mongo import collection, floor_hour
from monitoring.services import rollups_rebuild
from monitoring.vibration.kinematics import bearing_fault_frequencies
from tests.factories import (
    BearingFactory,
    MachineFactory,
    ReadingFactory,
    SpectrumFactory,
    WaveformFactory,
    velocity,
)
from tests.monitoring.alarms.support import series
from tests.monitoring.support import elements, hz_at, markers, polyline_points, svgs, x_ticks

pytestmark = pytest.mark.django_db

SPECTRUM, SPECTRUM_ZOOM = "Amplitude spectrum", "Amplitude spectrum, 0-10x shaft"
ENVELOPE, ENVELOPE_ZOOM = "Envelope spectrum", "Envelope spectrum, 0-10x shaft"
#: The waveform factory's record: 4096 samples at 5120 Hz, so lines 1.25 Hz apart to 2560 Hz.
FULL_SPAN_HZ = 2048 * 1.25


def _page(admin_client, name: str, pk) -> str:
    response = admin_client.get(reverse(f"admin:monitoring_{name}_change", args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def _reading_with_waveform(**bearing) -> object:
    reading = ReadingFactory(bearing=BearingFactory(**bearing))
    WaveformFactory(reading=reading)
    return reading


@pytest.fixture
def gearbox_reading():
    """A 6205 on the 375 rpm output shaft of a 1500 rpm machine, with a raw waveform."""
    return _reading_with_waveform(
        machine=MachineFactory(running_speed_rpm=1500.0), shaft_speed_rpm=375.0
    )


def _6205_at(shaft_hz: float) -> dict[str, float]:
    return bearing_fault_frequencies(
        shaft_hz=shaft_hz, rolling_elements=9, ball_diameter_mm=7.94, pitch_diameter_mm=38.5
    )


NOW = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.UTC)
#: Group 1 on a flexible foundation: limits unlike the factories' default (group 2, rigid).
LIMITS = (3.5, 7.1, 11.0)
#: Readings of "Motor DE" (days before NOW, mm/s): two share an hour; one is past 30 days.
TREND_READINGS = [(1.0, 1.0), (1.0, 1.4), (2.0, 1.1), (5.0, 1.8), (29.0, 0.9), (31.0, 6.0)]


@pytest.fixture
def trend_machine(monkeypatch):
    """A machine with a measured, baselined bearing and one with nothing in the last 30 days."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    machine = MachineFactory(iso_group=1, foundation="flexible")
    measured = BearingFactory(machine=machine, bearing_location="Motor DE")
    quiet = BearingFactory(machine=machine, bearing_location="Pump NDE")
    for days, rms in TREND_READINGS:
        ReadingFactory(bearing=measured, timestamp=NOW - dt.timedelta(days=days),
                       velocity=velocity(rms))  # fmt: skip
    ReadingFactory(bearing=quiet, timestamp=NOW - dt.timedelta(days=40))
    rollups_rebuild()
    Baseline.objects.create(bearing=measured, values={"velocity.rms": 1.2})
    return machine, measured


def _trend_y(value: float, v_max: float) -> float:
    return charts.MARGIN_TOP + charts.PLOT_H * (1 - value / v_max)


def test_machine_page_draws_a_trend_per_bearing_from_the_rollups(admin_client, trend_machine):
    machine, measured = trend_machine
    html = _page(admin_client, "machine", machine.pk)
    assert "velocity trend (30 days)" in html.lower()
    assert set(svgs(html)) == {"Velocity RMS, Motor DE"}
    assert "<strong>Motor DE</strong>" in html and "<strong>Pump NDE</strong>" in html
    assert html.count("No data in this period.") == 1  # Pump NDE: no rollup in 30 days
    [points] = polyline_points(svgs(html)["Velocity RMS, Motor DE"])
    buckets = collection(BearingHourlyRollup).count_documents(
        {"bearing_id": measured.pk, "hour": {"$gte": floor_hour(NOW - dt.timedelta(days=30))}}
    )
    assert len(points) == buckets == 4  # 5 readings in 30 days, two in the same hour


def test_trend_shades_the_machines_zones_and_marks_the_baseline(admin_client, trend_machine):
    machine, _ = trend_machine
    chart = svgs(_page(admin_client, "machine", machine.pk))["Velocity RMS, Motor DE"]
    v_max = LIMITS[-1] * 1.1  # the scale shows a tenth of zone D above its limit
    bands = [r for r in elements(chart, "rect") if r.get("fill") in charts.ZONE_FILLS]
    bands.sort(key=lambda r: -float(r.get("y")))  # zone A (lowest on the chart) first
    assert [r.get("fill") for r in bands] == list(charts.ZONE_FILLS)
    for band, low, high in zip(bands, (0.0, *LIMITS), (*LIMITS, v_max), strict=True):
        top, height = float(band.get("y")), float(band.get("height"))
        assert top == pytest.approx(_trend_y(high, v_max), abs=0.1)
        assert top + height == pytest.approx(_trend_y(low, v_max), abs=0.15)
    [line] = [e for e in elements(chart, "line") if e.get("stroke-dasharray")]
    assert float(line.get("y1")) == pytest.approx(_trend_y(1.2, v_max), abs=0.05)
    assert "baseline" in "".join(chart.itertext())


def test_no_baseline_draws_no_line_and_an_unknown_group_no_zones(admin_client, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    bearing = BearingFactory(machine=MachineFactory(iso_group=3), bearing_location="Fan DE")
    ReadingFactory(bearing=bearing, timestamp=NOW - dt.timedelta(hours=3))
    rollups_rebuild()
    html = _page(admin_client, "machine", bearing.machine_id)
    chart = svgs(html)["Velocity RMS, Fan DE"]
    assert len(polyline_points(chart)[0]) == 1
    assert not [r for r in elements(chart, "rect") if r.get("fill") in charts.ZONE_FILLS]
    assert not [e for e in elements(chart, "line") if e.get("stroke-dasharray")]
    assert "no ISO zones: the machine&#x27;s group or foundation is unknown" in html


def test_reading_page_draws_spectrum_and_envelope_full_and_zoomed(admin_client):
    reading = _reading_with_waveform()
    charts = svgs(_page(admin_client, "reading", reading.pk))
    assert set(charts) == {SPECTRUM, SPECTRUM_ZOOM, ENVELOPE, ENVELOPE_ZOOM}
    for chart in charts.values():
        assert len(polyline_points(chart)) == 1
    assert "Amplitude (gE)" in "".join(charts[ENVELOPE].itertext())


def test_spectrum_zoom_ends_at_ten_times_the_bearings_shaft(admin_client, gearbox_reading):
    charts = svgs(_page(admin_client, "reading", gearbox_reading.pk))
    full, zoom = charts[SPECTRUM], charts[SPECTRUM_ZOOM]
    assert max(x_ticks(zoom)) <= 62.5  # 10 x 6.25 Hz, not 10 x the machine's 25 Hz
    assert max(x_ticks(full)) > 2000
    [points] = polyline_points(zoom)
    assert len(points) == 51  # lines 0 .. 50 at 1.25 Hz: 0 .. 62.5 Hz
    # The same markers as the full range (all of them lie within 62.5 Hz on this shaft).
    assert set(markers(zoom)) == set(markers(full)) == {"1x", "BPFO", "BPFI", "BSF", "FTF"}
    assert hz_at(markers(zoom)["1x"], 62.5) == pytest.approx(6.25, abs=0.01)


def test_envelope_marks_the_bearings_bpfo_behind_a_gearbox(admin_client, gearbox_reading):
    charts = svgs(_page(admin_client, "reading", gearbox_reading.pk))
    bpfo = _6205_at(6.25)["bpfo"]
    assert bpfo == pytest.approx(22.33, abs=0.02)  # not the machine shaft's 89.3 Hz
    assert hz_at(markers(charts[ENVELOPE_ZOOM])["BPFO"], 62.5) == pytest.approx(bpfo, abs=0.02)
    full = markers(charts[ENVELOPE])
    assert hz_at(full["BPFO"], FULL_SPAN_HZ) == pytest.approx(bpfo, abs=0.5)
    assert hz_at(full["2xBPFO"], FULL_SPAN_HZ) == pytest.approx(2 * bpfo, abs=0.5)


def test_envelope_markers_past_the_zoom_are_only_on_the_full_range(admin_client, gearbox_reading):
    charts = svgs(_page(admin_client, "reading", gearbox_reading.pk))
    full, zoom = set(markers(charts[ENVELOPE])), set(markers(charts[ENVELOPE_ZOOM]))
    # 1x-3x of each defect as /envelope lists them; 3xBPFO (67 Hz), 2xBPFI (67.8 Hz) and
    # 3xBPFI (101.8 Hz) lie past 62.5 Hz.
    beyond = {"3xBPFO", "2xBPFI", "3xBPFI"}
    assert len(full) == 12 and beyond <= full
    assert zoom == full - beyond
    assert max(x_ticks(charts[ENVELOPE_ZOOM])) <= 62.5


def test_envelope_at_the_machines_speed_marks_its_bpfo(admin_client):
    reading = _reading_with_waveform()  # a 1500 rpm machine, no shaft speed of its own
    zoom = markers(svgs(_page(admin_client, "reading", reading.pk))[ENVELOPE_ZOOM])
    assert hz_at(zoom["BPFO"], 250.0) == pytest.approx(_6205_at(25.0)["bpfo"], abs=0.05)


def test_a_reading_with_no_waveform_still_renders(admin_client):
    reading = ReadingFactory()
    html = _page(admin_client, "reading", reading.pk)
    assert svgs(html) == {}
    assert "no spectrum or waveform stored" in html
    assert "no waveform stored: no envelope spectrum" in html


def test_a_stored_spectrum_without_waveform_has_spectrum_but_no_envelope(admin_client):
    reading = SpectrumFactory().reading  # ingested before waveforms were kept
    html = _page(admin_client, "reading", reading.pk)
    assert set(svgs(html)) == {SPECTRUM, SPECTRUM_ZOOM}
    assert "no waveform stored: no envelope spectrum" in html


def test_rejected_geometry_leaves_the_envelope_without_defect_markers(admin_client):
    reading = _reading_with_waveform(ball_diameter_mm=38.5, pitch_diameter_mm=38.5)
    html = _page(admin_client, "reading", reading.pk)
    charts = svgs(html)
    assert markers(charts[ENVELOPE]) == {} and markers(charts[ENVELOPE_ZOOM]) == {}
    assert set(markers(charts[SPECTRUM])) == {"1x"}
    assert "match scores: no bearing geometry" in html


def test_unknown_shaft_speed_gives_no_zoom(admin_client):
    reading = _reading_with_waveform(machine=MachineFactory(running_speed_rpm=None))
    html = _page(admin_client, "reading", reading.pk)
    assert set(svgs(html)) == {SPECTRUM, ENVELOPE}
    assert html.count("Shaft speed unknown: no 0-10x zoom.") == 2


@pytest.fixture
def zone_alarm():
    """A zone alarm raised by stored readings; its trigger reading keeps a raw waveform."""
    bearing = BearingFactory()
    alarms_evaluate(readings=series(bearing, [1.0] * 10 + [3.0, 3.0, 5.0], store=True))
    alarm = Alarm.objects.get(rule_type="zone")
    WaveformFactory(reading=Reading.objects.get(pk=alarm.trigger_reading_id))
    return alarm


def test_alarm_page_shows_the_trigger_readings_spectrum_and_links_it(admin_client, zone_alarm):
    html = _page(admin_client, "alarm", zone_alarm.pk)
    link = reverse("admin:monitoring_reading_change", args=[zone_alarm.trigger_reading_id])
    assert f'<a href="{link}">Reading of ' in html
    charts = svgs(html)
    assert set(charts) == {SPECTRUM, SPECTRUM_ZOOM}
    # One renderer: the very charts of the reading's own page.
    reading_charts = svgs(_page(admin_client, "reading", zone_alarm.trigger_reading_id))
    for title in (SPECTRUM, SPECTRUM_ZOOM):
        assert ET.tostring(charts[title]) == ET.tostring(reading_charts[title])
    assert set(markers(charts[SPECTRUM])) == {"1x", "BPFO", "BPFI", "BSF", "FTF"}


def test_alarm_page_without_its_trigger_reading_says_so(admin_client, zone_alarm):
    Reading.objects.filter(pk=zone_alarm.trigger_reading_id).delete()
    html = _page(admin_client, "alarm", zone_alarm.pk)
    assert f"reading {zone_alarm.trigger_reading_id} is not stored (any more)" in html
    assert svgs(html) == {}
    Alarm.objects.filter(pk=zone_alarm.pk).update(trigger_reading_id=None)
    assert "no trigger reading" in _page(admin_client, "alarm", zone_alarm.pk)
