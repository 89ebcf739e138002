"""Known-answer tests of monitoring.vibration.indicators: acceleration and velocity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitoring.vibration.checks import STANDARD_GRAVITY_MM_S2
from monitoring.vibration.indicators import (
    acceleration_indicators,
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


@pytest.mark.parametrize(("amplitude_g", "freq_hz"), [(0.5, 40.0), (1.0, 160.0), (2.0, 640.0)])
def test_velocity_of_acceleration_sine(amplitude_g: float, freq_hz: float) -> None:
    expected_peak = amplitude_g * STANDARD_GRAVITY_MM_S2 / (2.0 * math.pi * freq_hz)
    v = velocity_waveform(sine(amplitude_g, freq_hz), FS)
    ind = velocity_indicators(v)
    assert ind["peak"] == pytest.approx(expected_peak, rel=1e-3)
    assert ind["rms"] == pytest.approx(expected_peak / math.sqrt(2), rel=1e-6)
    assert ind["crest_factor"] == pytest.approx(math.sqrt(2), rel=1e-3)


def test_velocity_band_removes_content_below_10_hz() -> None:
    v = velocity_waveform(sine(1.0, 5.0) + sine(0.1, 100.0), FS)
    expected_rms = 0.1 * STANDARD_GRAVITY_MM_S2 / (2.0 * math.pi * 100.0) / math.sqrt(2)
    # Without the band limit the 5 Hz tone alone would give ~220 mm/s RMS.
    assert velocity_indicators(v)["rms"] == pytest.approx(expected_rms, rel=1e-6)


def test_velocity_band_upper_edge() -> None:
    v = velocity_waveform(sine(1.0, 1500.0) + sine(0.1, 100.0), FS)
    expected_rms = 0.1 * STANDARD_GRAVITY_MM_S2 / (2.0 * math.pi * 100.0) / math.sqrt(2)
    assert velocity_indicators(v)["rms"] == pytest.approx(expected_rms, rel=1e-6)


def test_velocity_band_validation() -> None:
    with pytest.raises(ValueError, match="band"):
        velocity_waveform(sine(1.0, 100.0), FS, f_lo=100.0, f_hi=10.0)
    with pytest.raises(ValueError, match="sample_rate_hz"):
        velocity_waveform(sine(1.0, 100.0), 0.0)
