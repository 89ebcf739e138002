"""Known-answer tests of monitoring.vibration.measurement: one reading in one pass."""

from __future__ import annotations

import time

import numpy as np
import pytest

from monitoring.vibration.indicators import (
    acceleration_indicators,
    velocity_indicators,
    velocity_waveform,
)
from monitoring.vibration.measurement import compute_measurement
from monitoring.vibration.spectrum import amplitude_spectrum
from monitoring.vibration.zones import iso10816_zone
from tests.monitoring.vibration.support import FS, N, sine


def test_compute_measurement_consistent_with_parts() -> None:
    x = sine(0.2, 49.4) + sine(0.05, 98.8) + np.random.default_rng(9).normal(0.0, 0.02, N)
    m = compute_measurement(x, FS, group=2, foundation="rigid", running_speed_hz=49.4)
    acc = acceleration_indicators(x)
    vel = velocity_indicators(velocity_waveform(x, FS))
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
    # ~0.35 ms on a 2-core CI box; the bound leaves room for a loaded machine.
    assert per_call < 2e-3
