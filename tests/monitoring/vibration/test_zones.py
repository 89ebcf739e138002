"""Known-answer tests of monitoring.vibration.zones: ISO 10816-3 zones."""

from __future__ import annotations

import pytest

from monitoring.vibration.zones import (
    ISO10816_3_BOUNDARIES_MM_S,
    ISO_ZONE_STATUSES,
    ZONE_STANDARD,
    band_within_nyquist,
    evaluation_zone,
    iso10816_zone,
    velocity_band,
)


@pytest.mark.parametrize(
    ("group", "foundation", "boundaries"),
    [
        (2, "rigid", (1.4, 2.8, 4.5)),
        (1, "rigid", (2.3, 4.5, 7.1)),
        (2, "flexible", (2.3, 4.5, 7.1)),
        (1, "flexible", (3.5, 7.1, 11.0)),
    ],
)
def test_iso_zones_at_and_around_boundaries(
    group: int, foundation: str, boundaries: tuple[float, float, float]
) -> None:
    assert ISO10816_3_BOUNDARIES_MM_S[(group, foundation)] == boundaries
    zone = iso10816_zone
    assert zone(0.0, group=group, foundation=foundation) == "Normal"
    for lower_zone, boundary in enumerate(boundaries):
        below, upper = ISO_ZONE_STATUSES[lower_zone], ISO_ZONE_STATUSES[lower_zone + 1]
        assert zone(boundary - 0.01, group=group, foundation=foundation) == below
        # On the boundary the worse zone applies.
        assert zone(boundary, group=group, foundation=foundation) == upper
        assert zone(boundary + 0.01, group=group, foundation=foundation) == upper
    assert zone(100.0, group=group, foundation=foundation) == "Unacceptable"


@pytest.mark.parametrize(
    ("group", "foundation", "velocity"),
    [
        (3, "rigid", 1.0),
        (2, "concrete", 1.0),
        (1, None, 1.0),
        (2, "rigid", -1.0),
        (2, "rigid", float("nan")),
    ],
)
def test_iso_zone_rejects_invalid_input(group: int, foundation: str, velocity: float) -> None:
    with pytest.raises(ValueError):
        iso10816_zone(velocity, group=group, foundation=foundation)


def test_iso_zone_accepts_foundation_in_any_case() -> None:
    assert iso10816_zone(3.0, group=2, foundation="Rigid") == "Alert"


# -- the standard and the band by speed ------------------------------------------------------


@pytest.mark.parametrize(
    ("velocity", "status", "zone"),
    [
        (1.39, "Normal", "A"),
        (1.4, "Satisfactory", "B"),
        (2.8, "Alert", "C"),
        (4.5, "Unacceptable", "D"),
    ],
)
def test_evaluation_zone_names_the_standard_and_puts_boundaries_in_the_worse_zone(
    velocity: float, status: str, zone: str
) -> None:
    result = evaluation_zone(velocity, group=2, foundation="rigid")
    assert result == {
        "status": status,
        "zone": zone,
        "standard": "ISO 20816-3:2022",
        "boundaries_mm_s": (1.4, 2.8, 4.5),
    }
    assert ZONE_STANDARD == "ISO 20816-3:2022"
    assert iso10816_zone(velocity, group=2, foundation="rigid") == status


@pytest.mark.parametrize(
    ("rpm", "band", "covered"),
    [
        (1480.0, (10.0, 1000.0), True),
        (601.0, (10.0, 1000.0), True),
        (600.0, (2.0, 1000.0), True),  # "120 to 600 rpm": 600 itself is low speed
        (352.0, (2.0, 1000.0), True),
        (120.0, (2.0, 1000.0), True),
        (90.0, (2.0, 1000.0), False),  # below the standard's scope: nearest band, flagged
        (None, (10.0, 1000.0), False),  # unknown speed: the usual band
    ],
)
def test_velocity_band_by_shaft_speed(rpm, band, covered) -> None:
    chosen = velocity_band(shaft_rpm=rpm, sample_rate_hz=5120.0)
    assert chosen.hz == band == chosen.nominal_hz
    assert chosen.band_limited is False
    assert chosen.speed_covered is covered


def test_a_sample_rate_below_twice_the_upper_edge_is_flagged_not_clipped_silently() -> None:
    chosen = velocity_band(shaft_rpm=1480.0, sample_rate_hz=1600.0)
    assert chosen.hz == (10.0, 800.0)  # what the record can hold
    assert chosen.nominal_hz == (10.0, 1000.0)  # what ISO asks for
    assert chosen.band_limited is True
    assert velocity_band(shaft_rpm=1480.0, sample_rate_hz=2000.0).band_limited is False


def test_band_validation() -> None:
    with pytest.raises(ValueError, match="band"):
        band_within_nyquist((100.0, 10.0), sample_rate_hz=5120.0)
    with pytest.raises(ValueError, match="cannot measure"):
        band_within_nyquist((10.0, 1000.0), sample_rate_hz=16.0)
    with pytest.raises(ValueError, match="sample_rate_hz"):
        velocity_band(shaft_rpm=1480.0, sample_rate_hz=0.0)
