"""A reading's spectrum with its peaks and the bearing's fault-frequency markers."""

from __future__ import annotations

import numpy as np

from monitoring.models import Bearing, Machine, Reading, Spectrum
from monitoring.mongo import collection
from monitoring.scope import Scope
from monitoring.vibration.markers import spectrum_markers
from monitoring.vibration.spectrum import spectrum_peaks

PEAK_COUNT = 5


def fft_get(*, scope: Scope, reading_id) -> dict | None:
    """A reading's spectrum with peaks and bearing fault frequencies; None if there is none."""
    # By id alone (the _id index); the scope is checked on the one document found.
    reading = collection(Reading).find_one(
        {"_id": reading_id}, {"machine_id": 1, "bearing_id": 1, "timestamp": 1, "customer": 1}
    )
    if reading is None or not scope.allows(reading.get("customer")):
        return None
    spectrum = collection(Spectrum).find_one({"reading_id": reading_id})
    if spectrum is None:
        return None
    bearing = collection(Bearing).find_one(
        {"_id": reading["bearing_id"]},
        dict.fromkeys((*Bearing.GEOMETRY_FIELDS, "shaft_speed_rpm"), 1),
    )
    machine = collection(Machine).find_one({"_id": reading["machine_id"]}, {"running_speed_rpm": 1})
    # Stored data is trusted but a truncated payload must not turn into a 500.
    amps = Spectrum.decode_amplitudes(spectrum.get("amplitudes"))
    resolution_hz = spectrum.get("resolution_hz") or 0.0
    freqs = np.arange(amps.size, dtype=np.float64) * resolution_hz
    # The bearing's own shaft: behind a gearbox, the machine's speed would put the fault
    # frequencies and orders off by the gear ratio.
    running_speed_hz = Bearing.shaft_hz(bearing, machine)
    return {
        "reading_id": reading["_id"],
        "machine_id": reading["machine_id"],
        "bearing_id": reading["bearing_id"],
        "timestamp": reading["timestamp"],
        "sample_rate_hz": spectrum.get("sample_rate_hz"),
        "n_samples": spectrum.get("n_samples"),
        "resolution_hz": resolution_hz,
        "n_lines": int(amps.size),
        "window": spectrum.get("window"),
        "frequency_unit": "Hz",
        "amplitude_unit": spectrum.get("amplitude_unit"),
        "running_speed_hz": running_speed_hz,
        # Arrays, encoded natively by the JSON renderer: frequencies to the micro-hertz, the
        # stored float32 amplitudes as float32 (the ~7 significant digits they carry).
        "frequencies": np.round(freqs, 6),
        "amplitudes": np.ascontiguousarray(amps, dtype=np.float32),
        "peaks": spectrum_peaks(freqs, amps, count=PEAK_COUNT, running_speed_hz=running_speed_hz),
        # Incomplete or inconsistent geometry entered by staff: no markers, not an error.
        "fault_frequencies": spectrum_markers(
            shaft_hz=running_speed_hz, geometry=bearing
        ).fault_frequencies,
    }
