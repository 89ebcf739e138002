"""A reading's spectrum, raw waveform and envelope, with the bearing's fault-frequency markers.

The one place that decides where a spectrum comes from: a stored Spectrum (readings ingested
before waveforms were kept) is served as stored; otherwise the spectrum is derived from the
stored raw waveform with the same arithmetic ingestion used, so the numbers are the same.
"""

from __future__ import annotations

import base64
import logging

import numpy as np
from django.conf import settings

from monitoring import retention
from monitoring.models import Bearing, Machine, Reading, Spectrum, Waveform, WaveformTierTotal
from monitoring.mongo import collection
from monitoring.scope import Scope
from monitoring.vibration.envelope import envelope_analysis
from monitoring.vibration.markers import FAULT_LABELS, spectrum_markers
from monitoring.vibration.spectrum import amplitude_spectrum, spectrum_peaks, velocity_spectrum
from monitoring.vibration.zones import velocity_band

logger = logging.getLogger(__name__)

PEAK_COUNT = 5


def _reading(scope: Scope, reading_id) -> dict | None:
    """The reading's ids and time if it exists within the scope."""
    # By id alone (the _id index); the scope is checked on the one document found.
    reading = collection(Reading).find_one(
        {"_id": reading_id}, {"machine_id": 1, "bearing_id": 1, "timestamp": 1, "customer": 1}
    )
    if reading is None or not scope.allows(reading.get("customer")):
        return None
    return reading


def _header(reading: dict) -> dict:
    """The fields every per-reading answer (spectrum, waveform, envelope) starts with."""
    return {
        "reading_id": reading["_id"],
        "machine_id": reading["machine_id"],
        "bearing_id": reading["bearing_id"],
        "timestamp": reading["timestamp"],
    }


def _bearing_and_shaft(reading: dict) -> tuple[dict | None, float | None]:
    """The bearing's geometry fields and its shaft speed (Hz)."""
    bearing = collection(Bearing).find_one(
        {"_id": reading["bearing_id"]},
        dict.fromkeys((*Bearing.GEOMETRY_FIELDS, "shaft_speed_rpm"), 1),
    )
    machine = collection(Machine).find_one({"_id": reading["machine_id"]}, {"running_speed_rpm": 1})
    # The bearing's own shaft: behind a gearbox, the machine's speed would put the fault
    # frequencies and orders off by the gear ratio.
    return bearing, Bearing.shaft_hz(bearing, machine)


def _waveform(reading_id) -> tuple[dict, np.ndarray] | None:
    """The stored waveform document and its samples in g; None if none (or unreadable)."""
    doc = collection(Waveform).find_one({"reading_id": reading_id})
    if doc is None:
        return None
    try:
        return doc, Waveform.samples_g(doc)
    except ValueError as exc:
        # Stored data is trusted, but a damaged document must answer 404, not 500.
        logger.warning("waveform of reading %s is unreadable: %s", reading_id, exc)
        return None


def _spectrum(reading_id) -> dict | None:
    """sample_rate_hz, n_samples, resolution_hz, window, amplitude_unit and amplitudes."""
    stored = collection(Spectrum).find_one({"reading_id": reading_id})
    if stored is not None:
        # A truncated payload must not turn into a 500 (decode drops a partial value).
        return {**stored, "amplitudes": Spectrum.decode_amplitudes(stored.get("amplitudes"))}
    found = _waveform(reading_id)
    if found is None:
        return None
    doc, samples = found
    try:
        _freqs, amps, resolution = amplitude_spectrum(samples, doc["sample_rate_hz"])
    except ValueError as exc:
        logger.warning("waveform of reading %s has no spectrum: %s", reading_id, exc)
        return None
    return {
        "sample_rate_hz": doc["sample_rate_hz"],
        "n_samples": int(samples.size),
        "resolution_hz": resolution,
        "window": "hann",
        "amplitude_unit": "g",
        "amplitudes": amps,
    }


def _in_velocity(freqs, amps, *, shaft_hz: float | None, sample_rate_hz) -> np.ndarray:
    """The spectrum in mm/s RMS per line, zero below the ISO band's low edge for this shaft."""
    band = velocity_band(
        shaft_rpm=shaft_hz * 60.0 if shaft_hz else None, sample_rate_hz=sample_rate_hz or 0.0
    )
    return velocity_spectrum(freqs, amps, f_lo=band.f_lo).astype(np.float32)


def fft_get(*, scope: Scope, reading_id, units: str = "acceleration") -> dict | None:
    """A reading's spectrum with peaks and bearing fault frequencies; None if there is none.

    ``units="velocity"`` answers the lines in mm/s RMS (each 0-peak g line a at f becomes
    a * g0 / (2 pi f) / sqrt 2), zero below the ISO band's low edge for the bearing's shaft.
    """
    reading = _reading(scope, reading_id)
    if reading is None:
        return None
    spectrum = _spectrum(reading_id)
    if spectrum is None:
        return None
    bearing, running_speed_hz = _bearing_and_shaft(reading)
    amps = spectrum["amplitudes"]
    resolution_hz = spectrum.get("resolution_hz") or 0.0
    # Frequencies as line x resolution for either source, so both give the same numbers.
    freqs = np.arange(amps.size, dtype=np.float64) * resolution_hz
    unit = spectrum.get("amplitude_unit")
    if units == "velocity":
        amps = _in_velocity(
            freqs, amps, shaft_hz=running_speed_hz, sample_rate_hz=spectrum.get("sample_rate_hz")
        )
        unit = "mm/s"
    return {
        **_header(reading),
        "sample_rate_hz": spectrum.get("sample_rate_hz"),
        "n_samples": spectrum.get("n_samples"),
        "resolution_hz": resolution_hz,
        "n_lines": int(amps.size),
        "window": spectrum.get("window"),
        "frequency_unit": "Hz",
        "amplitude_unit": unit,
        "running_speed_hz": running_speed_hz,
        # Arrays, encoded natively by the JSON renderer: frequencies to the micro-hertz, the
        # float32 amplitudes as float32 (the ~7 significant digits they carry).
        "frequencies": np.round(freqs, 6),
        "amplitudes": np.ascontiguousarray(amps, dtype=np.float32),
        "peaks": spectrum_peaks(freqs, amps, count=PEAK_COUNT, running_speed_hz=running_speed_hz),
        # Incomplete or inconsistent geometry entered by staff: no markers, not an error.
        "fault_frequencies": spectrum_markers(
            shaft_hz=running_speed_hz, geometry=bearing
        ).fault_frequencies,
    }


