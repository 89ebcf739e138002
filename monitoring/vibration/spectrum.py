"""The acceleration amplitude spectrum (Hann window, 0-peak g) and its largest peaks.

Amplitudes are corrected for the window so a sine of amplitude A reads A; peaks are refined
between bins with the exact Hann kernel and expressed as orders of the running speed, which is
how an analyst tells imbalance (1x), misalignment (2x) and bearing tones apart.
"""

from __future__ import annotations

import math

import numpy as np

from monitoring.vibration.checks import STANDARD_GRAVITY_MM_S2, checked_rate, checked_waveform


def hann_amplitudes(spectrum: np.ndarray, n: int) -> np.ndarray:
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
    x = checked_waveform(samples, "input")
    fs = checked_rate(sample_rate_hz)
    n = x.size
    amps = hann_amplitudes(np.fft.rfft(x), n)
    return np.fft.rfftfreq(n, d=1.0 / fs), amps, fs / n


def velocity_spectrum(
    freqs: np.ndarray, amplitudes_g: np.ndarray, *, f_lo: float, f_hi: float | None = None
) -> np.ndarray:
    """Velocity spectrum in mm/s RMS per line from an acceleration spectrum in 0-peak g.

    Each line a of frequency f becomes a g / (2 pi f) / sqrt(2): a sine's 0-peak acceleration
    to its RMS velocity, the unit ISO zones and analysts read. Lines below `f_lo` (and above
    `f_hi`, if given) are 0: dividing by f would blow up the noise near DC into towering,
    meaningless lines.
    """
    f = np.asarray(freqs, dtype=np.float64)
    a = np.asarray(amplitudes_g, dtype=np.float64)
    if f.shape != a.shape or f.ndim != 1:
        raise ValueError("freqs and amplitudes must be 1-D arrays of the same length")
    if not f_lo > 0.0:
        raise ValueError(f"f_lo must be positive, got {f_lo!r}")
    keep = f >= f_lo
    if f_hi is not None:
        keep &= f <= f_hi
    out = np.zeros(f.size)
    out[keep] = a[keep] * STANDARD_GRAVITY_MM_S2 / (2.0 * np.pi * f[keep] * math.sqrt(2.0))
    return out


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
