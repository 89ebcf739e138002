"""Time-domain indicators of acceleration (g) and velocity (mm/s), and integration to velocity.

Acceleration RMS, peak, crest factor and kurtosis show impacting (bearing defects) early;
velocity RMS over the ISO band is what the zones of ``zones`` judge.

Velocity without leakage. A record is a few hundred milliseconds cut from a continuous
vibration, so a tone rarely fits it a whole number of times. Integrating it in the frequency
domain as it is treats the record as periodic: the jump at the wrap-around becomes a sawtooth
whose harmonics land in the band, and a 120.4 Hz tone read a velocity peak 60 % high. Here:

1. the mean is removed and the record is extended by its odd reflection ``[x, -x[::-1]]``,
   whose integral is the *even* reflection of the velocity: continuous at both joints, with
   the same integration constant in both halves, so no step reaches the band filter;
2. the extended record is integrated (1/(j 2 pi f)) through a band filter that is flat over
   the whole band and rolls off with a raised cosine *outside* it (to 0 at 0.6 x f_lo and at
   1.25 x f_hi or Nyquist): flat so any in-band tone keeps its amplitude, smooth so the
   filter's response to the joints dies out within about 2 / f_lo;
3. RMS is taken with a periodic Hann weighting (sum w v^2 / sum w), which discounts the
   joints, and the peak is read at least 2 / f_lo (at most a quarter record) from either end,
   refined between samples by the sinusoid through the largest three (a sampled sine at
   1000 Hz / 5120 Hz misses its crest by up to 18 %; the fit is exact for a tone).

Known answers (tests/monitoring/vibration/test_indicators.py): at 5120 Hz x 4096 samples, for
any tone from 2 lines above f_lo up to f_hi, RMS within 1 % and peak within 3 % of
A g / (2 pi f) (a sweep of 300 random tones and phases: 0.2 % and 1.9 % at worst); a tone
below 0.6 f_lo or above 1.25 f_hi contributes < 4 % of its own velocity (a few % is the
leakage of a tone of 4 cycles, not the filter). Records holding fewer than ~8 cycles of f_lo
(the 2 Hz band on 0.8 s, or 0.16 s records) keep the RMS within a few % but read the peak
less precisely.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from monitoring.vibration.checks import STANDARD_GRAVITY_MM_S2, checked_rate, checked_waveform
from monitoring.vibration.zones import VELOCITY_BAND_HZ

__all__ = [
    "VELOCITY_BAND_HZ",
    "acceleration_indicators",
    "band_velocity",
    "band_velocity_indicators",
    "centred_indicators",
    "checked_band",
    "velocity_indicators",
    "velocity_waveform",
]

#: The band filter falls from 1 at f_lo to 0 at this fraction of it (raised cosine).
LOW_ROLL_OFF = 0.6
#: ... and from 1 at f_hi to 0 at this multiple of it, or at Nyquist if lower.
HIGH_ROLL_OFF = 1.25
#: The peak is read this many periods of f_lo away from either end of the record.
PEAK_GUARD_PERIODS = 2.0


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
    """Plain rms, peak and crest_factor of a velocity waveform in mm/s (e.g. a velocity sensor).

    For velocity integrated from a short acceleration record use band_velocity_indicators,
    which discounts the record's ends.
    """
    return centred_indicators(checked_waveform(velocity_mm_s, "velocity"), with_kurtosis=False)


def checked_band(f_lo: float, f_hi: float, sample_rate_hz: float) -> tuple[float, float]:
    """Validate an integration band and clip its upper edge to Nyquist."""
    lo, hi = float(f_lo), float(f_hi)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0.0 or hi <= lo:
        raise ValueError(f"invalid velocity band [{f_lo}, {f_hi}] Hz: need 0 < f_lo < f_hi")
    hi = min(hi, sample_rate_hz / 2.0)
    if hi <= lo:
        raise ValueError(f"sample rate {sample_rate_hz:g} Hz cannot measure [{f_lo}, {f_hi}] Hz")
    return lo, hi


def band_gain(freqs: np.ndarray, f_lo: float, f_hi: float, nyquist: float) -> np.ndarray:
    """Band filter gain: 1 on [f_lo, f_hi], raised-cosine roll-offs outside it, 0 beyond."""
    gain = np.zeros(freqs.size)
    gain[(freqs >= f_lo) & (freqs <= f_hi)] = 1.0
    stop_lo = LOW_ROLL_OFF * f_lo
    low = (freqs > stop_lo) & (freqs < f_lo)
    gain[low] = 0.5 - 0.5 * np.cos(np.pi * (freqs[low] - stop_lo) / (f_lo - stop_lo))
    stop_hi = min(HIGH_ROLL_OFF * f_hi, nyquist)
    if stop_hi > f_hi:
        high = (freqs > f_hi) & (freqs < stop_hi)
        gain[high] = 0.5 + 0.5 * np.cos(np.pi * (freqs[high] - f_hi) / (stop_hi - f_hi))
    return gain


@lru_cache(maxsize=64)
def integration_kernel(n: int, sample_rate_hz: float, f_lo: float, f_hi: float) -> np.ndarray:
    """Frequency response g -> mm/s, 1/(j 2 pi f) times band_gain, for the rfft bins of n."""
    freqs = np.fft.rfftfreq(n, d=1.0 / sample_rate_hz)
    kernel = np.zeros(freqs.size, dtype=np.complex128)
    gain = band_gain(freqs, f_lo, f_hi, sample_rate_hz / 2.0)
    nonzero = (gain > 0.0) & (freqs > 0.0)
    kernel[nonzero] = gain[nonzero] * STANDARD_GRAVITY_MM_S2 / (2j * np.pi * freqs[nonzero])
    # Cached and shared between calls: make accidental in-place edits fail loudly.
    kernel.flags.writeable = False
    return kernel


def integrate_centred(x: np.ndarray, fs: float, lo: float, hi: float) -> np.ndarray:
    """Velocity (mm/s) of a zero-mean acceleration record (g) in [lo, hi] (module docstring)."""
    n = x.size
    extended = np.concatenate((x, -x[::-1]))
    kernel = integration_kernel(2 * n, fs, lo, hi)
    return np.fft.irfft(np.fft.rfft(extended) * kernel, 2 * n)[:n]


def velocity_waveform(
    samples_g: np.ndarray,
    sample_rate_hz: float,
    f_lo: float = VELOCITY_BAND_HZ[0],
    f_hi: float = VELOCITY_BAND_HZ[1],
) -> np.ndarray:
    """Integrate acceleration (g) to velocity (mm/s) in the band [f_lo, f_hi], without wrap-around.

    Within about 2 / f_lo of either end the waveform carries the filter's response to the
    record's ends; band_velocity_indicators accounts for that.
    """
    x = checked_waveform(samples_g, "acceleration")
    fs = checked_rate(sample_rate_hz)
    lo, hi = checked_band(f_lo, f_hi, fs)
    return integrate_centred(x, fs, lo, hi)


def band_velocity(
    samples_g: np.ndarray,
    sample_rate_hz: float,
    *,
    f_lo: float = VELOCITY_BAND_HZ[0],
    f_hi: float = VELOCITY_BAND_HZ[1],
) -> dict[str, float]:
    """rms, peak and crest_factor (mm/s) of the velocity of an acceleration record (g) in a band."""
    x = checked_waveform(samples_g, "acceleration")
    fs = checked_rate(sample_rate_hz)
    lo, hi = checked_band(f_lo, f_hi, fs)
    return centred_band_velocity(x, fs, lo, hi)


def centred_band_velocity(x: np.ndarray, fs: float, lo: float, hi: float) -> dict[str, float]:
    """band_velocity of an already checked, zero-mean record."""
    v = integrate_centred(x, fs, lo, hi)
    return band_velocity_indicators(v, sample_rate_hz=fs, f_lo=lo)


@lru_cache(maxsize=16)
def _hann_weights(n: int) -> np.ndarray:
    """Periodic Hann window normalised to sum 1 (exact mean of sin^2 for whole-cycle tones)."""
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)
    w /= w.sum()
    w.flags.writeable = False
    return w


def band_velocity_indicators(
    velocity_mm_s: np.ndarray, *, sample_rate_hz: float, f_lo: float
) -> dict[str, float]:
    """rms, peak and crest_factor (mm/s) of a velocity_waveform, discounting the record's ends.

    RMS is Hann-weighted (sum w v^2 / sum w: the same value for steady vibration, with the
    ends weighted towards zero); the peak is the largest |v| at least 2 / f_lo, and at most a
    quarter record, away from either end, refined between samples (_crest_between_samples).
    """
    v = np.asarray(velocity_mm_s, dtype=np.float64)
    n = v.size
    rms = math.sqrt(float(np.dot(_hann_weights(n), v * v)))
    guard = max(1, min(int(PEAK_GUARD_PERIODS * sample_rate_hz / f_lo), n // 4))
    inner = v[guard - 1 : n - guard + 1]
    k = int(np.argmax(np.abs(inner[1:-1]))) + 1
    sign = 1.0 if inner[k] >= 0.0 else -1.0
    left, centre, right = (sign * float(inner[j]) for j in (k - 1, k, k + 1))
    peak = _crest_between_samples(left, centre, right)
    return {"rms": rms, "peak": peak, "crest_factor": peak / rms if rms > 0.0 else 0.0}


def _crest_between_samples(left: float, centre: float, right: float) -> float:
    """Crest of the sinusoid through three equally spaced samples around a maximum.

    Samples of A cos(theta (k - d)) satisfy left + right = 2 cos(theta) centre, and
    right - left = 2 A sin(theta d) sin(theta), so A follows exactly for a tone of any
    frequency below Nyquist; for several tones it is a local fit, like a parabola's vertex.
    It is bounded by a crest half a sample away (centre / cos(theta / 2)) and never below centre.
    """
    if centre <= 0.0:
        return centre
    cos_theta = (left + right) / (2.0 * centre)
    if not -1.0 < cos_theta < 1.0:
        return centre  # flat or convex here: no crest between the samples
    sin_theta = math.sqrt(1.0 - cos_theta * cos_theta)
    amplitude = math.hypot(centre, (right - left) / (2.0 * sin_theta))
    return min(amplitude, centre / math.sqrt((1.0 + cos_theta) / 2.0))
