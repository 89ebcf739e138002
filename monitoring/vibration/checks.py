"""Input checks shared by every analysis, and the unit conversion they all rely on.

A vendor record can be empty, flat (a disconnected sensor), or carry NaN; each analysis
rejects those with a ValueError whose message is worth recording against the record.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Standard gravity in mm/s^2; converts g to the mm/s^2 needed for velocity in mm/s.
STANDARD_GRAVITY_MM_S2 = 9806.65

#: Shortest waveform worth analysing; below this spectra and kurtosis are meaningless.
MIN_SAMPLES = 16


def checked_waveform(samples: Any, what: str) -> np.ndarray:
    """Return `samples` as a finite 1-D float64 array with its DC offset removed, or raise."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"{what} waveform must be one-dimensional, got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{what} waveform is empty")
    if x.size < MIN_SAMPLES:
        raise ValueError(f"{what} waveform has {x.size} samples, at least {MIN_SAMPLES} needed")
    # One sum is much cheaper than np.isfinite(x).all() and NaN/inf propagate into it.
    if not math.isfinite(float(x.sum())):
        raise ValueError(f"{what} waveform contains NaN or infinite samples")
    # Checked before centring: a constant minus its float mean need not be exactly zero.
    if x.max() == x.min():
        raise ValueError(f"{what} waveform is flat (all samples equal)")
    # Sensors and ADCs carry a DC offset that is not vibration; it would inflate RMS and bias
    # crest factor and kurtosis.
    return x - x.mean()


def checked_rate(sample_rate_hz: float) -> float:
    """Return the sample rate as float, or raise for non-positive or non-finite values."""
    fs = float(sample_rate_hz)
    if not math.isfinite(fs) or fs <= 0.0:
        raise ValueError(f"sample_rate_hz must be a positive finite number, got {sample_rate_hz!r}")
    return fs
