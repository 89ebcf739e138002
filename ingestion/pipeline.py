"""Stage 2, the pipeline: vendor pages of a day -> reading and waveform documents.

The client downloads a day's pages concurrently in its own threads; this module walks them in
the main thread, leaves out measurements already stored (one indexed range query per
machine-day), skips and counts what cannot be processed, and computes the documents of the
rest with the vibration domain (the only place ingestion calls it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
from bson import Binary, ObjectId

from ingestion.catalogue import BearingTarget
from ingestion.client import FetchFailure, Measurement, MeasurementPage, VendorClient
from ingestion.wire import waveform_bytes, waveform_samples
from monitoring import indicators
from monitoring.models import Reading, Waveform
from monitoring.mongo import collection
from monitoring.vibration.measurement import compute_measurement

logger = logging.getLogger("ingestion.pipeline")

#: How many skipped ids the run record keeps as examples (the log has them all).
SKIPPED_EXAMPLES = 20


@dataclass
class RunCounters:
    """What the run has seen so far."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    skip_reasons: Counter = field(default_factory=Counter)
    skipped_examples: list = field(default_factory=list)
    machine_days_done: int = 0
    failures: list = field(default_factory=list)

    def skip(self, reason: str, record_id: str | None, detail: str) -> None:
        """Count a record that cannot be processed and log it with its id."""
        self.skipped += 1
        self.skip_reasons[reason] += 1
        if len(self.skipped_examples) < SKIPPED_EXAMPLES:
            self.skipped_examples.append({"id": record_id, "reason": reason})
        logger.warning("skipped measurement %s: %s (%s)", record_id or "<no id>", reason, detail)

    def written(self, new: int, submitted: int) -> None:
        """Account for a committed batch: readings new, and ones found already stored."""
        self.stored += new
        self.duplicates += submitted - new

    def run_fields(self) -> dict:
        """Counters as IngestionRun fields (``stored`` is incremented by the batches)."""
        return {
            "fetched": self.fetched,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons),
            "skipped_examples": list(self.skipped_examples),
        }


class Skip(Exception):
    """A record that cannot be processed; ``reason`` is its short code."""

    def __init__(self, reason: str, detail: str) -> None:
        """Keep the reason code; the message is the detail for the log."""
        super().__init__(detail)
        self.reason = reason


def reading_object_id(*, measurement_id: str, timestamp: dt.datetime) -> ObjectId:
    """A reading's ``_id`` derived from the vendor's measurement id (stable across runs).

    The first 4 bytes are the measurement time, as in a generated ObjectId, so ids sort by time
    and ``generation_time`` stays meaningful; the other 8 are a hash of the vendor id.
    """
    seconds = int(timestamp.timestamp()) & 0xFFFFFFFF
    digest = hashlib.blake2b(measurement_id.encode(), digest_size=8).digest()
    return ObjectId(seconds.to_bytes(4, "big") + digest)


def rejection_reason(reason: str) -> str:
    """A short reason code for a record the client rejected (its text goes to the log)."""
    if reason.startswith("missing field"):
        return "missing_field"
    if "timestamp" in reason:
        return "invalid_timestamp"
    return "invalid_record"


def _samples(measurement: Measurement) -> tuple[bytes, np.ndarray]:
    """The waveform's sample bytes as sent and decoded in g, or Skip when it is unusable."""
    wf = measurement.waveform
    try:
        raw = waveform_bytes(wf.data_b64)
        samples = waveform_samples(
            raw, encoding=wf.encoding, scale=wf.scale, n_samples=wf.n_samples
        )
    except ValueError as exc:
        raise Skip("invalid_waveform", str(exc)) from None
    if samples.size == 0:
        raise Skip("empty_waveform", "waveform has no samples")
    if not math.isfinite(float(samples.sum())):
        raise Skip("nan_samples", "waveform contains NaN or infinite samples")
    return raw, samples


def _indicators(samples: np.ndarray, sample_rate_hz: float, target: BearingTarget) -> dict:
    """Indicators, ISO zone (band by the bearing's shaft speed), envelope and spectrum, or Skip."""
    try:
        return compute_measurement(
            samples,
            sample_rate_hz,
            group=target.iso_group,
            foundation=target.foundation,
            running_speed_hz=target.shaft_hz,
            with_spectrum=False,  # /fft derives it from the stored waveform on demand
            fault_frequencies=target.fault_frequencies,
            with_envelope=True,
        )
    except ValueError as exc:
        raise Skip("invalid_waveform", str(exc)) from None


#: The envelope indicators the catalogue declares (rms, peak, <defect>_score ...).
_ENVELOPE_FIELDS = tuple(i.field for i in indicators.in_group("envelope"))


def envelope_document(envelope: Mapping) -> dict:
    """The stored envelope of a reading: the catalogue's indicators (a defect's score as
    ``<defect>_score``), the band, and each defect's frequency and harmonic amplitudes."""
    defects = envelope["defects"]
    values = {**envelope, **{f"{name}_score": d["score"] for name, d in defects.items()}}
    return {
        **{name: values.get(name) for name in _ENVELOPE_FIELDS},
        "band_hz": [float(f) for f in envelope["band_hz"]],
        "defects": {
            name: {"frequency_hz": d["frequency_hz"], "harmonics": list(d["harmonics"])}
            for name, d in defects.items()
        }
        or None,
    }


