"""Known-answer tests of monitoring.vibration.indicators: acceleration and velocity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitoring.vibration.checks import STANDARD_GRAVITY_MM_S2
from monitoring.vibration.indicators import (
    acceleration_indicators,
    band_velocity,
    band_velocity_indicators,
    velocity_indicators,
    velocity_waveform,
)
from monitoring.vibration.measurement import compute_measurement
from tests.monitoring.vibration.support import FS, N, sine


def test_sine_indicators() -> None:
    ind = acceleration_indicators(sine(0.8, 160.0))
    assert ind["rms"] == pytest.approx(0.8 / math.sqrt(2), rel=1e-6)
    assert ind["peak"] == pytest.approx(0.8, rel=1e-3)
    assert ind["crest_factor"] == pytest.approx(math.sqrt(2), rel=1e-3)
    assert ind["kurtosis"] == pytest.approx(1.5, rel=1e-3)


def test_dc_offset_is_removed() -> None:
    with_offset = acceleration_indicators(sine(0.8, 160.0) + 2.5)
    without = acceleration_indicators(sine(0.8, 160.0))
    for key in ("rms", "peak", "crest_factor", "kurtosis"):
        assert with_offset[key] == pytest.approx(without[key], rel=1e-9)


def test_gaussian_noise_kurtosis_is_three() -> None:
    noise = np.random.default_rng(42).standard_normal(200_000)
    ind = acceleration_indicators(noise)
    assert ind["kurtosis"] == pytest.approx(3.0, abs=0.05)
    assert ind["rms"] == pytest.approx(1.0, rel=0.01)


def test_impulsive_signal_has_high_kurtosis_and_crest_factor() -> None:
    x = np.random.default_rng(1).normal(0.0, 0.01, N)
    x[::200] += 1.0
    ind = acceleration_indicators(x)
    assert ind["kurtosis"] > 10.0
    assert ind["crest_factor"] > 5.0


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (np.array([]), "empty"),
        (np.full(N, np.nan), "NaN"),
        (np.r_[np.zeros(N - 1), np.inf], "NaN or infinite"),
        (np.zeros(N), "flat"),
        (np.full(N, 0.7), "flat"),
        (np.ones(8), "at least"),
        (np.ones((2, N)), "one-dimensional"),
    ],
)
def test_invalid_waveforms_raise(samples: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        acceleration_indicators(samples)
    with pytest.raises(ValueError, match=message):
        compute_measurement(samples, FS, group=2, foundation="rigid")


def test_single_nan_sample_is_rejected() -> None:
    x = sine(1.0, 100.0)
    x[1000] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        acceleration_indicators(x)


def _expected_peak(amplitude_g: float, freq_hz: float) -> float:
    """Velocity amplitude (mm/s) of an acceleration sine: A g / (2 pi f)."""
    return amplitude_g * STANDARD_GRAVITY_MM_S2 / (2.0 * math.pi * freq_hz)


def _band_velocity(x: np.ndarray, fs: float = FS, f_lo: float = 10.0, f_hi: float = 1000.0):
    return band_velocity(x, fs, f_lo=f_lo, f_hi=f_hi)


@pytest.mark.parametrize(("amplitude_g", "freq_hz"), [(0.5, 40.0), (1.0, 160.0), (2.0, 640.0)])
def test_velocity_of_bin_centred_sine(amplitude_g: float, freq_hz: float) -> None:
    expected_peak = _expected_peak(amplitude_g, freq_hz)
    ind = _band_velocity(sine(amplitude_g, freq_hz))
    assert ind["peak"] == pytest.approx(expected_peak, rel=2e-3)
    assert ind["rms"] == pytest.approx(expected_peak / math.sqrt(2), rel=1e-3)
    assert ind["crest_factor"] == pytest.approx(math.sqrt(2), rel=3e-3)


# Bin-centred or not, near the band edges (10 and 1000 Hz) and in between: the wrap-around of
# frequency-domain integration used to read 120.4 Hz with a crest factor of 2.2 (peak +60 %)
# and 800.55 Hz +91 %. Lines are 1.25 Hz apart; 12.3 Hz is under 2 lines from the 10 Hz edge.
OFF_BIN_FREQUENCIES = [12.3, 13.7, 24.7, 49.4, 120.4, 231.1, 499.9, 640.0, 800.55, 951.3, 987.6]


@pytest.mark.parametrize("freq_hz", OFF_BIN_FREQUENCIES)
def test_velocity_of_any_tone_in_band_is_leak_free(freq_hz: float) -> None:
    expected_peak = _expected_peak(0.2, freq_hz)
    for phase in np.linspace(0.0, 2.0 * math.pi, 7, endpoint=False):
        ind = _band_velocity(sine(0.2, freq_hz, phase))
        assert ind["rms"] == pytest.approx(expected_peak / math.sqrt(2), rel=0.01), phase
        assert ind["peak"] == pytest.approx(expected_peak, rel=0.03), phase
        assert ind["crest_factor"] == pytest.approx(math.sqrt(2), rel=0.03), phase


@pytest.mark.parametrize(("fs", "freq_hz"), [(2560.0, 12.3), (2560.0, 777.7), (10240.0, 120.4)])
def test_velocity_is_leak_free_at_other_sample_rates(fs: float, freq_hz: float) -> None:
    t = np.arange(N) / fs
    expected_peak = _expected_peak(0.2, freq_hz)
    ind = _band_velocity(0.2 * np.sin(2.0 * np.pi * freq_hz * t + 0.7), fs=fs)
    assert ind["rms"] == pytest.approx(expected_peak / math.sqrt(2), rel=0.01)
    assert ind["peak"] == pytest.approx(expected_peak, rel=0.03)


def test_low_speed_band_reads_a_tone_below_10_hz() -> None:
    # 352 rpm: 1x at 5.87 Hz, inside the 2-1000 Hz band; the record holds 4.7 of its cycles,
    # so the RMS holds to 1 % and the peak (read a quarter record from the ends) to ~6 %.
    expected_peak = _expected_peak(0.2, 5.87)
    for phase in np.linspace(0.0, 2.0 * math.pi, 7, endpoint=False):
        ind = _band_velocity(sine(0.2, 5.87, phase), f_lo=2.0)
        assert ind["rms"] == pytest.approx(expected_peak / math.sqrt(2), rel=0.01)
        assert ind["peak"] == pytest.approx(expected_peak, rel=0.08)


@pytest.mark.parametrize("freq_hz", [2.0, 3.3, 4.4, 5.0, 5.3])
def test_tones_below_the_band_are_rejected(freq_hz: float) -> None:
    # Gain 0 below 6 Hz; what remains is the leakage of a tone of a few cycles in 0.8 s.
    own = _expected_peak(1.0, freq_hz) / math.sqrt(2)
    for phase in (0.0, 1.0, 2.0):
        assert _band_velocity(sine(1.0, freq_hz, phase))["rms"] < 0.04 * own


@pytest.mark.parametrize("freq_hz", [1300.0, 1500.0, 2000.0, 2500.3])
def test_tones_above_the_band_are_rejected(freq_hz: float) -> None:
    own = _expected_peak(1.0, freq_hz) / math.sqrt(2)
    assert _band_velocity(sine(1.0, freq_hz, 0.4))["rms"] < 1e-3 * own


def test_velocity_band_removes_content_below_10_hz() -> None:
    ind = _band_velocity(sine(0.1, 5.0) + sine(0.1, 100.0))
    expected_rms = _expected_peak(0.1, 100.0) / math.sqrt(2)
    assert ind["rms"] == pytest.approx(expected_rms, rel=0.01)


def test_velocity_band_upper_edge() -> None:
    ind = _band_velocity(sine(1.0, 1500.0) + sine(0.1, 100.0))
    expected_rms = _expected_peak(0.1, 100.0) / math.sqrt(2)
    assert ind["rms"] == pytest.approx(expected_rms, rel=1e-3)


def test_band_velocity_rms_of_noise_matches_plain_rms() -> None:
    # Hann weighting only discounts the ends: for steady vibration it reads the plain RMS.
    x = np.random.default_rng(4).standard_normal(64 * N) * 0.1
    v = velocity_waveform(x, FS)
    weighted = band_velocity_indicators(v, sample_rate_hz=FS, f_lo=10.0)["rms"]
    assert weighted == pytest.approx(velocity_indicators(v)["rms"], rel=0.01)


def test_velocity_band_validation() -> None:
    with pytest.raises(ValueError, match="band"):
        velocity_waveform(sine(1.0, 100.0), FS, f_lo=100.0, f_hi=10.0)
    with pytest.raises(ValueError, match="sample_rate_hz"):
        velocity_waveform(sine(1.0, 100.0), 0.0)
