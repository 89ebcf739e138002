"""Envelope (demodulation) analysis: bearing defects found by the rate at which they strike.

A spall on a race is struck once per rolling element passing: each strike rings a structural
resonance at a few kHz, far above the 10-1000 Hz velocity band, so the velocity RMS hardly
moves while the defect grows. Band-passing the acceleration around the resonance and taking
its envelope (the magnitude of the analytic signal) turns the train of ring-downs into a
signal repeating at the strike rate, whose spectrum shows BPFO, BPFI, BSF or FTF and their
harmonics. Units: gE ("g envelope", the envelope of acceleration in g).

Method: one rfft of the mean-removed record (its ends tapered over 1/64 of the record, so the
jump at the wrap-around does not ring the band filter); the analytic signal is twice the
positive-frequency lines inside the band, the rest zero; its inverse FFT's magnitude is the
envelope. The envelope spectrum is the Hann amplitude spectrum (0-peak gE) of the envelope
minus its mean.

Match score of a defect type: the largest envelope-spectrum line within +-2 % (at least one
line) of each of its first 3 harmonics, divided by the noise floor (the median line of the
envelope spectrum up to the envelope's bandwidth), combined as a geometric mean. Noise scores
about 1-4 (the largest of a few noise lines over their median; wider windows at higher
harmonics find larger ones); a clear defect 15 and more (~40 for the test's impact train); one
harmonic that happens to fall on another defect's line cannot raise a score much (it counts
as a cube root).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from monitoring.vibration.checks import checked_rate, checked_waveform
from monitoring.vibration.spectrum import hann_amplitudes

#: Default resonance band: from 500 Hz (above running-speed harmonics and gear mesh of
#: most machines) up to 0.4 x the sample rate (below the sensor's anti-alias roll-off).
DEFAULT_BAND_LOW_HZ = 500.0
BAND_HIGH_FRACTION = 0.4
HARMONICS = 3
SEARCH_TOLERANCE = 0.02


def envelope_band(
    sample_rate_hz: float, band_hz: tuple[float, float] | None = None
) -> tuple[float, float]:
    """The band to demodulate: `band_hz` if given (checked), else 500 Hz to 0.4 x fs."""
    fs = checked_rate(sample_rate_hz)
    if band_hz is None:
        hi = BAND_HIGH_FRACTION * fs
        # Low sample rates (under 2500 Hz) keep the band an octave wide.
        lo = min(DEFAULT_BAND_LOW_HZ, hi / 2.0)
    else:
        lo, hi = float(band_hz[0]), float(band_hz[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or not 0.0 < lo < hi <= fs / 2.0:
        raise ValueError(f"invalid envelope band [{lo}, {hi}] Hz at {fs:g} Hz sample rate")
    return lo, hi


def _taper_length(n: int) -> int:
    return max(8, n // 64)


@lru_cache(maxsize=16)
def _taper(n: int) -> np.ndarray:
    """Tukey-style taper: half-cosine ramps over n/64 samples (at least 8) at either end."""
    m = _taper_length(n)
    w = np.ones(n)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(m) + 0.5) / m)
    w[:m], w[n - m :] = ramp, ramp[::-1]
    w.flags.writeable = False
    return w


def envelope_signal(
    x: np.ndarray, sample_rate_hz: float, band_hz: tuple[float, float]
) -> np.ndarray:
    """Envelope (gE) of a zero-mean acceleration record (g) band-passed to `band_hz`."""
    n = x.size
    spectrum = np.fft.rfft(x * _taper(n))
    freqs = np.fft.rfftfreq(n, d=1.0 / sample_rate_hz)
    analytic = np.zeros(n, dtype=np.complex128)
    band = (freqs >= band_hz[0]) & (freqs <= band_hz[1]) & (freqs > 0.0) & (freqs < freqs[-1])
    analytic[: freqs.size][band] = 2.0 * spectrum[band]
    return np.abs(np.fft.ifft(analytic))


def _harmonic_line(amps: np.ndarray, resolution_hz: float, target_hz: float) -> dict:
    """The largest line within SEARCH_TOLERANCE (at least one line) of target: its order-free
    {frequency_hz, amplitude}; the target with amplitude None when past the spectrum's end."""
    half = max(SEARCH_TOLERANCE * target_hz, resolution_hz)
    lo = max(1, math.ceil((target_hz - half) / resolution_hz))
    hi = math.floor((target_hz + half) / resolution_hz)
    if hi >= amps.size or hi < lo:
        return {"frequency_hz": target_hz, "amplitude": None}
    k = lo + int(np.argmax(amps[lo : hi + 1]))
    return {"frequency_hz": k * resolution_hz, "amplitude": float(amps[k])}


def defect_matches(
    amps: np.ndarray,
    resolution_hz: float,
    fault_frequencies: Mapping[str, float],
    *,
    noise_floor: float,
) -> dict[str, dict]:
    """Per defect type: frequency_hz, harmonics (gE each, None past the spectrum), the matched
    lines ([{order, frequency_hz, amplitude}] at 1x..3x) and the score."""
    out = {}
    for name, freq in fault_frequencies.items():
        lines = [
            {"order": h, **_harmonic_line(amps, resolution_hz, h * float(freq))}
            for h in range(1, HARMONICS + 1)
        ]
        harmonics = [line["amplitude"] for line in lines]
        found = [a for a in harmonics if a is not None]
        score = (
            math.exp(sum(math.log(max(a, 1e-300) / noise_floor) for a in found) / len(found))
            if found
            else None
        )
        out[name] = {"frequency_hz": float(freq), "harmonics": harmonics, "lines": lines,
                     "score": score}  # fmt: skip
    return out


def envelope_analysis(
    samples_g: np.ndarray,
    sample_rate_hz: float,
    *,
    fault_frequencies: Mapping[str, float] | None = None,
    band_hz: tuple[float, float] | None = None,
) -> dict:
    """Envelope indicators, spectrum and defect matches of an acceleration record in g.

    Returns {"band_hz": (lo, hi), "rms": gE, "peak": gE (of the envelope, ends excluded),
    "resolution_hz", "amplitudes": float32 envelope spectrum (0-peak gE), "noise_floor": gE,
    "defects": {name: {frequency_hz, harmonics: [gE x 3], score}}} with one entry per
    `fault_frequencies` item (e.g. bpfo, bpfi, bsf, ftf of the bearing at its shaft speed).
    """
    x = checked_waveform(samples_g, "acceleration")
    fs = checked_rate(sample_rate_hz)
    band = envelope_band(fs, band_hz)
    return envelope_of_centred(x, fs, band, fault_frequencies or {})


def envelope_of_centred(
    x: np.ndarray, fs: float, band: tuple[float, float], fault_frequencies: Mapping[str, float]
) -> dict:
    """envelope_analysis of an already checked, zero-mean record."""
    n = x.size
    env = envelope_signal(x, fs, band)
    m = _taper_length(n)
    interior = env[m : n - m]
    amps = hann_amplitudes(np.fft.rfft(env - env.mean()), n)
    resolution = fs / n
    # The envelope of a band B wide holds frequencies up to B: the floor is read there.
    top = min(amps.size - 1, max(2, int((band[1] - band[0]) / resolution)))
    noise_floor = max(float(np.median(amps[1 : top + 1])), 1e-12)
    return {
        "band_hz": band,
        "rms": math.sqrt(float(np.dot(interior, interior)) / interior.size),
        "peak": float(interior.max()),
        "resolution_hz": resolution,
        "amplitudes": amps,
        "noise_floor": noise_floor,
        "defects": defect_matches(amps, resolution, fault_frequencies, noise_floor=noise_floor),
    }
