"""Known-answer tests of monitoring.vibration.zones: ISO 10816-3 zones."""

from __future__ import annotations

import pytest

from monitoring.vibration.zones import (
    ISO10816_3_BOUNDARIES_MM_S,
    ISO_ZONE_STATUSES,
    iso10816_zone,
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
