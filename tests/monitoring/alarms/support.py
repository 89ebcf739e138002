"""Helpers of the alarm tests: reading documents as ingestion stores them."""

import datetime as dt

from bson import ObjectId

from monitoring.models import Reading
from monitoring.mongo import collection

T0 = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)


def reading_doc(bearing, at: dt.datetime, velocity: float, *, kurtosis: float = 3.0,
                ingested_at: dt.datetime | None = None, store: bool = False) -> dict:  # fmt: skip
    """A reading document of ``bearing`` (a model instance) at ``at``."""
    doc = {
        "_id": ObjectId(), "external_id": str(ObjectId()), "machine_id": bearing.machine_id,
        "bearing_id": bearing.pk, "customer": bearing.customer,
        "area": bearing.machine.area, "timestamp": at, "status": "Normal",
        "acceleration": {"rms": 0.2, "peak": 0.6, "crest_factor": 3.0, "kurtosis": kurtosis},
        "velocity": {"rms": velocity, "peak": velocity * 1.4, "crest_factor": 1.4},
        "temperature": 40.0, "ingested_at": ingested_at or at,
    }  # fmt: skip
    if store:
        collection(Reading).insert_one(doc)
    return doc


def series(bearing, values, *, start=T0, step=dt.timedelta(hours=2), **kw) -> list[dict]:
    """Reading documents of ``bearing`` with these velocities, ``step`` apart."""
    return [reading_doc(bearing, start + i * step, v, **kw) for i, v in enumerate(values)]
