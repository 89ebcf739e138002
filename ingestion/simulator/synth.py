"""Waveform synthesis: physically plausible acceleration records for the simulated fleet.

Each record is acceleration in g made of broadband noise, running-speed harmonics, 2x line
frequency on motors and gear mesh on gearboxes, plus the two scripted faults:

* outer-race defect: decaying impacts at BPFO exciting a structural resonance (kurtosis rises
  first), then BPFO harmonics and some looseness in the velocity band as the spall grows;
* imbalance: a large, steady 1x component.

Every random draw comes from a generator seeded by (seed, bearing, timestamp), so a record is
byte-identical however and in whatever order it is requested.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from ingestion.simulator.fleet import BearingSpec, MachineSpec, stable_int
from monitoring.vibration.checks import STANDARD_GRAVITY_MM_S2
from monitoring.vibration.kinematics import bearing_fault_frequencies

#: Mains frequency of the simulated plants (Europe); motors show magnetic forces at twice it.
LINE_FREQUENCY_HZ = 50.0
#: Peak acceleration (g) of a single outer-race impact at full severity, at the source bearing.
IMPACT_PEAK_G = 5.0
#: Velocity RMS (mm/s) of the BPFO harmonic series at full severity, at the source bearing.
DEFECT_VELOCITY_MM_S = 2.7
#: Damping ratio of the structural resonance rung by impacts.
RESONANCE_DAMPING = 0.05
#: Outer-race fault frequency runs ~1 % below kinematics because rolling elements slip.
BEARING_SLIP = 0.01
#: Severity keeps growing past the anchor date, but saturates here (1.0 = at the anchor).
MAX_SEVERITY = 1.25


def defect_severity(timestamp: dt.datetime, *, anchor_date: dt.date, lead_days: float) -> float:
    """Outer-race defect severity: 0 before onset (anchor - lead_days), 1 at anchor 00:00 UTC."""
    anchor = dt.datetime.combine(anchor_date, dt.time(0), tzinfo=dt.UTC)
    days_since_onset = (timestamp - anchor).total_seconds() / 86400.0 + lead_days
    return min(MAX_SEVERITY, max(0.0, days_since_onset / lead_days))


def _velocity_tone(t: np.ndarray, freq_hz: float, v_rms_mm_s: float, phase: float) -> np.ndarray:
    """Acceleration (g) of a sinusoidal vibration specified by its velocity RMS in mm/s."""
    # v = V sin(wt + p) => a = V w cos(wt + p); specifying by velocity keeps the ISO levels
    # of the catalogue independent of frequency.
    omega = 2.0 * math.pi * freq_hz
    amplitude_g = v_rms_mm_s * math.sqrt(2.0) * omega / STANDARD_GRAVITY_MM_S2
    return amplitude_g * np.cos(omega * t + phase)


def _outer_race_impacts(
    rng: np.random.Generator,
    n: int,
    sample_rate_hz: float,
    bpfo_hz: float,
    first_impact_s: float,
    resonance_hz: float,
    peak_g: float,
) -> np.ndarray:
    """Train of decaying resonance ring-downs, one per rolling element passing the spall."""
    fr = min(resonance_hz, 0.4 * sample_rate_hz)
    decay = 2.0 * math.pi * RESONANCE_DAMPING * fr
    # Ring until the envelope has fallen to 1 %, i.e. ln(100) time constants.
    th = np.arange(math.ceil(math.log(100.0) / decay * sample_rate_hz) + 1) / sample_rate_hz
    ring = np.exp(-decay * th) * np.sin(2.0 * math.pi * fr * th)
    period = 1.0 / bpfo_hz
    duration = n / sample_rate_hz
    times = first_impact_s + np.arange(0.0, duration, period)
    # Timing jitter (~2 % of a period) from slip variation and load zone; amplitude scatter
    # from the elements' varying entry into the spall.
    times = times + rng.normal(0.0, 0.02 * period, times.size)
    idx = np.rint(times * sample_rate_hz).astype(np.int64)
    keep = (idx >= 0) & (idx < n)
    train = np.zeros(n)
    np.add.at(train, idx[keep], peak_g * rng.uniform(0.7, 1.3, int(keep.sum())))
    return np.convolve(train, ring)[:n]


def _defect_source(machine: MachineSpec, bearing: BearingSpec) -> BearingSpec:
    """The bearing of the machine whose race is damaged (gain 1), else the bearing itself."""
    return next((b for b in machine.bearings if b.outer_race_gain >= 1.0), bearing)


def _add_outer_race(
    x: np.ndarray,
    rng: np.random.Generator,
    machine: MachineSpec,
    bearing: BearingSpec,
    t: np.ndarray,
    shaft_hz: float,
    severity: float,
    sample_rate_hz: float,
) -> None:
    """Add to ``x`` what an outer-race spall of ``severity`` (0-1) adds: impacts ringing the
    resonance and a BPFO harmonic series in velocity."""
    # The spall is in the source bearing: neighbours feel its strikes, at its rate.
    g = _defect_source(machine, bearing).geometry
    bpfo = bearing_fault_frequencies(
        shaft_hz=shaft_hz,
        rolling_elements=g.rolling_elements,
        ball_diameter_mm=g.ball_diameter_mm,
        pitch_diameter_mm=g.pitch_diameter_mm,
        contact_angle_deg=g.contact_angle_deg,
    )["bpfo"] * (1.0 - BEARING_SLIP)
    # The ring-downs sit above the velocity band and dominate the acceleration from the
    # first day, so kurtosis leads the velocity trend as it does on real machines.
    first_impact = float(rng.uniform(0.0, 1.0 / bpfo))
    x += _outer_race_impacts(
        rng,
        t.size,
        sample_rate_hz,
        bpfo,
        first_impact,
        bearing.resonance_hz,
        IMPACT_PEAK_G * severity,
    )
    # As the spall widens the impacts carry low-frequency energy: a BPFO harmonic series
    # falling off with order, which is what lifts the velocity RMS. It is phase-locked to
    # the impacts (cosines peaking at each impact, like the train's own harmonics), so the
    # two add up instead of interfering randomly from record to record.
    weights = np.array([1.0, 0.5, 0.25, 0.12])
    weights /= np.sqrt((weights**2).sum())
    for harmonic, w in enumerate(weights, start=1):
        f = harmonic * bpfo
        if f < 0.45 * sample_rate_hz:
            v_rms = DEFECT_VELOCITY_MM_S * severity * w
            x += _velocity_tone(t, f, v_rms, -2.0 * math.pi * f * first_impact)


def synthesize(
    machine: MachineSpec,
    bearing: BearingSpec,
    timestamp: dt.datetime,
    *,
    seed: int,
    anchor_date: dt.date,
    lead_days: float,
    sample_rate_hz: float,
    n_samples: int,
) -> tuple[np.ndarray, float]:
    """Return (acceleration waveform in g, bearing temperature in deg C) for one measurement."""
    rng = np.random.default_rng([seed, stable_int(bearing.external_id), int(timestamp.timestamp())])
    t = np.arange(n_samples) / sample_rate_hz
    # Induction motor speed wanders a little with load; levels vary with process conditions.
    shaft_hz = bearing.shaft_speed_rpm / 60.0 * (1.0 + rng.normal(0.0, 0.002))
    level = float(rng.lognormal(0.0, 0.08))
    phases = rng.uniform(0.0, 2.0 * math.pi, 5)

    severity = bearing.outer_race_gain * defect_severity(
        timestamp, anchor_date=anchor_date, lead_days=lead_days
    )
    # Residual unbalance and a deliberate imbalance add with an arbitrary relative phase;
    # a worn bearing adds some looseness at 1x as well. The imbalance is steady: its force is
    # mass eccentricity times speed squared, whatever the process load does to the rest.
    v1x = math.hypot(bearing.v1x_mm_s * level, bearing.imbalance_mm_s) + 0.3 * severity * level

    x = rng.standard_normal(n_samples) * (bearing.noise_g * level)
    x += _velocity_tone(t, shaft_hz, v1x, phases[0])
    x += _velocity_tone(t, 2.0 * shaft_hz, bearing.v2x_mm_s * level, phases[1])
    if bearing.electrical_mm_s:
        x += _velocity_tone(t, 2.0 * LINE_FREQUENCY_HZ, bearing.electrical_mm_s, phases[2])
    if bearing.gear_mesh_hz:
        # Gear mesh with first-order sidebands at the input shaft speed.
        gm = 2.0 * math.pi * bearing.gear_mesh_hz
        sb = 2.0 * math.pi * machine.running_speed_rpm / 60.0
        x += 0.04 * level * np.cos(gm * t + phases[3])
        x += 0.008 * level * (np.cos((gm - sb) * t + phases[4]) + np.cos((gm + sb) * t))
    if severity > 0.0:
        _add_outer_race(x, rng, machine, bearing, t, shaft_hz, severity, sample_rate_hz)

    # Ambient swing peaking mid-afternoon, plus heat from the defect's friction.
    hour = timestamp.hour + timestamp.minute / 60.0
    temperature = (
        bearing.temperature_c
        + 3.0 * math.sin(2.0 * math.pi * (hour - 9.0) / 24.0)
        + 8.0 * severity
        + float(rng.normal(0.0, 0.3))
    )
    return x, round(temperature, 1)