def measurement_documents(
    *, measurement: Measurement, target: BearingTarget, ingested_at: dt.datetime
) -> tuple[dict, dict]:
    """The reading and waveform documents of one measurement, or Skip with a reason."""
    raw, samples = _samples(measurement)
    result = _indicators(samples, measurement.waveform.sample_rate_hz, target)
    reading_id = reading_object_id(
        measurement_id=measurement.measurement_id, timestamp=measurement.timestamp
    )
    temperature = measurement.temperature_c
    if temperature is not None and not math.isfinite(temperature):
        temperature = None
    reading = {
        "_id": reading_id,
        "external_id": measurement.measurement_id,
        "machine_id": target.machine_id,
        "bearing_id": target.bearing_id,
        "customer": target.customer,
        "area": target.area,
        "timestamp": measurement.timestamp,
        "status": result["status"],
        "acceleration": result["acceleration"],
        "velocity": result["velocity"],
        "envelope": envelope_document(result["envelope"]),
        "temperature": temperature,
        "velocity_band_hz": [float(f) for f in result["velocity_band_hz"]],
        "band_limited": bool(result["band_limited"]),
        "zone_standard": result["zone_standard"],
        "ingested_at": ingested_at,
    }
    return reading, _waveform_document(reading_id, measurement, raw, samples.size)


def _waveform_document(reading_id: ObjectId, measurement: Measurement, raw: bytes, n: int) -> dict:
    """The raw waveform as the vendor sent it (already checked by ``_samples``).

    Stored instead of a spectrum: the source of truth, from which /fft derives the same
    spectrum (monitoring.selectors.spectra) and /envelope the envelope. Stored as sent, not
    zlib-packed: deflate saved 1-3 % on sensor noise for 65 us a record, and the storage
    engine compresses blocks anyway (WiredTiger: snappy by default).
    """
    wf = measurement.waveform
    return {
        # One waveform per reading: sharing the reading's id keeps re-runs idempotent.
        "_id": reading_id,
        "reading_id": reading_id,
        "sample_rate_hz": float(wf.sample_rate_hz),
        "n_samples": int(n),
        "encoding": wf.encoding,
        "scale": wf.scale,
        "compression": Waveform.Compression.NONE.value,
        "data": Binary(raw),
        "stored_bytes": len(raw),
        "tier": None,
    }


def stored_ids(*, machine_id, day: dt.date) -> set[str]:
    """External ids of a machine-day's readings already stored (one indexed range query)."""
    if machine_id is None:
        return set()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
    cursor = collection(Reading).find(
        {"machine_id": machine_id, "timestamp": {"$gte": start, "$lt": start + dt.timedelta(1)}},
        {"external_id": 1, "_id": 0},
    )
    return {doc["external_id"] for doc in cursor}


class DayPipeline:
    """One UTC day of every machine: pages in, documents of new measurements out.

    ``documents()`` yields ``(reading, waveform)`` pairs and ``None`` after each page (the run
    reports progress then); the counters say what was fetched, already stored or skipped.
    """

    def __init__(
        self,
        *,
        day: dt.date,
        machine_ids: Mapping[str, ObjectId | None],
        bearings: Mapping[str, BearingTarget],
        counters: RunCounters,
        ingested_at: dt.datetime,
    ) -> None:
        """Nothing is fetched until ``documents`` is iterated."""
        self.day = day
        self.machine_ids = machine_ids
        self.bearings = bearings
        self.counters = counters
        self.ingested_at = ingested_at
        self._stored: dict[str, set[str]] = {}
        self._seen: set[str] = set()

    def documents(self, client: VendorClient) -> Iterator[tuple[dict, dict] | None]:
        """Walk the day's pages (fetched concurrently by the client)."""
        for item in client.iter_measurements(self.day, list(self.machine_ids)):
            if isinstance(item, FetchFailure):
                self.counters.failures.append(
                    f"{item.machine_external_id} {item.date}: {item.error}"
                )
                self.counters.machine_days_done += 1
                continue
            yield from self._page(item)
            yield None

    def _page(self, page: MeasurementPage) -> Iterator[tuple[dict, dict]]:
        counters = self.counters
        already = self._already_stored(page.machine_external_id)
        counters.fetched += len(page.measurements) + len(page.rejected)
        for rejected in page.rejected:
            counters.skip(
                rejection_reason(rejected.reason), rejected.measurement_id, rejected.reason
            )
        for measurement in page.measurements:
            mid = measurement.measurement_id
            if mid in self._seen or mid in already:
                counters.duplicates += 1
                continue
            self._seen.add(mid)
            documents = self._compute(measurement)
            if documents is not None:
                yield documents

    def _already_stored(self, machine_external_id: str) -> set[str]:
        """The machine-day's stored ids, read on its first page (which counts the day done)."""
        if machine_external_id not in self._stored:
            self.counters.machine_days_done += 1
            self._stored[machine_external_id] = stored_ids(
                machine_id=self.machine_ids.get(machine_external_id), day=self.day
            )
        return self._stored[machine_external_id]

    def _compute(self, measurement: Measurement) -> tuple[dict, dict] | None:
        mid = measurement.measurement_id
        target = self.bearings.get(measurement.bearing_external_id)
        if target is None:
            detail = f"bearing {measurement.bearing_external_id!r} is not in the catalogue"
            self.counters.skip("unknown_bearing", mid, detail)
            return None
        try:
            return measurement_documents(
                measurement=measurement, target=target, ingested_at=self.ingested_at
            )
        except Skip as skip:
            self.counters.skip(skip.reason, mid, str(skip))
            return None
