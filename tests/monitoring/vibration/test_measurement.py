"""Known-answer tests of monitoring.vibration.measurement: one reading in one pass."""

from __future__ import annotations

import time

import numpy as np
import pytest

from monitoring.vibration.checks import STANDARD_GRAVITY_MM_S2
from monitoring.vibration.indicators import (
    acceleration_indicators,
    band_velocity,
)
from monitoring.vibration.measurement import compute_measurement
from monitoring.vibration.spectrum import amplitude_spectrum
from monitoring.vibration.zones import iso10816_zone
from tests.monitoring.vibration.support import FS, N, T, sine


def test_compute_measurement_consistent_with_parts() -> None:
    x = sine(0.2, 49.4) + sine(0.05, 98.8) + np.random.default_rng(9).normal(0.0, 0.02, N)
    m = compute_measurement(x, FS, group=2, foundation="rigid", running_speed_hz=49.4)
    acc = acceleration_indicators(x)
    vel = band_velocity(x, FS)
    _, amps, resolution = amplitude_spectrum(x, FS)
    for key, value in acc.items():
        assert m["acceleration"][key] == pytest.approx(value, rel=1e-12)
    for key, value in vel.items():
        assert m["velocity"][key] == pytest.approx(value, rel=1e-9)
    spectrum = m["spectrum"]
    assert spectrum["resolution_hz"] == resolution
    assert spectrum["n_lines"] == amps.size
    np.testing.assert_allclose(spectrum["amplitudes"], amps, rtol=1e-5, atol=1e-8)
    assert m["peaks"][0]["order"] == pytest.approx(1.0, abs=0.01)
    assert m["status"] == iso10816_zone(vel["rms"], group=2, foundation="rigid")
    assert spectrum["amplitudes"].dtype == np.float32


def test_compute_measurement_is_fast() -> None:
    x = np.random.default_rng(2).standard_normal(N) * 0.05 + sine(0.1, 24.7)
    compute_measurement(x, FS, group=2, foundation="rigid", running_speed_hz=24.7)  # warm
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        compute_measurement(x, FS, group=2, foundation="rigid", running_speed_hz=24.7)
    per_call = (time.perf_counter() - start) / runs
    # ~0.25 ms on a 2-core CI box; the bound leaves room for a loaded machine.
    assert per_call < 2e-3


def _velocity_tone(v_rms_mm_s: float, freq_hz: float, phase: float = 0.3) -> np.ndarray:
    """Acceleration (g) of a vibration given by its velocity RMS, as the simulator makes it."""
    omega = 2.0 * np.pi * freq_hz
    return v_rms_mm_s * np.sqrt(2.0) * omega / STANDARD_GRAVITY_MM_S2 * np.cos(omega * T + phase)


def test_low_speed_shaft_is_measured_in_the_2_hz_band() -> None:
    # A 352 rpm output shaft with 3 mm/s RMS at 1x (5.87 Hz): the 10 Hz band read 0.23 mm/s
    # (Normal) where ISO measures 3 mm/s (Alert for group 2 rigid).
    shaft_hz = 352.0 / 60.0
    x = _velocity_tone(3.0, shaft_hz) + np.random.default_rng(1).normal(0.0, 0.005, N)
    m = compute_measurement(x, FS, group=2, foundation="rigid", running_speed_hz=shaft_hz)
    assert m["velocity_band_hz"] == (2.0, 1000.0)
    assert m["band_limited"] is False
    assert m["velocity"]["rms"] == pytest.approx(3.0, rel=0.02)
    assert m["status"] == "Alert" and m["zone"] == "C"
    # The same record in the band of a machine above 600 rpm misses its running speed.
    fast = compute_measurement(x, FS, group=2, foundation="rigid", f_lo=10.0, f_hi=1000.0)
    assert fast["velocity_band_hz"] == (10.0, 1000.0)
    assert fast["velocity"]["rms"] < 0.3


def test_band_by_speed_and_the_band_limited_flag() -> None:
    x = _velocity_tone(2.0, 49.4) + np.random.default_rng(2).normal(0.0, 0.01, N)
    m = compute_measurement(x, FS, group=2, foundation="rigid", running_speed_hz=24.7)
    assert m["velocity_band_hz"] == (10.0, 1000.0) and m["band_limited"] is False
    assert m["velocity"]["rms"] == pytest.approx(2.0, rel=0.02)
    unknown = compute_measurement(x, FS, group=2, foundation="rigid")
    assert unknown["velocity_band_hz"] == (10.0, 1000.0)
    slow_rate = compute_measurement(x[: N // 2], 1600.0, group=2, foundation="rigid")
    assert slow_rate["velocity_band_hz"] == (10.0, 800.0)
    assert slow_rate["band_limited"] is True


def test_measurement_names_the_zone_standard_and_carries_the_envelope() -> None:
    x = np.random.default_rng(3).normal(0.0, 0.05, N)
    faults = {"bpfo": 89.3, "bpfi": 135.7}
    m = compute_measurement(
        x, FS, group=2, foundation="rigid", fault_frequencies=faults, with_envelope=True
    )
    assert m["zone_standard"] == "ISO 20816-3:2022"
    assert m["envelope"]["band_hz"] == (500.0, 2048.0)
    assert set(m["envelope"]["defects"]) == {"bpfo", "bpfi"}
    assert (
        compute_measurement(x, FS, group=2, foundation="rigid", with_envelope=False)["envelope"]
        is None
    )
    # The keys ingestion stores are still there.
    for key in ("acceleration", "velocity", "spectrum", "peaks", "status"):
        assert key in m


def test_measurement_without_the_spectrum_changes_nothing_else() -> None:
    """Ingestion leaves the spectrum out (it stores the waveform): every other value is equal."""
    x = np.random.default_rng(5).normal(0.0, 0.05, N)
    faults = {"bpfo": 89.3}
    full = compute_measurement(
        x, FS, group=2, foundation="rigid", fault_frequencies=faults, with_envelope=True
    )
    lean = compute_measurement(
        x, FS, group=2, foundation="rigid", fault_frequencies=faults, with_envelope=True,
        with_spectrum=False,
    )  # fmt: skip
    assert full["spectrum"]["n_lines"] == N // 2 + 1 and full["peaks"]
    assert lean["spectrum"] is None and lean["peaks"] == []
    for key in ("acceleration", "velocity", "status", "zone", "velocity_band_hz"):
        assert lean[key] == full[key]
    assert lean["envelope"]["defects"] == full["envelope"]["defects"]
