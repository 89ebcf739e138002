"""ISO 10816-3 evaluation zones: the status of a machine from its velocity RMS.

Zones A-D (Normal, Satisfactory, Alert, Unacceptable) depend on the machine group (size) and
whether its foundation is rigid or flexible; the boundaries are in mm/s RMS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

#: Status labels for ISO 10816-3 evaluation zones A, B, C and D, in that order.
ISO_ZONE_STATUSES: tuple[str, str, str, str] = ("Normal", "Satisfactory", "Alert", "Unacceptable")

#: ISO 10816-3 zone boundaries (A/B, B/C, C/D) in mm/s RMS, keyed by (machine group, foundation).
#: Group 1: large machines, 300 kW - 50 MW; group 2: medium machines, 15 - 300 kW.
ISO10816_3_BOUNDARIES_MM_S: Mapping[tuple[int, str], tuple[float, float, float]] = {
    (1, "rigid"): (2.3, 4.5, 7.1),
    (1, "flexible"): (3.5, 7.1, 11.0),
    (2, "rigid"): (1.4, 2.8, 4.5),
    (2, "flexible"): (2.3, 4.5, 7.1),
}


def iso10816_zone(velocity_rms_mm_s: float, *, group: int, foundation: str) -> str:
    """Return the ISO 10816-3 status ("Normal" ... "Unacceptable") for a velocity RMS in mm/s.

    A value exactly on a boundary belongs to the upper (worse) zone: the standard's tables give
    the boundaries as the lowest value of the next zone, and for alarms erring on the side of
    the worse zone is the conservative choice.
    """
    key = (group, foundation.strip().lower() if isinstance(foundation, str) else foundation)
    try:
        boundaries = ISO10816_3_BOUNDARIES_MM_S[key]
    except (KeyError, TypeError):
        raise ValueError(
            f"no ISO 10816-3 zones for group={group!r}, foundation={foundation!r}; "
            "expected group 1 or 2 and foundation 'rigid' or 'flexible'"
        ) from None
    v = float(velocity_rms_mm_s)
    if not math.isfinite(v) or v < 0.0:
        raise ValueError(f"velocity RMS must be a finite non-negative number, got {v!r}")
    zone = sum(1 for b in boundaries if v >= b)
    return ISO_ZONE_STATUSES[zone]
