"""ISO 20816-3 evaluation zones and measurement band: the status of a machine from its velocity.

ISO 20816-3:2022 superseded ISO 10816-3:2009; the zone boundaries for velocity measured on
bearing housings, and the bands they apply to, carry over unchanged, so the status labels of
readings classified under either are comparable. Zones A-D (Normal, Satisfactory, Alert,
Unacceptable) depend on the machine group (size) and whether its foundation is rigid or
flexible; boundaries are in mm/s RMS. The band is 10-1000 Hz above 600 rpm and 2-1000 Hz
from 120 to 600 rpm, where 10 Hz would cut the running speed itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

#: The standard the zones and bands follow (they are those of ISO 10816-3, which it replaced).
ZONE_STANDARD = "ISO 20816-3:2022"

#: Status labels for evaluation zones A, B, C and D, in that order.
ISO_ZONE_STATUSES: tuple[str, str, str, str] = ("Normal", "Satisfactory", "Alert", "Unacceptable")
ZONE_LETTERS = ("A", "B", "C", "D")

#: Zone boundaries (A/B, B/C, C/D) in mm/s RMS, keyed by (machine group, foundation).
#: Group 1: large machines, 300 kW - 50 MW; group 2: medium machines, 15 - 300 kW.
ISO10816_3_BOUNDARIES_MM_S: Mapping[tuple[int, str], tuple[float, float, float]] = {
    (1, "rigid"): (2.3, 4.5, 7.1),
    (1, "flexible"): (3.5, 7.1, 11.0),
    (2, "rigid"): (1.4, 2.8, 4.5),
    (2, "flexible"): (2.3, 4.5, 7.1),
}

#: Velocity bands by speed: above LOW_SPEED_MAX_RPM, and from 120 rpm up to it (inclusive).
VELOCITY_BAND_HZ = (10.0, 1000.0)
LOW_SPEED_VELOCITY_BAND_HZ = (2.0, 1000.0)
LOW_SPEED_MAX_RPM = 600.0
MIN_RPM = 120.0


@dataclass(frozen=True)
class VelocityBand:
    """The band a velocity RMS is measured in, and whether the record can cover it.

    ``f_lo``/``f_hi`` are the band actually used; ``nominal_hz`` is the standard's band for
    the speed. ``band_limited`` is True when the Nyquist frequency lies below the nominal upper
    edge, so ``f_hi`` had to be lowered and the value under-reads what ISO would measure;
    ``speed_covered`` is False below 120 rpm (and for an unknown speed), outside the
    standard's scope, where the nearest band is used.
    """

    f_lo: float
    f_hi: float
    nominal_hz: tuple[float, float]
    band_limited: bool
    speed_covered: bool

    @property
    def hz(self) -> tuple[float, float]:
        return (self.f_lo, self.f_hi)


def velocity_band(*, shaft_rpm: float | None, sample_rate_hz: float) -> VelocityBand:
    """The ISO velocity band for a shaft speed (rpm; None = unknown, 10-1000 Hz) and sample rate."""
    rpm = shaft_rpm if shaft_rpm is not None and math.isfinite(shaft_rpm) else None
    low_speed = rpm is not None and 0.0 < rpm <= LOW_SPEED_MAX_RPM
    nominal = LOW_SPEED_VELOCITY_BAND_HZ if low_speed else VELOCITY_BAND_HZ
    return band_within_nyquist(
        nominal, sample_rate_hz=sample_rate_hz, speed_covered=rpm is not None and rpm >= MIN_RPM
    )


def band_within_nyquist(
    nominal_hz: tuple[float, float], *, sample_rate_hz: float, speed_covered: bool = True
) -> VelocityBand:
    """`nominal_hz` as measurable at this rate: the upper edge lowered to Nyquist, and flagged."""
    lo, hi = float(nominal_hz[0]), float(nominal_hz[1])
    fs = float(sample_rate_hz)
    if not (math.isfinite(fs) and fs > 0.0):
        raise ValueError(f"sample_rate_hz must be a positive finite number, got {sample_rate_hz!r}")
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0.0 or hi <= lo:
        raise ValueError(f"invalid velocity band [{lo}, {hi}] Hz: need 0 < f_lo < f_hi")
    nyquist = fs / 2.0
    if nyquist <= lo:
        raise ValueError(f"sample rate {fs:g} Hz cannot measure a band starting at {lo:g} Hz")
    return VelocityBand(
        f_lo=lo,
        f_hi=min(hi, nyquist),
        nominal_hz=(lo, hi),
        band_limited=nyquist < hi,
        speed_covered=speed_covered,
    )


def _boundaries(group: int, foundation: str) -> tuple[float, float, float]:
    key = (group, foundation.strip().lower() if isinstance(foundation, str) else foundation)
    try:
        return ISO10816_3_BOUNDARIES_MM_S[key]
    except (KeyError, TypeError):
        raise ValueError(
            f"no {ZONE_STANDARD} zones for group={group!r}, foundation={foundation!r}; "
            "expected group 1 or 2 and foundation 'rigid' or 'flexible'"
        ) from None


def _zone_index(velocity_rms_mm_s: float, boundaries: tuple[float, float, float]) -> int:
    v = float(velocity_rms_mm_s)
    if not math.isfinite(v) or v < 0.0:
        raise ValueError(f"velocity RMS must be a finite non-negative number, got {v!r}")
    # On a boundary the worse zone applies: the tables give each boundary as the lowest value
    # of the next zone, and for alarms erring towards the worse zone is the conservative side.
    return sum(1 for b in boundaries if v >= b)


def iso10816_zone(velocity_rms_mm_s: float, *, group: int, foundation: str) -> str:
    """Return the status ("Normal" ... "Unacceptable") for a velocity RMS in mm/s.

    A value exactly on a boundary belongs to the upper (worse) zone. The name is kept for the
    stored statuses; the zones are those of ISO 20816-3:2022 (see ``evaluation_zone``).
    """
    return ISO_ZONE_STATUSES[_zone_index(velocity_rms_mm_s, _boundaries(group, foundation))]


def evaluation_zone(velocity_rms_mm_s: float, *, group: int, foundation: str) -> dict:
    """The zone of a velocity RMS with the standard that defines it.

    Returns {"status": "Normal".."Unacceptable", "zone": "A".."D", "standard": ZONE_STANDARD,
    "boundaries_mm_s": (A/B, B/C, C/D)}; a value on a boundary goes to the worse zone.
    """
    boundaries = _boundaries(group, foundation)
    index = _zone_index(velocity_rms_mm_s, boundaries)
    return {
        "status": ISO_ZONE_STATUSES[index],
        "zone": ZONE_LETTERS[index],
        "standard": ZONE_STANDARD,
        "boundaries_mm_s": boundaries,
    }
