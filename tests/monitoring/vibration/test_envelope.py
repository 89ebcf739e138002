"""Known-answer tests of monitoring.vibration.envelope: demodulation finds the defect's rate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitoring.vibration.envelope import envelope_analysis, envelope_band
from monitoring.vibration.indicators import band_velocity
from monitoring.vibration.kinematics import bearing_fault_frequencies
from tests.monitoring.vibration.support import N

# A 6205 at 1500 rpm: BPFO 89.3, BPFI 135.7, BSF 58.0, FTF 9.9 Hz.
FAULTS = bearing_fault_frequencies(
    shaft_hz=25.0, rolling_elements=9, ball_diameter_mm=7.94, pitch_diameter_mm=38.5
)
NOISE_G = 0.05


def impact_train(fs: float, *, rate_hz: float, resonance_hz: float, peak_g: float, seed: int):
    """Ring-downs of a resonance (damping 5 %), one per strike at rate_hz, 1 % timing jitter."""
    rng = np.random.default_rng(seed)
    decay = 2.0 * math.pi * 0.05 * resonance_hz
    th = np.arange(int(math.log(100.0) / decay * fs) + 1) / fs
    ring = np.exp(-decay * th) * np.sin(2.0 * math.pi * resonance_hz * th)
    times = np.arange(0.003, N / fs, 1.0 / rate_hz)
    times += rng.normal(0.0, 0.01 / rate_hz, times.size)
    train = np.zeros(N)
    train[np.clip(np.rint(times * fs).astype(int), 0, N - 1)] = peak_g
    return np.convolve(train, ring)[:N]


def noise(seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, NOISE_G, N)


@pytest.mark.parametrize(("fs", "resonance_hz"), [(5120.0, 1800.0), (12800.0, 3000.0)])
def test_envelope_finds_an_outer_race_defect_the_velocity_does_not_see(fs, resonance_hz):
    background = noise()
    defect = background + impact_train(
        fs, rate_hz=FAULTS["bpfo"], resonance_hz=resonance_hz, peak_g=0.5, seed=1
    )
    result = envelope_analysis(defect, fs, fault_frequencies=FAULTS)
    scores = {name: match["score"] for name, match in result["defects"].items()}
    others = max(score for name, score in scores.items() if name != "bpfo")
    assert scores["bpfo"] > 15.0
    assert scores["bpfo"] > 4.0 * others, scores
    assert all(a is not None for a in result["defects"]["bpfo"]["harmonics"])
    # The strongest envelope line is the defect's rate.
    k = int(np.argmax(result["amplitudes"][1:])) + 1
    assert k * result["resolution_hz"] == pytest.approx(FAULTS["bpfo"], abs=result["resolution_hz"])
    # ... while the ring-downs sit above the velocity band: velocity RMS barely moves.
    v_defect = band_velocity(defect, fs)["rms"]
    v_background = band_velocity(background, fs)["rms"]
    assert v_defect == pytest.approx(v_background, rel=0.03)
    baseline = envelope_analysis(background, fs, fault_frequencies=FAULTS)
    assert result["rms"] > 1.3 * baseline["rms"]
    assert result["peak"] > 2.0 * baseline["peak"]


def test_no_false_defect_on_imbalance():
    # A large 1x (25 Hz, 1 g) and noise: nothing repeats in the resonance band.
    t = np.arange(N) / 5120.0
    x = 1.0 * np.sin(2.0 * math.pi * 25.3 * t + 0.4) + noise(3)
    result = envelope_analysis(x, 5120.0, fault_frequencies=FAULTS)
    for name, match in result["defects"].items():
        assert match["score"] < 6.0, (name, match)


def test_noise_scores_are_low_and_stable():
    for seed in range(5):
        result = envelope_analysis(noise(seed), 5120.0, fault_frequencies=FAULTS)
        assert max(m["score"] for m in result["defects"].values()) < 6.0


def test_envelope_units_and_shape():
    fs = 5120.0
    result = envelope_analysis(noise(), fs)
    assert result["band_hz"] == (500.0, 2048.0)
    assert result["defects"] == {}
    assert result["amplitudes"].dtype == np.float32
    assert result["amplitudes"].size == N // 2 + 1
    assert result["resolution_hz"] == pytest.approx(fs / N)
    # The envelope of band-limited Gaussian noise has a mean square twice the band's variance.
    band_fraction = (2048.0 - 500.0) / (fs / 2.0)
    assert result["rms"] == pytest.approx(NOISE_G * math.sqrt(2.0 * band_fraction), rel=0.05)


def test_envelope_band_choice_and_validation():
    assert envelope_band(5120.0) == (500.0, 2048.0)
    assert envelope_band(25600.0) == (500.0, 10240.0)
    assert envelope_band(1000.0) == (200.0, 400.0)  # low rates keep an octave
    assert envelope_band(5120.0, (1000.0, 2000.0)) == (1000.0, 2000.0)
    with pytest.raises(ValueError, match="envelope band"):
        envelope_band(5120.0, (2000.0, 3000.0))  # above Nyquist
    with pytest.raises(ValueError, match="envelope band"):
        envelope_band(5120.0, (800.0, 600.0))


def test_harmonics_past_the_spectrum_are_none():
    result = envelope_analysis(noise(), 5120.0, fault_frequencies={"high": 1000.0})
    assert result["defects"]["high"]["harmonics"][2] is None  # 3000 Hz > Nyquist
    assert result["defects"]["high"]["score"] is not None
