"""Known-answer tests of monitoring.vibration.spectrum: Hann amplitudes, peaks and orders."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitoring.vibration.checks import STANDARD_GRAVITY_MM_S2
from monitoring.vibration.spectrum import amplitude_spectrum, spectrum_peaks, velocity_spectrum
from tests.monitoring.vibration.support import FS, N, sine


@pytest.mark.parametrize(("amplitude", "freq_hz"), [(0.3, 100.0), (1.7, 1250.0)])
def test_spectrum_peak_of_bin_centred_sine(amplitude: float, freq_hz: float) -> None:
    freqs, amps, resolution = amplitude_spectrum(sine(amplitude, freq_hz), FS)
    assert resolution == pytest.approx(FS / N)
    assert amps.dtype == np.float32
    assert freqs.size == amps.size == N // 2 + 1
    k = int(np.argmax(amps))
    assert freqs[k] == pytest.approx(freq_hz)
    assert float(amps[k]) == pytest.approx(amplitude, rel=1e-4)
    # Hann leakage is confined to the two neighbouring bins.
    far = np.delete(amps, [k - 1, k, k + 1])
    assert float(far.max()) < 1e-4 * amplitude


def test_spectrum_matches_explicit_hann_window() -> None:
    x = np.random.default_rng(3).standard_normal(N - 1)  # odd length exercises the edge case
    _, amps, _ = amplitude_spectrum(x, FS)
    n = x.size
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)
    ref = np.abs(np.fft.rfft((x - x.mean()) * w)) * 2.0 / w.sum()
    ref[0] /= 2.0
    np.testing.assert_allclose(amps, ref, rtol=1e-5, atol=1e-7)


def test_spectrum_peaks_with_orders_and_interpolation() -> None:
    running_hz = 24.7  # 1482 rpm, between bins
    x = sine(0.05, running_hz) + sine(0.02, 2 * running_hz) + sine(0.4, 1000.0)
    freqs, amps, _ = amplitude_spectrum(x, FS)
    peaks = spectrum_peaks(freqs, amps, count=3, running_speed_hz=running_hz)
    assert [round(p["frequency_hz"]) for p in peaks] == [1000, 25, 49]
    assert peaks[1]["order"] == pytest.approx(1.0, abs=0.01)
    assert peaks[2]["order"] == pytest.approx(2.0, abs=0.01)
    # Scalloping corrected: amplitudes within 1 % although the tones fall between bins.
    assert peaks[1]["amplitude"] == pytest.approx(0.05, rel=0.01)
    assert peaks[2]["amplitude"] == pytest.approx(0.02, rel=0.01)
    unknown = spectrum_peaks(freqs, amps, count=1)
    assert unknown[0]["order"] is None


def test_spectrum_peaks_min_separation_drops_skirts() -> None:
    freqs, amps, _ = amplitude_spectrum(sine(1.0, 100.0) + sine(0.5, 105.0), FS)
    close = spectrum_peaks(freqs, amps, count=2, min_separation_hz=1.0)
    apart = spectrum_peaks(freqs, amps, count=2, min_separation_hz=10.0)
    assert [p["frequency_hz"] for p in close] == pytest.approx([100.0, 105.0])
    assert apart[0]["frequency_hz"] == pytest.approx(100.0)
    assert abs(apart[1]["frequency_hz"] - 100.0) >= 10.0


# -- velocity spectrum ------------------------------------------------------------------------


def test_velocity_spectrum_in_mm_s_rms() -> None:
    # 0.2 g at 120 Hz: 0.2 * 9806.65 / (2 pi 120) / sqrt 2 = 1.8393 mm/s RMS.
    freqs, amps, _ = amplitude_spectrum(sine(0.2, 120.0) + sine(0.5, 5.0), FS)
    velocity = velocity_spectrum(freqs, amps, f_lo=10.0)
    k = int(np.argmax(velocity))
    assert freqs[k] == pytest.approx(120.0)
    assert velocity[k] == pytest.approx(1.8393, rel=1e-3)
    assert velocity[k] == pytest.approx(
        0.2 * STANDARD_GRAVITY_MM_S2 / (2 * math.pi * 120.0) / math.sqrt(2), rel=1e-4
    )
    assert not velocity[freqs < 10.0].any()  # the 5 Hz line and DC are zeroed, not amplified


def test_velocity_spectrum_upper_edge_and_validation() -> None:
    freqs = np.arange(5) * 250.0
    amps = np.ones(5)
    out = velocity_spectrum(freqs, amps, f_lo=10.0, f_hi=600.0)
    assert out[0] == out[3] == out[4] == 0.0
    assert out[1] == pytest.approx(STANDARD_GRAVITY_MM_S2 / (2 * math.pi * 250.0 * math.sqrt(2)))
    with pytest.raises(ValueError, match="f_lo"):
        velocity_spectrum(freqs, amps, f_lo=0.0)
    with pytest.raises(ValueError, match="same length"):
        velocity_spectrum(freqs, amps[:3], f_lo=10.0)
