"""Known-answer tests of monitoring.vibration.kinematics: bearing fault frequencies."""

from __future__ import annotations

import pytest

from monitoring.vibration.kinematics import bearing_fault_frequencies


def test_fault_frequencies_of_6205_at_1500_rpm() -> None:
    f = bearing_fault_frequencies(
        shaft_hz=1500 / 60,
        rolling_elements=9,
        ball_diameter_mm=7.94,
        pitch_diameter_mm=38.5,
        contact_angle_deg=0.0,
    )
    assert f["bpfo"] == pytest.approx(89.3, abs=0.05)
    assert f["bpfi"] == pytest.approx(135.7, abs=0.05)
    assert f["ftf"] == pytest.approx(9.92, abs=0.01)
    assert f["bsf"] == pytest.approx(58.0, abs=0.05)
    # BPFO + BPFI = n * shaft speed for any geometry.
    assert f["bpfo"] + f["bpfi"] == pytest.approx(9 * 25.0)


def test_contact_angle_moves_frequencies_towards_half_n() -> None:
    args = {"shaft_hz": 25.0, "rolling_elements": 12, "ball_diameter_mm": 17.46}
    flat = bearing_fault_frequencies(**args, pitch_diameter_mm=80.0)
    angled = bearing_fault_frequencies(**args, pitch_diameter_mm=80.0, contact_angle_deg=40)
    assert flat["bpfo"] < angled["bpfo"] < 6 * 25.0 < angled["bpfi"] < flat["bpfi"]


def test_fault_frequencies_validate_geometry() -> None:
    with pytest.raises(ValueError, match="ball_diameter_mm"):
        bearing_fault_frequencies(
            shaft_hz=25, rolling_elements=9, ball_diameter_mm=40, pitch_diameter_mm=38.5
        )
