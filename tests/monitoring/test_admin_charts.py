"""The admin's pictures, read back from the pages' SVG: spectrum and envelope, full and zoomed."""

import pytest
from django.urls import reverse

from monitoring.vibration.kinematics import bearing_fault_frequencies
from tests.factories import (
    BearingFactory,
    MachineFactory,
    ReadingFactory,
    SpectrumFactory,
    WaveformFactory,
)
from tests.monitoring.support import hz_at, markers, polyline_points, svgs, x_ticks

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
