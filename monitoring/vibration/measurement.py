"""Everything stored for one reading, computed from its acceleration waveform in one pass.

Ingestion calls this once per vendor record, so it checks the waveform once and shares work:
one rfft feeds the Hann spectrum (left out by ingestion), one (of the record and its
reflection) the velocity integration, and the envelope, when asked for, band-passes its own
tapered copy. A quarter of a millisecond for 4,096 samples, half with the envelope
(bench/bench_signal.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from monitoring.vibration.checks import checked_rate, checked_waveform
from monitoring.vibration.envelope import envelope_band, envelope_of_centred
from monitoring.vibration.indicators import centred_band_velocity, centred_indicators
from monitoring.vibration.spectrum import hann_amplitudes, spectrum_peaks
from monitoring.vibration.zones import band_within_nyquist, evaluation_zone, velocity_band


def _band(fs: float, running_speed_hz: float | None, f_lo: float | None, f_hi: float | None):
    """The ISO velocity band for the shaft speed, or the given edges (each within Nyquist)."""
    if f_lo is None and f_hi is None:
        rpm = None if running_speed_hz is None else 60.0 * running_speed_hz
        return velocity_band(shaft_rpm=rpm, sample_rate_hz=fs)
    default = velocity_band(shaft_rpm=None, sample_rate_hz=fs).nominal_hz
    nominal = (default[0] if f_lo is None else f_lo, default[1] if f_hi is None else f_hi)
    return band_within_nyquist(nominal, sample_rate_hz=fs)


def _spectrum(x: np.ndarray, fs: float, peak_count: int, running_speed_hz: float | None) -> dict:
    """The Hann amplitude spectrum of a checked record and its largest peaks."""
    n = x.size
    amps = hann_amplitudes(np.fft.rfft(x), n)
    resolution = fs / n
    freqs = np.arange(amps.size, dtype=np.float64) * resolution
    return {
        "spectrum": {"resolution_hz": resolution, "n_lines": int(amps.size), "amplitudes": amps},
        "peaks": spectrum_peaks(freqs, amps, count=peak_count, running_speed_hz=running_speed_hz),
    }


def compute_measurement(
    samples_g: np.ndarray,
    sample_rate_hz: float,
    *,
    group: int,
    foundation: str,
    running_speed_hz: float | None = None,
    peak_count: int = 5,
    f_lo: float | None = None,
    f_hi: float | None = None,
    fault_frequencies: Mapping[str, float] | None = None,
    with_envelope: bool = False,
    with_spectrum: bool = True,
) -> dict[str, Any]:
    """Compute everything stored for one reading from its acceleration waveform in g.

    The velocity band is the ISO one for the shaft speed (`running_speed_hz`; 10-1000 Hz above
    600 rpm or when unknown, 2-1000 Hz from 120 to 600 rpm) unless `f_lo` and `f_hi` give it.

    Returns {"acceleration": {rms, peak, crest_factor, kurtosis} (g), "velocity": {rms, peak,
    crest_factor} (mm/s, in the band), "velocity_band_hz": (lo, hi) used, "band_limited":
    True if Nyquist cut the band's upper edge, "spectrum": {resolution_hz, n_lines, amplitudes
    (float32, 0-peak g)}, "peaks": [{frequency_hz, amplitude, order}], "status": zone status,
    "zone": "A".."D", "zone_standard": "ISO 20816-3:2022", "envelope": envelope_analysis's
    result (defect matches for `fault_frequencies`) with `with_envelope`, else None}. The
    envelope is opt-in: it costs about as much again as the rest (bench/bench_signal.py).
    Without `with_spectrum` (ingestion, which stores the waveform instead), "spectrum" is None
    and "peaks" empty.
    Raises ValueError (with a reason worth recording) for empty, non-finite or flat waveforms.
    """
    x = checked_waveform(samples_g, "acceleration")
    fs = checked_rate(sample_rate_hz)
    band = _band(fs, running_speed_hz, f_lo, f_hi)
    velocity = centred_band_velocity(x, fs, band.f_lo, band.f_hi)
    if velocity["rms"] == 0.0:
        raise ValueError(
            f"acceleration waveform has no content in the {band.f_lo:g}-{band.f_hi:g} Hz band"
        )
    zone = evaluation_zone(velocity["rms"], group=group, foundation=foundation)
    spectrum = (
        _spectrum(x, fs, peak_count, running_speed_hz)
        if with_spectrum
        else {"spectrum": None, "peaks": []}
    )
    envelope = None
    if with_envelope:
        envelope = envelope_of_centred(x, fs, envelope_band(fs), fault_frequencies or {})
    return {
        "acceleration": centred_indicators(x, with_kurtosis=True),
        "velocity": velocity,
        "velocity_band_hz": band.hz,
        "band_limited": band.band_limited,
        **spectrum,
        "status": zone["status"],
        "zone": zone["zone"],
        "zone_standard": zone["standard"],
        "envelope": envelope,
    }
