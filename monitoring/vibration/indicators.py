"""Time-domain indicators of acceleration (g) and velocity (mm/s), and integration to velocity.

Acceleration RMS, peak, crest factor and kurtosis show impacting (bearing defects) early;
velocity RMS over the ISO band is what the zones of ``zones`` judge.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from monitoring.vibration.checks import STANDARD_GRAVITY_MM_S2, checked_rate, checked_waveform

#: Velocity band of ISO 10816-3 for machines running above 600 rpm.
VELOCITY_BAND_HZ = (10.0, 1000.0)


def centred_indicators(x: np.ndarray, *, with_kurtosis: bool) -> dict[str, float]:
    """RMS, peak, crest factor (and optionally kurtosis) of a zero-mean, non-flat waveform."""
    x2 = x * x
    mean_square = float(x2.mean())
    rms = math.sqrt(mean_square)
    peak = float(np.abs(x).max())
    out = {"rms": rms, "peak": peak, "crest_factor": peak / rms}
    if with_kurtosis:
        # Pearson (non-excess) kurtosis: 3 for Gaussian noise, 1.5 for a pure sine. Bearing
        # impacts raise it well above 3 before they move the RMS.
        out["kurtosis"] = float((x2 * x2).mean()) / (mean_square * mean_square)
    return out


def acceleration_indicators(samples_g: np.ndarray) -> dict[str, float]:
    """Return rms, peak, crest_factor and kurtosis (Pearson) of an acceleration waveform in g."""
    return centred_indicators(checked_waveform(samples_g, "acceleration"), with_kurtosis=True)


def velocity_indicators(velocity_mm_s: np.ndarray) -> dict[str, float]:
    """Return rms, peak and crest_factor of a velocity waveform in mm/s."""
    return centred_indicators(checked_waveform(velocity_mm_s, "velocity"), with_kurtosis=False)


@lru_cache(maxsize=64)
def integration_kernel(n: int, sample_rate_hz: float, f_lo: float, f_hi: float) -> np.ndarray:
    """Frequency response g -> mm/s (1/(j*2*pi*f)) band-limited to [f_lo, f_hi], for rfft bins."""
    freqs = np.fft.rfftfreq(n, d=1.0 / sample_rate_hz)
    kernel = np.zeros(freqs.size, dtype=np.complex128)
    band = (freqs >= f_lo) & (freqs <= f_hi) & (freqs > 0.0)
    kernel[band] = STANDARD_GRAVITY_MM_S2 / (2j * np.pi * freqs[band])
    # Cached and shared between calls: make accidental in-place edits fail loudly.
    kernel.flags.writeable = False
    return kernel


def checked_band(f_lo: float, f_hi: float, sample_rate_hz: float) -> tuple[float, float]:
    """Validate an integration band and clip its upper edge to Nyquist."""
    lo, hi = float(f_lo), float(f_hi)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0.0 or hi <= lo:
        raise ValueError(f"invalid velocity band [{f_lo}, {f_hi}] Hz: need 0 < f_lo < f_hi")
    return lo, min(hi, sample_rate_hz / 2.0)


def velocity_waveform(
    samples_g: np.ndarray,
    sample_rate_hz: float,
    f_lo: float = VELOCITY_BAND_HZ[0],
    f_hi: float = VELOCITY_BAND_HZ[1],
) -> np.ndarray:
    """Integrate acceleration (g) to velocity (mm/s) in the frequency domain, band [f_lo, f_hi]."""
    x = checked_waveform(samples_g, "acceleration")
    fs = checked_rate(sample_rate_hz)
    lo, hi = checked_band(f_lo, f_hi, fs)
    # Frequency-domain integration avoids the drift of cumulative sums; the lower band edge is
    # what keeps 1/f from amplifying sensor noise near DC (ISO 10816-3 uses 10 Hz).
    return np.fft.irfft(np.fft.rfft(x) * integration_kernel(x.size, fs, lo, hi), x.size)
