"""monitoring.vibration.markers: the 1x and fault-frequency markers of /fft and the admin chart."""

from __future__ import annotations

import pytest

from monitoring.vibration.kinematics import bearing_fault_frequencies
from monitoring.vibration.markers import spectrum_markers

GEOMETRY_6205 = {
    "rolling_elements": 9,
    "ball_diameter_mm": 7.94,
    "pitch_diameter_mm": 38.5,
    "contact_angle_deg": 0.0,
}


def test_markers_of_a_valid_bearing_match_the_kinematics() -> None:
    markers = spectrum_markers(shaft_hz=25.0, geometry=GEOMETRY_6205)
    expected = bearing_fault_frequencies(shaft_hz=25.0, **GEOMETRY_6205)
    assert markers.shaft_hz == 25.0
    assert markers.fault_frequencies == expected
    assert markers.labelled() == {
        "1x": 25.0,
        "BPFO": expected["bpfo"],
        "BPFI": expected["bpfi"],
        "BSF": expected["bsf"],
        "FTF": expected["ftf"],
    }


def test_missing_contact_angle_counts_as_zero() -> None:
    geometry = {**GEOMETRY_6205, "contact_angle_deg": None}
    faults = spectrum_markers(shaft_hz=25.0, geometry=geometry).fault_frequencies
    assert faults == bearing_fault_frequencies(shaft_hz=25.0, **GEOMETRY_6205)


@pytest.mark.parametrize(
    "change",
    [
        {"ball_diameter_mm": 38.5},  # ball as large as the pitch circle: rejected by kinematics
        {"ball_diameter_mm": 40.0},
        {"rolling_elements": 0},
        {"rolling_elements": 8.5},
        {"rolling_elements": None},  # incomplete
        {"pitch_diameter_mm": float("nan")},
        {"contact_angle_deg": 95.0},
        {"ball_diameter_mm": "7.94 mm"},
    ],
)
def test_geometry_the_kinematics_reject_gives_no_fault_markers(change: dict) -> None:
    markers = spectrum_markers(shaft_hz=25.0, geometry={**GEOMETRY_6205, **change})
    assert markers.fault_frequencies is None
    assert markers.labelled() == {"1x": 25.0}


@pytest.mark.parametrize("geometry", [None, {}, {"rolling_elements": 9}])
def test_missing_geometry_gives_the_1x_marker_alone(geometry) -> None:
    assert spectrum_markers(shaft_hz=25.0, geometry=geometry).labelled() == {"1x": 25.0}


@pytest.mark.parametrize("shaft_hz", [None, 0, 0.0, -5.0, float("nan")])
def test_unknown_speed_gives_no_markers(shaft_hz) -> None:
    markers = spectrum_markers(shaft_hz=shaft_hz, geometry=GEOMETRY_6205)
    assert markers.shaft_hz is None and markers.fault_frequencies is None
    assert markers.labelled() == {}
