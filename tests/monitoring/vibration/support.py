"""The common time base of the vibration known-answer tests: the simulator's 5120 Hz x 4096."""

from __future__ import annotations

import numpy as np

FS = 5120.0
N = 4096
T = np.arange(N) / FS  # resolution FS / N = 1.25 Hz, so multiples of 1.25 Hz are bin-centred


def sine(amplitude: float, freq_hz: float, phase: float = 0.0) -> np.ndarray:
    """A sine sampled on the common time base (crests fall on samples for fs/f in 4Z)."""
    return amplitude * np.sin(2.0 * np.pi * freq_hz * T + phase)
