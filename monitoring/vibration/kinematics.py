"""Bearing fault frequencies from the geometry of a rolling-element bearing.

A defect on a race or a rolling element strikes at a rate fixed by the geometry and the shaft
speed; those rates (BPFO, BPFI, BSF, FTF) are where an analyst looks in a spectrum.
"""

from __future__ import annotations

import math


def bearing_fault_frequencies(
    *,
    shaft_hz: float,
    rolling_elements: int,
    ball_diameter_mm: float,
    pitch_diameter_mm: float,
    contact_angle_deg: float = 0.0,
) -> dict[str, float]:
    """Return BPFO, BPFI, BSF and FTF in Hz for a rotating inner ring and a fixed outer ring."""
    if not shaft_hz > 0.0:
        raise ValueError(f"shaft_hz must be positive, got {shaft_hz!r}")
    if int(rolling_elements) != rolling_elements or rolling_elements < 1:
        raise ValueError(f"rolling_elements must be a positive integer, got {rolling_elements!r}")
    if not 0.0 < ball_diameter_mm < pitch_diameter_mm:
        raise ValueError(
            "need 0 < ball_diameter_mm < pitch_diameter_mm, got "
            f"{ball_diameter_mm!r} and {pitch_diameter_mm!r}"
        )
    if not 0.0 <= contact_angle_deg < 90.0:
        raise ValueError(f"contact_angle_deg must be in [0, 90), got {contact_angle_deg!r}")
    ratio = ball_diameter_mm / pitch_diameter_mm * math.cos(math.radians(contact_angle_deg))
    half_n = rolling_elements / 2.0
    return {
        "bpfo": half_n * shaft_hz * (1.0 - ratio),
        "bpfi": half_n * shaft_hz * (1.0 + ratio),
        # Ball spin frequency: once per revolution of the element about its own axis (some
        # tables quote 2*BSF because a spall hits both races once per spin).
        "bsf": pitch_diameter_mm / (2.0 * ball_diameter_mm) * shaft_hz * (1.0 - ratio * ratio),
        "ftf": 0.5 * shaft_hz * (1.0 - ratio),
    }
