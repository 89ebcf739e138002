"""Vibration signal processing: indicators, spectra, bearing frequencies and ISO 10816-3 zones.

Pure numpy by design (see docs/architecture.md): the ingestion service, the vendor simulator and
the `/fft` endpoint all share this module, and it must be testable and benchmarkable without
Django. Units: acceleration in g, velocity in mm/s, frequencies in Hz.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

#: Standard gravity in mm/s^2; converts g to the mm/s^2 needed for velocity in mm/s.
STANDARD_GRAVITY_MM_S2 = 9806.65

#: Shortest waveform worth analysing; below this spectra and kurtosis are meaningless.
MIN_SAMPLES = 16

#: Velocity band of ISO 10816-3 for machines running above 600 rpm.
VELOCITY_BAND_HZ = (10.0, 1000.0)

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

#: Waveform encodings of the vendor wire format (docs/vendor-api.md) mapped to numpy dtypes.
WAVEFORM_ENCODINGS: Mapping[str, np.dtype] = {
    "int16": np.dtype("<i2"),
    "float32": np.dtype("<f4"),
}

_INT16_FULL_SCALE = 32767


# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------


def _checked_waveform(samples: Any, what: str) -> np.ndarray:
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


def _checked_rate(sample_rate_hz: float) -> float:
    """Return the sample rate as float, or raise for non-positive or non-finite values."""
    fs = float(sample_rate_hz)
    if not math.isfinite(fs) or fs <= 0.0:
        raise ValueError(f"sample_rate_hz must be a positive finite number, got {sample_rate_hz!r}")
    return fs


# --------------------------------------------------------------------------------------------
# Time-domain indicators
# --------------------------------------------------------------------------------------------


def _centred_indicators(x: np.ndarray, *, with_kurtosis: bool) -> dict[str, float]:
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
    return _centred_indicators(_checked_waveform(samples_g, "acceleration"), with_kurtosis=True)


def velocity_indicators(velocity_mm_s: np.ndarray) -> dict[str, float]:
    """Return rms, peak and crest_factor of a velocity waveform in mm/s."""
    return _centred_indicators(_checked_waveform(velocity_mm_s, "velocity"), with_kurtosis=False)


# --------------------------------------------------------------------------------------------
# Integration to velocity
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _integration_kernel(n: int, sample_rate_hz: float, f_lo: float, f_hi: float) -> np.ndarray:
    """Frequency response g -> mm/s (1/(j*2*pi*f)) band-limited to [f_lo, f_hi], for rfft bins."""
    freqs = np.fft.rfftfreq(n, d=1.0 / sample_rate_hz)
    kernel = np.zeros(freqs.size, dtype=np.complex128)
    band = (freqs >= f_lo) & (freqs <= f_hi) & (freqs > 0.0)
    kernel[band] = STANDARD_GRAVITY_MM_S2 / (2j * np.pi * freqs[band])
    # Cached and shared between calls: make accidental in-place edits fail loudly.
    kernel.flags.writeable = False
    return kernel


def _checked_band(f_lo: float, f_hi: float, sample_rate_hz: float) -> tuple[float, float]:
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
    x = _checked_waveform(samples_g, "acceleration")
    fs = _checked_rate(sample_rate_hz)
    lo, hi = _checked_band(f_lo, f_hi, fs)
    # Frequency-domain integration avoids the drift of cumulative sums; the lower band edge is
    # what keeps 1/f from amplifying sensor noise near DC (ISO 10816-3 uses 10 Hz).
    return np.fft.irfft(np.fft.rfft(x) * _integration_kernel(x.size, fs, lo, hi), x.size)


# --------------------------------------------------------------------------------------------
# Spectrum
# --------------------------------------------------------------------------------------------


def _hann_amplitudes(spectrum: np.ndarray, n: int) -> np.ndarray:
    """Amplitude-corrected, one-sided Hann spectrum (float32) derived from an unwindowed rfft."""
    # A periodic Hann window is 0.5 - 0.25*e^(+j) - 0.25*e^(-j), so windowing is the three-tap
    # convolution Xw[k] = 0.5*X[k] - 0.25*(X[k-1] + X[k+1]). That lets the velocity integration
    # and the spectrum share a single rfft. Neighbours past either end come from the conjugate
    # symmetry X[n-k] = conj(X[k]) of a real signal's DFT.
    m = spectrum.size - 1
    ext = np.empty(m + 3, dtype=np.complex128)
    ext[1:-1] = spectrum
    ext[0] = np.conj(spectrum[1])
    ext[-1] = np.conj(spectrum[n - m - 1])
    windowed = 0.5 * ext[1:-1] - 0.25 * (ext[:-2] + ext[2:])
    # Amplitude correction: the periodic Hann window sums to n/2; one-sided doubling applies to
    # every bin except DC and (for even n) Nyquist, which have no mirror image.
    amps = np.abs(windowed) * (4.0 / n)
    amps[0] *= 0.5
    if n % 2 == 0:
        amps[-1] *= 0.5
    return amps.astype(np.float32)


def amplitude_spectrum(
    samples: np.ndarray, sample_rate_hz: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """One-sided Hann amplitude spectrum: (freqs Hz, float32 amplitudes, resolution Hz).

    A sine of amplitude A centred on a bin shows a peak of A; the DC line is ~0 because the
    offset is removed first.
    """
    x = _checked_waveform(samples, "input")
    fs = _checked_rate(sample_rate_hz)
    n = x.size
    amps = _hann_amplitudes(np.fft.rfft(x), n)
    return np.fft.rfftfreq(n, d=1.0 / fs), amps, fs / n


def _sinc(x: float) -> float:
    """Normalised sinc of a scalar, sin(pi x) / (pi x); np.sinc costs ~10 us a call here."""
    return 1.0 if x == 0.0 else math.sin(math.pi * x) / (math.pi * x)


def _refine_hann_peak(
    freqs: np.ndarray, amps: np.ndarray, k: int, resolution_hz: float
) -> tuple[float, float]:
    """Interpolated (frequency, amplitude) of a tone whose Hann spectrum peaks at bin k."""
    left, centre, right = float(amps[k - 1]), float(amps[k]), float(amps[k + 1])
    side, neighbour = (1.0, right) if right >= left else (-1.0, left)
    # For a Hann window the bin-offset delta of a single tone satisfies
    # neighbour/centre = (1 + delta) / (2 - delta), and the peak bin reads
    # A * sinc(delta) / (1 - delta^2); both are exact for one tone, clipped for noise.
    ratio = neighbour / centre if centre > 0.0 else 0.0
    delta = min(0.5, max(0.0, (2.0 * ratio - 1.0) / (ratio + 1.0)))
    amplitude = centre * (1.0 - delta * delta) / _sinc(delta)
    return float(freqs[k] + side * delta * resolution_hz), amplitude


def spectrum_peaks(
    freqs: np.ndarray,
    amps: np.ndarray,
    *,
    count: int = 5,
    running_speed_hz: float | None = None,
    min_separation_hz: float | None = None,
) -> list[dict[str, float | None]]:
    """Return the `count` largest local maxima as dicts of frequency_hz, amplitude and order.

    Peaks closer than `min_separation_hz` (default: 4 bins, the Hann main-lobe width) to a larger
    peak are dropped so one tone does not report its own skirt. Frequency and amplitude are
    refined from the larger neighbour bin with the exact Hann kernel, which removes the up to
    15 % scalloping loss of tones between bins (assumes an amplitude spectrum from
    `amplitude_spectrum`). `order` is frequency / running speed, or None when the speed is
    unknown.
    """
    f = np.asarray(freqs, dtype=np.float64)
    a = np.asarray(amps, dtype=np.float64)
    if f.shape != a.shape or f.ndim != 1:
        raise ValueError("freqs and amps must be 1-D arrays of the same length")
    if count < 1 or f.size < 3:
        return []
    resolution = float(f[1] - f[0])
    if min_separation_hz is None:
        min_separation_hz = 4.0 * resolution
    if running_speed_hz is not None and not running_speed_hz > 0.0:
        raise ValueError(f"running_speed_hz must be positive, got {running_speed_hz!r}")

    # Interior local maxima only: DC is not vibration and the last bin has no right neighbour.
    centre = a[1:-1]
    is_peak = (centre > a[:-2]) & (centre >= a[2:]) & (centre > 0.0)
    candidates = np.flatnonzero(is_peak) + 1
    if candidates.size == 0:
        return []
    candidates = candidates[np.argsort(a[candidates])[::-1]]

    chosen: list[int] = []
    for k in candidates:
        if all(abs(f[k] - f[j]) >= min_separation_hz for j in chosen):
            chosen.append(int(k))
            if len(chosen) == count:
                break

    peaks: list[dict[str, float | None]] = []
    for k in chosen:
        freq, amp = _refine_hann_peak(f, a, k, resolution)
        order = None if running_speed_hz is None else freq / float(running_speed_hz)
        peaks.append({"frequency_hz": freq, "amplitude": amp, "order": order})
    return peaks


# --------------------------------------------------------------------------------------------
# Bearing kinematics and ISO 10816-3
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Compact encodings
# --------------------------------------------------------------------------------------------


def encode_float32(arr: np.ndarray) -> bytes:
    """Encode an array as little-endian float32 bytes (storage format for spectra)."""
    return np.ascontiguousarray(arr, dtype="<f4").tobytes()


def decode_float32(data: bytes) -> np.ndarray:
    """Decode little-endian float32 bytes into a writable float32 array."""
    if len(data) % 4:
        raise ValueError(f"float32 payload of {len(data)} bytes is not a multiple of 4")
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


def encode_waveform(
    samples_g: np.ndarray, *, encoding: str = "int16", scale: float | None = None
) -> tuple[str, float | None]:
    """Encode a waveform in g for the wire; return (base64 data, scale in g per count or None).

    int16 uses a per-record scale (full scale = max |x| unless given) so quantisation noise
    stays ~90 dB below the largest sample; float32 is lossless for sensor data and carries
    NaN, which the simulator uses for broken records.
    """
    x = np.asarray(samples_g, dtype=np.float64).ravel()
    if encoding == "float32":
        return base64.b64encode(x.astype("<f4").tobytes()).decode("ascii"), scale
    if encoding != "int16":
        raise ValueError(f"unsupported waveform encoding {encoding!r}")
    if x.size and not np.isfinite(x).all():
        raise ValueError("int16 encoding cannot carry NaN or infinite samples; use float32")
    if scale is None:
        peak = float(np.abs(x).max()) if x.size else 0.0
        scale = peak / _INT16_FULL_SCALE if peak > 0.0 else 1.0 / _INT16_FULL_SCALE
    if not scale > 0.0:
        raise ValueError(f"int16 scale must be positive, got {scale!r}")
    counts = np.clip(np.rint(x / scale), -_INT16_FULL_SCALE, _INT16_FULL_SCALE).astype("<i2")
    return base64.b64encode(counts.tobytes()).decode("ascii"), float(scale)


def decode_waveform(
    data_b64: str,
    *,
    encoding: str,
    scale: float | None,
    n_samples: int | None = None,
) -> np.ndarray:
    """Decode a vendor waveform (base64 int16 x scale, or float32) into float64 samples in g."""
    dtype = WAVEFORM_ENCODINGS.get(encoding)
    if dtype is None:
        expected = ", ".join(sorted(WAVEFORM_ENCODINGS))
        raise ValueError(f"unsupported waveform encoding {encoding!r}; expected one of {expected}")
    try:
        raw = base64.b64decode(data_b64, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise ValueError(f"waveform data is not valid base64: {exc}") from None
    if len(raw) % dtype.itemsize:
        raise ValueError(
            f"{encoding} waveform payload of {len(raw)} bytes is not a multiple of {dtype.itemsize}"
        )
    samples = np.frombuffer(raw, dtype=dtype).astype(np.float64)
    if n_samples is not None and samples.size != n_samples:
        raise ValueError(f"waveform declares {n_samples} samples but carries {samples.size}")
    if encoding == "int16":
        if scale is None or not (math.isfinite(scale) and scale > 0.0):
            raise ValueError(f"int16 waveform needs a positive scale, got {scale!r}")
        samples *= scale
    elif scale is not None:
        # float32 payloads are already in g; a scale, if sent, is an extra multiplier.
        if not (math.isfinite(scale) and scale > 0.0):
            raise ValueError(f"waveform scale must be positive, got {scale!r}")
        samples *= scale
    return samples


# --------------------------------------------------------------------------------------------
# One reading
# --------------------------------------------------------------------------------------------


def compute_measurement(
    samples_g: np.ndarray,
    sample_rate_hz: float,
    *,
    group: int,
    foundation: str,
    running_speed_hz: float | None = None,
    peak_count: int = 5,
    f_lo: float = VELOCITY_BAND_HZ[0],
    f_hi: float = VELOCITY_BAND_HZ[1],
) -> dict[str, Any]:
    """Compute everything stored for one reading from its acceleration waveform in g.

    Returns {"acceleration": {rms, peak, crest_factor, kurtosis} (g), "velocity": {rms, peak,
    crest_factor} (mm/s), "spectrum": {resolution_hz, n_lines, amplitudes (float32, g)},
    "peaks": [{frequency_hz, amplitude, order}], "status": ISO 10816-3 status}. Raises
    ValueError (with a reason worth recording) for empty, non-finite or flat waveforms.
    """
    x = _checked_waveform(samples_g, "acceleration")
    fs = _checked_rate(sample_rate_hz)
    lo, hi = _checked_band(f_lo, f_hi, fs)
    n = x.size
    # One forward FFT feeds both the velocity integration and the Hann spectrum.
    spectrum = np.fft.rfft(x)
    velocity = np.fft.irfft(spectrum * _integration_kernel(n, fs, lo, hi), n)
    velocity_rms = math.sqrt(float(np.dot(velocity, velocity)) / n)
    if velocity_rms == 0.0:
        raise ValueError(f"acceleration waveform has no content in the {lo:g}-{hi:g} Hz band")
    velocity_peak = float(np.abs(velocity).max())
    amps = _hann_amplitudes(spectrum, n)
    resolution = fs / n
    freqs = np.arange(amps.size, dtype=np.float64) * resolution
    return {
        "acceleration": _centred_indicators(x, with_kurtosis=True),
        "velocity": {
            "rms": velocity_rms,
            "peak": velocity_peak,
            "crest_factor": velocity_peak / velocity_rms,
        },
        "spectrum": {"resolution_hz": resolution, "n_lines": int(amps.size), "amplitudes": amps},
        "peaks": spectrum_peaks(freqs, amps, count=peak_count, running_speed_hz=running_speed_hz),
        "status": iso10816_zone(velocity_rms, group=group, foundation=foundation),
    }
