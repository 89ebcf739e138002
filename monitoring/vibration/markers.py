"""The frequency markers drawn on a spectrum: running speed (1x) and bearing fault frequencies.

One function serves the ``/fft`` endpoint and the admin chart so both mark the same lines.
Bearing geometry is typed in by staff and can be incomplete or impossible (a ball as large as
the pitch circle); such a bearing gets no fault markers instead of an error, since the
spectrum itself is still worth showing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitoring.vibration.kinematics import bearing_fault_frequencies

#: Chart labels of the fault frequencies, in the order they are drawn.
FAULT_LABELS = {"bpfo": "BPFO", "bpfi": "BPFI", "bsf": "BSF", "ftf": "FTF"}


@dataclass(frozen=True)
class SpectrumMarkers:
    """Running speed and fault frequencies (Hz) of one bearing; None where unknown."""

    shaft_hz: float | None
    fault_frequencies: dict[str, float] | None

    def labelled(self) -> dict[str, float]:
        """Chart label -> frequency in Hz ("1x", "BPFO", "BPFI", "BSF", "FTF"), known ones only."""
        out = {} if self.shaft_hz is None else {"1x": self.shaft_hz}
        if self.fault_frequencies:
            out.update({label: self.fault_frequencies[k] for k, label in FAULT_LABELS.items()})
        return out


def _positive(value: Any) -> float | None:
    """`value` as a positive finite float, or None (missing, zero, negative, NaN, not a number)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0.0 else None


def spectrum_markers(
    *, shaft_hz: float | None, geometry: Mapping[str, Any] | None
) -> SpectrumMarkers:
    """Markers for a bearing: `geometry` holds rolling_elements, ball_diameter_mm,
    pitch_diameter_mm and contact_angle_deg (missing or None angle = 0) as staff entered them."""
    shaft = _positive(shaft_hz)
    if shaft is None:
        return SpectrumMarkers(shaft_hz=None, fault_frequencies=None)
    geometry = geometry or {}
    try:
        faults = bearing_fault_frequencies(
            shaft_hz=shaft,
            rolling_elements=geometry["rolling_elements"],
            ball_diameter_mm=geometry["ball_diameter_mm"],
            pitch_diameter_mm=geometry["pitch_diameter_mm"],
            contact_angle_deg=geometry.get("contact_angle_deg") or 0.0,
        )
    except (KeyError, TypeError, ValueError):
        # Missing, incomplete or impossible geometry: the 1x marker alone.
        faults = None
    return SpectrumMarkers(shaft_hz=shaft, fault_frequencies=faults)