def _reading_waveform(scope: Scope, reading_id) -> tuple[dict, dict, np.ndarray] | None:
    """(reading, waveform document, samples in g) of a reading in scope; None without one."""
    reading = _reading(scope, reading_id)
    found = None if reading is None else _waveform(reading_id)
    return None if found is None else (reading, *found)


def _signal_header(reading: dict, doc: dict, samples: np.ndarray) -> dict:
    """_header plus the waveform's sample rate and length."""
    return {**_header(reading), "sample_rate_hz": doc["sample_rate_hz"],
            "n_samples": int(samples.size)}  # fmt: skip


def waveform_get(*, scope: Scope, reading_id) -> dict | None:
    """A reading's raw waveform: its samples as stored and in g; None if there is none."""
    found = _reading_waveform(scope, reading_id)
    if found is None:
        return None
    reading, doc, samples = found
    return {
        **_signal_header(reading, doc, samples),
        "unit": "g",
        "encoding": doc["encoding"],
        "scale": doc.get("scale"),
        "samples_b64": base64.b64encode(Waveform.raw_samples(doc)).decode("ascii"),
        "samples_g": samples,
    }


def _markers(defects: dict) -> list:
    """Per fault type, in FAULT_LABELS order: frequency, the matched 1x-3x lines and score."""
    return [
        {"name": label, "frequency_hz": defects[key]["frequency_hz"],
         "harmonics": defects[key]["lines"], "score": defects[key]["score"]}
        for key, label in FAULT_LABELS.items() if key in defects
    ]  # fmt: skip


def envelope_get(*, scope: Scope, reading_id) -> dict | None:
    """A reading's envelope spectrum (0-peak gE) with fault matches; None without a waveform."""
    found = _reading_waveform(scope, reading_id)
    if found is None:
        return None
    reading, doc, samples = found
    bearing, shaft_hz = _bearing_and_shaft(reading)
    faults = spectrum_markers(shaft_hz=shaft_hz, geometry=bearing).fault_frequencies
    try:
        env = envelope_analysis(samples, doc["sample_rate_hz"], fault_frequencies=faults or {})
    except ValueError as exc:
        logger.warning("waveform of reading %s has no envelope: %s", reading_id, exc)
        return None
    amps, resolution = env["amplitudes"], env["resolution_hz"]
    markers = _markers(env["defects"])
    return {
        **_signal_header(reading, doc, samples),
        "band_hz": list(env["band_hz"]),
        "rms": env["rms"],
        "peak": env["peak"],
        "noise_floor": env["noise_floor"],
        "resolution_hz": resolution,
        "amplitude_unit": "gE",
        "shaft_hz": shaft_hz,
        "frequencies": np.round(np.arange(amps.size, dtype=np.float64) * resolution, 6),
        "amplitudes": np.ascontiguousarray(amps, dtype=np.float32),
        "markers": markers,
    }


#: Beyond this many days to thin (a first run over old data), the next run's counts would
#: read too much for a stats request: they are left null (``apply_retention --dry-run``).
NEXT_RUN_MAX_DAYS = 3


def _tier_storage() -> dict:
    """Waveforms and their stored bytes per tier, from the running totals (three documents)."""
    stored = {d["_id"]: d for d in collection(WaveformTierTotal).find({})}
    return {
        name: {"count": stored.get(name, {}).get("count", 0),
               "bytes": stored.get(name, {}).get("bytes", 0)}
        for name in (WaveformTierTotal.RAW, WaveformTierTotal.DAILY, WaveformTierTotal.EVIDENCE)
    }  # fmt: skip


def _next_run() -> dict:
    """What the next retention run would remove (null counts when too many days are due)."""
    days = retention.retention_days()
    figures = {"days": len(days), "waveforms": None, "spectra": None, "waveform_bytes": None}
    if len(days) <= NEXT_RUN_MAX_DAYS:
        plans = [retention.day_plan(day) for day in days]
        figures["waveforms"] = sum(p.waveforms for p in plans)
        figures["waveform_bytes"] = sum(p.waveform_bytes for p in plans)
        figures["spectra"] = sum(p.spectra for p in plans)
    return figures


def storage_tiers_get(*, scope: Scope) -> dict | None:
    """Raw waveforms per retention tier and the next run's removals; staff only (else None).

    Tiers are not kept per customer (retention is plant-wide), so a plant user gets null.
    """
    if not scope.unrestricted:
        return None
    return {
        "waveform_days": settings.RETENTION_WAVEFORM_DAYS,
        "cutoff": retention.retention_cutoff(),
        "waveforms": _tier_storage(),
        "next_run": _next_run(),
    }
