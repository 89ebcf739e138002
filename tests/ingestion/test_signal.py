"""Known-answer tests of ingestion.signal (pure numpy; no Django needed)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from ingestion import signal
from ingestion.signal import (
    ISO10816_3_BOUNDARIES_MM_S,
    ISO_ZONE_STATUSES,
    STANDARD_GRAVITY_MM_S2,
)

FS = 5120.0
N = 4096
T = np.arange(N) / FS  # resolution FS / N = 1.25 Hz, so multiples of 1.25 Hz are bin-centred


def sine(amplitude: float, freq_hz: float, phase: float = 0.0) -> np.ndarray:
    """A sine sampled on the common time base (crests fall on samples for fs/f in 4Z)."""
    return amplitude * np.sin(2.0 * np.pi * freq_hz * T + phase)


# -- acceleration indicators ----------------------------------------------------------------


def test_sine_indicators() -> None:
    ind = signal.acceleration_indicators(sine(0.8, 160.0))
    assert ind["rms"] == pytest.approx(0.8 / math.sqrt(2), rel=1e-6)
    assert ind["peak"] == pytest.approx(0.8, rel=1e-3)
    assert ind["crest_factor"] == pytest.approx(math.sqrt(2), rel=1e-3)
    assert ind["kurtosis"] == pytest.approx(1.5, rel=1e-3)


def test_dc_offset_is_removed() -> None:
    with_offset = signal.acceleration_indicators(sine(0.8, 160.0) + 2.5)
    without = signal.acceleration_indicators(sine(0.8, 160.0))
    for key in ("rms", "peak", "crest_factor", "kurtosis"):
        assert with_offset[key] == pytest.approx(without[key], rel=1e-9)


def test_gaussian_noise_kurtosis_is_three() -> None:
    noise = np.random.default_rng(42).standard_normal(200_000)
    ind = signal.acceleration_indicators(noise)
    assert ind["kurtosis"] == pytest.approx(3.0, abs=0.05)
    assert ind["rms"] == pytest.approx(1.0, rel=0.01)


def test_impulsive_signal_has_high_kurtosis_and_crest_factor() -> None:
    x = np.random.default_rng(1).normal(0.0, 0.01, N)
    x[::200] += 1.0
    ind = signal.acceleration_indicators(x)
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
        signal.acceleration_indicators(samples)
    with pytest.raises(ValueError, match=message):
        signal.compute_measurement(samples, FS, group=2, foundation="rigid")


def test_single_nan_sample_is_rejected() -> None:
    x = sine(1.0, 100.0)
    x[1000] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        signal.acceleration_indicators(x)


# -- velocity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("amplitude_g", "freq_hz"), [(0.5, 40.0), (1.0, 160.0), (2.0, 640.0)])
def test_velocity_of_acceleration_sine(amplitude_g: float, freq_hz: float) -> None:
    expected_peak = amplitude_g * STANDARD_GRAVITY_MM_S2 / (2.0 * math.pi * freq_hz)
    v = signal.velocity_waveform(sine(amplitude_g, freq_hz), FS)
    ind = signal.velocity_indicators(v)
    assert ind["peak"] == pytest.approx(expected_peak, rel=1e-3)
    assert ind["rms"] == pytest.approx(expected_peak / math.sqrt(2), rel=1e-6)
    assert ind["crest_factor"] == pytest.approx(math.sqrt(2), rel=1e-3)


def test_velocity_band_removes_content_below_10_hz() -> None:
    v = signal.velocity_waveform(sine(1.0, 5.0) + sine(0.1, 100.0), FS)
    expected_rms = 0.1 * STANDARD_GRAVITY_MM_S2 / (2.0 * math.pi * 100.0) / math.sqrt(2)
    # Without the band limit the 5 Hz tone alone would give ~220 mm/s RMS.
    assert signal.velocity_indicators(v)["rms"] == pytest.approx(expected_rms, rel=1e-6)


def test_velocity_band_upper_edge() -> None:
    v = signal.velocity_waveform(sine(1.0, 1500.0) + sine(0.1, 100.0), FS)
    expected_rms = 0.1 * STANDARD_GRAVITY_MM_S2 / (2.0 * math.pi * 100.0) / math.sqrt(2)
    assert signal.velocity_indicators(v)["rms"] == pytest.approx(expected_rms, rel=1e-6)


def test_velocity_band_validation() -> None:
    with pytest.raises(ValueError, match="band"):
        signal.velocity_waveform(sine(1.0, 100.0), FS, f_lo=100.0, f_hi=10.0)
    with pytest.raises(ValueError, match="sample_rate_hz"):
        signal.velocity_waveform(sine(1.0, 100.0), 0.0)


# -- spectrum ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("amplitude", "freq_hz"), [(0.3, 100.0), (1.7, 1250.0)])
def test_spectrum_peak_of_bin_centred_sine(amplitude: float, freq_hz: float) -> None:
    freqs, amps, resolution = signal.amplitude_spectrum(sine(amplitude, freq_hz), FS)
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
    _, amps, _ = signal.amplitude_spectrum(x, FS)
    n = x.size
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)
    ref = np.abs(np.fft.rfft((x - x.mean()) * w)) * 2.0 / w.sum()
    ref[0] /= 2.0
    np.testing.assert_allclose(amps, ref, rtol=1e-5, atol=1e-7)


def test_spectrum_peaks_with_orders_and_interpolation() -> None:
    running_hz = 24.7  # 1482 rpm, between bins
    x = sine(0.05, running_hz) + sine(0.02, 2 * running_hz) + sine(0.4, 1000.0)
    freqs, amps, _ = signal.amplitude_spectrum(x, FS)
    peaks = signal.spectrum_peaks(freqs, amps, count=3, running_speed_hz=running_hz)
    assert [round(p["frequency_hz"]) for p in peaks] == [1000, 25, 49]
    assert peaks[1]["order"] == pytest.approx(1.0, abs=0.01)
    assert peaks[2]["order"] == pytest.approx(2.0, abs=0.01)
    # Scalloping corrected: amplitudes within 1 % although the tones fall between bins.
    assert peaks[1]["amplitude"] == pytest.approx(0.05, rel=0.01)
    assert peaks[2]["amplitude"] == pytest.approx(0.02, rel=0.01)
    unknown = signal.spectrum_peaks(freqs, amps, count=1)
    assert unknown[0]["order"] is None


def test_spectrum_peaks_min_separation_drops_skirts() -> None:
    freqs, amps, _ = signal.amplitude_spectrum(sine(1.0, 100.0) + sine(0.5, 105.0), FS)
    close = signal.spectrum_peaks(freqs, amps, count=2, min_separation_hz=1.0)
    apart = signal.spectrum_peaks(freqs, amps, count=2, min_separation_hz=10.0)
    assert [p["frequency_hz"] for p in close] == pytest.approx([100.0, 105.0])
    assert apart[0]["frequency_hz"] == pytest.approx(100.0)
    assert abs(apart[1]["frequency_hz"] - 100.0) >= 10.0


# -- bearings and ISO -----------------------------------------------------------------------


def test_fault_frequencies_of_6205_at_1500_rpm() -> None:
    f = signal.bearing_fault_frequencies(
        shaft_hz=1500 / 60,
        rolling_elements=9,
        ball_diameter_mm=7.94,
        pitch_diameter_mm=38.5,
        contact_angle_deg=0.0,
    )
    assert f["bpfo"] == pytest.approx(89.3, abs=0.05)
    assert f["bpfi"] == pytest.approx(135.7, abs=0.05)
    assert f["ftf"] == pytest.approx(9.92, abs=0.01)
    assert f["bsf"] == pytest.approx(58.0, abs=0.05)
    # BPFO + BPFI = n * shaft speed for any geometry.
    assert f["bpfo"] + f["bpfi"] == pytest.approx(9 * 25.0)


def test_contact_angle_moves_frequencies_towards_half_n() -> None:
    args = {"shaft_hz": 25.0, "rolling_elements": 12, "ball_diameter_mm": 17.46}
    flat = signal.bearing_fault_frequencies(**args, pitch_diameter_mm=80.0)
    angled = signal.bearing_fault_frequencies(**args, pitch_diameter_mm=80.0, contact_angle_deg=40)
    assert flat["bpfo"] < angled["bpfo"] < 6 * 25.0 < angled["bpfi"] < flat["bpfi"]


def test_fault_frequencies_validate_geometry() -> None:
    with pytest.raises(ValueError, match="ball_diameter_mm"):
        signal.bearing_fault_frequencies(
            shaft_hz=25, rolling_elements=9, ball_diameter_mm=40, pitch_diameter_mm=38.5
        )


@pytest.mark.parametrize(
    ("group", "foundation", "boundaries"),
    [
        (2, "rigid", (1.4, 2.8, 4.5)),
        (1, "rigid", (2.3, 4.5, 7.1)),
        (2, "flexible", (2.3, 4.5, 7.1)),
        (1, "flexible", (3.5, 7.1, 11.0)),
    ],
)
def test_iso_zones_at_and_around_boundaries(
    group: int, foundation: str, boundaries: tuple[float, float, float]
) -> None:
    assert ISO10816_3_BOUNDARIES_MM_S[(group, foundation)] == boundaries
    zone = signal.iso10816_zone
    assert zone(0.0, group=group, foundation=foundation) == "Normal"
    for lower_zone, boundary in enumerate(boundaries):
        below, upper = ISO_ZONE_STATUSES[lower_zone], ISO_ZONE_STATUSES[lower_zone + 1]
        assert zone(boundary - 0.01, group=group, foundation=foundation) == below
        # On the boundary the worse zone applies.
        assert zone(boundary, group=group, foundation=foundation) == upper
        assert zone(boundary + 0.01, group=group, foundation=foundation) == upper
    assert zone(100.0, group=group, foundation=foundation) == "Unacceptable"


@pytest.mark.parametrize(
    ("group", "foundation", "velocity"),
    [
        (3, "rigid", 1.0),
        (2, "concrete", 1.0),
        (1, None, 1.0),
        (2, "rigid", -1.0),
        (2, "rigid", float("nan")),
    ],
)
def test_iso_zone_rejects_invalid_input(group: int, foundation: str, velocity: float) -> None:
    with pytest.raises(ValueError):
        signal.iso10816_zone(velocity, group=group, foundation=foundation)


def test_iso_zone_accepts_foundation_in_any_case() -> None:
    assert signal.iso10816_zone(3.0, group=2, foundation="Rigid") == "Alert"


# -- encodings ----------------------------------------------------------------------------------


def test_float32_round_trip() -> None:
    x = np.random.default_rng(5).standard_normal(1000).astype(np.float32)
    data = signal.encode_float32(x)
    assert len(data) == 4000
    assert data[:4] == np.float32(x[0]).astype("<f4").tobytes()
    back = signal.decode_float32(data)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, x)
    back[0] = 1.0  # writable copy, not a view of the bytes


def test_decode_float32_rejects_ragged_payload() -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        signal.decode_float32(b"\x00" * 7)


def test_int16_waveform_round_trip_within_quantisation() -> None:
    x = sine(1.3, 160.0) + np.random.default_rng(0).normal(0.0, 0.05, N)
    data, scale = signal.encode_waveform(x, encoding="int16")
    assert scale == pytest.approx(np.abs(x).max() / 32767)
    back = signal.decode_waveform(data, encoding="int16", scale=scale, n_samples=N)
    assert np.abs(back - x).max() <= scale / 2 + 1e-12
    assert len(data) < 4 * N / 3 * 2 + 4  # 2 bytes per sample, base64


def test_float32_waveform_round_trip_and_nan() -> None:
    x = sine(0.5, 100.0)
    x[10] = np.nan
    data, scale = signal.encode_waveform(x, encoding="float32")
    assert scale is None
    back = signal.decode_waveform(data, encoding="float32", scale=None)
    np.testing.assert_array_equal(np.isnan(back), np.isnan(x))
    with pytest.raises(ValueError, match="NaN"):
        signal.compute_measurement(back, FS, group=2, foundation="rigid")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data_b64": "AAAA", "encoding": "int8", "scale": 1.0}, "unsupported"),
        ({"data_b64": "not base64!", "encoding": "int16", "scale": 1.0}, "base64"),
        ({"data_b64": "AAAA", "encoding": "int16", "scale": 1.0}, "multiple of 2"),
        ({"data_b64": "AAAAAA==", "encoding": "int16", "scale": None}, "scale"),
        ({"data_b64": "AAAAAA==", "encoding": "int16", "scale": 1.0, "n_samples": 5}, "declares"),
    ],
)
def test_decode_waveform_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        signal.decode_waveform(**kwargs)


def test_empty_waveform_decodes_then_fails_analysis() -> None:
    empty = signal.decode_waveform("", encoding="int16", scale=1e-4, n_samples=0)
    with pytest.raises(ValueError, match="empty"):
        signal.compute_measurement(empty, FS, group=2, foundation="rigid")


# -- one reading -------------------------------------------------------------------------------


def test_compute_measurement_consistent_with_parts() -> None:
    x = sine(0.2, 49.4) + sine(0.05, 98.8) + np.random.default_rng(9).normal(0.0, 0.02, N)
    m = signal.compute_measurement(x, FS, group=2, foundation="rigid", running_speed_hz=49.4)
    acc = signal.acceleration_indicators(x)
    vel = signal.velocity_indicators(signal.velocity_waveform(x, FS))
    _, amps, resolution = signal.amplitude_spectrum(x, FS)
    for key, value in acc.items():
        assert m["acceleration"][key] == pytest.approx(value, rel=1e-12)
    for key, value in vel.items():
        assert m["velocity"][key] == pytest.approx(value, rel=1e-9)
    spectrum = m["spectrum"]
    assert spectrum["resolution_hz"] == resolution
    assert spectrum["n_lines"] == amps.size
    np.testing.assert_allclose(spectrum["amplitudes"], amps, rtol=1e-5, atol=1e-8)
    assert m["peaks"][0]["order"] == pytest.approx(1.0, abs=0.01)
    assert m["status"] == signal.iso10816_zone(vel["rms"], group=2, foundation="rigid")
    assert signal.decode_float32(signal.encode_float32(spectrum["amplitudes"])).size == N // 2 + 1


def test_compute_measurement_is_fast() -> None:
    x = np.random.default_rng(2).standard_normal(N) * 0.05 + sine(0.1, 24.7)
    signal.compute_measurement(x, FS, group=2, foundation="rigid", running_speed_hz=24.7)  # warm
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        signal.compute_measurement(x, FS, group=2, foundation="rigid", running_speed_hz=24.7)
    per_call = (time.perf_counter() - start) / runs
    # ~0.35 ms on a 2-core CI box; the bound leaves room for a loaded machine.
    assert per_call < 2e-3
