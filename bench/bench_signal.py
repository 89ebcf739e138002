"""Signal-processing cost per record: one 4,096-sample acceleration record at 5120 Hz.

    .venv/bin/python bench/bench_signal.py [--runs 2000] [--samples 4096] [--rate 5120]

Prints the median wall time in microseconds of each stage ingestion runs per record
(acceleration indicators, band velocity, Hann spectrum, envelope analysis) and of
compute_measurement, which does them all (plus peak picking and the zone) sharing the input
checks: the "total", with the envelope (what ingestion runs), and without it (its default).
The record is simulator-like: noise, 1x and 2x, and an outer-race impact train. Pure numpy:
no Django, no database.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from monitoring.vibration.envelope import envelope_analysis  # noqa: E402
from monitoring.vibration.indicators import acceleration_indicators, band_velocity  # noqa: E402
from monitoring.vibration.kinematics import bearing_fault_frequencies  # noqa: E402
from monitoring.vibration.measurement import compute_measurement  # noqa: E402
from monitoring.vibration.spectrum import amplitude_spectrum  # noqa: E402


def record(n: int, fs: float, shaft_hz: float, bpfo_hz: float) -> np.ndarray:
    """Noise, 1x and 2x tones and a train of 1.8 kHz ring-downs at BPFO, in g."""
    rng = np.random.default_rng(0)
    t = np.arange(n) / fs
    x = rng.normal(0.0, 0.05, n)
    x += 0.3 * np.sin(2 * math.pi * shaft_hz * t) + 0.1 * np.sin(4 * math.pi * shaft_hz * t)
    ring_t = np.arange(int(0.01 * fs)) / fs
    ring = np.exp(-2 * math.pi * 0.05 * 1800.0 * ring_t) * np.sin(2 * math.pi * 1800.0 * ring_t)
    train = np.zeros(n)
    train[(np.arange(0.0, n / fs, 1.0 / bpfo_hz) * fs).astype(int)] = 0.5
    return x + np.convolve(train, ring)[:n]


def median_us(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of fn in microseconds, after a few warm-up calls (caches, allocator)."""
    for _ in range(10):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--rate", type=float, default=5120.0)
    args = parser.parse_args()
    n, fs, shaft_hz = args.samples, args.rate, 24.7
    faults = bearing_fault_frequencies(
        shaft_hz=shaft_hz, rolling_elements=9, ball_diameter_mm=7.94, pitch_diameter_mm=38.5
    )
    x = record(n, fs, shaft_hz, faults["bpfo"])
    common = {"group": 2, "foundation": "rigid", "running_speed_hz": shaft_hz, "peak_count": 5}
    stages = {
        "indicators (acceleration)": lambda: acceleration_indicators(x),
        "velocity (band, leak-free)": lambda: band_velocity(x, fs),
        "spectrum (Hann)": lambda: amplitude_spectrum(x, fs),
        "envelope (with 4 defects)": lambda: envelope_analysis(x, fs, fault_frequencies=faults),
        "total: compute_measurement": lambda: compute_measurement(
            x, fs, **common, fault_frequencies=faults, with_envelope=True
        ),
        "  without envelope (default)": lambda: compute_measurement(x, fs, **common),
    }
    print(f"{n} samples at {fs:g} Hz, median of {args.runs} runs, numpy {np.__version__}")
    for name, fn in stages.items():
        print(f"  {name:<28} {median_us(fn, args.runs):8.1f} us")


if __name__ == "__main__":
    main()
