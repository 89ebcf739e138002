"""Ingestion keeps each reading's raw waveform (not its spectrum); /fft derives the same answer.

Golden: the spectrum ingestion computes from a record's samples (compute_measurement, as it
did when it stored spectra) equals, number for number, the /fft answer derived from the stored
waveform; and the whole /fft answer equals the one served from a stored spectrum document.
"""

from __future__ import annotations

import zlib

import bson
import numpy as np
import pytest

from ingestion.pipeline import reading_object_id
from ingestion.run import ingestion_run
from ingestion.wire import decode_waveform
from monitoring.models import Machine, Reading, Spectrum, Waveform
from monitoring.mongo import collection
from monitoring.vibration.measurement import compute_measurement
from tests.ingestion.support import CUSTOMER, DAY, simulator_start, vendor_client
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["int16", "float32"])
def ingested(request):
    """One day of one customer ingested from a simulator sending this encoding."""
    server = simulator_start(encoding=request.param)
    with vendor_client(server) as client:
        ingestion_run(date_from=DAY, date_to=DAY, customer=CUSTOMER, client=client)
    yield server, request.param
    server.stop()


def _vendor_measurements(server, limit: int) -> list:
    """The first measurements of the day, as the vendor sends them."""
    machines = [m["external_id"] for m in collection(Machine).find({}, {"external_id": 1})]
    out = []
    with vendor_client(server) as client:
        for page in client.iter_measurements(DAY, machines):
            out.extend(page.measurements)
            if len(out) >= limit:
                break
    return out[:limit]


def _old_spectrum_document(measurement) -> tuple[dict, np.ndarray]:
    """The spectrum document ingestion stored before waveforms (same code and arguments)."""
    wf = measurement.waveform
    samples = decode_waveform(
        wf.data_b64, encoding=wf.encoding, scale=wf.scale, n_samples=wf.n_samples
    )
    spec = compute_measurement(
        samples, wf.sample_rate_hz, group=2, foundation="rigid", peak_count=0,
        f_lo=10.0, f_hi=1000.0,
    )["spectrum"]  # fmt: skip
    rid = reading_object_id(
        measurement_id=measurement.measurement_id, timestamp=measurement.timestamp
    )
    doc = {
        "_id": rid, "reading_id": rid, "sample_rate_hz": float(wf.sample_rate_hz),
        "n_samples": int(samples.size), "resolution_hz": float(spec["resolution_hz"]),
        "n_lines": int(spec["n_lines"]), "window": "hann", "amplitude_unit": "g",
        "amplitudes": Spectrum.encode_amplitudes(spec["amplitudes"]),
    }  # fmt: skip
    return doc, spec["amplitudes"]


def test_ingestion_stores_a_waveform_per_reading_and_no_spectrum(ingested):
    _server, encoding = ingested
    readings = collection(Reading).count_documents({})
    assert readings > 0
    assert collection(Waveform).count_documents({}) == readings
    assert collection(Spectrum).count_documents({}) == 0
    doc = collection(Waveform).find_one({})
    assert doc["_id"] == doc["reading_id"] and doc["encoding"] == encoding
    # Stored as sent: the storage engine compresses blocks, deflate gained little on noise.
    itemsize = 2 if encoding == "int16" else 4
    assert doc["compression"] == "none"
    assert doc["stored_bytes"] == len(doc["data"]) == doc["n_samples"] * itemsize
    assert (doc["scale"] is None) == (encoding == "float32")


def test_waveform_is_the_vendors_samples_bit_for_bit(ingested):
    server, _ = ingested
    client = TokenClient()
    for m in _vendor_measurements(server, 5):
        rid = reading_object_id(measurement_id=m.measurement_id, timestamp=m.timestamp)
        body = client.get(f"/api/readings/{rid}/waveform").json()
        assert body["samples_b64"] == m.waveform.data_b64
        assert body["encoding"] == m.waveform.encoding and body["scale"] == m.waveform.scale
        stored = Waveform.samples_g(collection(Waveform).find_one({"reading_id": rid}))
        expected = decode_waveform(
            m.waveform.data_b64, encoding=m.waveform.encoding, scale=m.waveform.scale
        )
        assert np.array_equal(stored, expected)


def test_fft_from_the_waveform_equals_the_spectrum_computed_at_ingestion(ingested):
    server, _ = ingested
    client = TokenClient()
    for m in _vendor_measurements(server, 8):
        old, amplitudes = _old_spectrum_document(m)
        derived = client.get(f"/api/readings/{old['reading_id']}/fft")
        assert derived.status_code == 200
        body = derived.json()
        # Number for number: float32 amplitudes through JSON read back as the same float32.
        assert np.array_equal(np.asarray(body["amplitudes"], dtype=np.float32), amplitudes)
        # And the whole answer is the one the stored spectrum gave before waveforms were kept.
        collection(Spectrum).insert_one(old)
        assert client.get(f"/api/readings/{old['reading_id']}/fft").json() == body
        collection(Spectrum).delete_one({"_id": old["_id"]})


def test_a_waveform_document_is_no_larger_than_the_spectrum_it_replaces(ingested):
    server, encoding = ingested
    for m in _vendor_measurements(server, 5):
        old, _ = _old_spectrum_document(m)
        new = collection(Waveform).find_one({"reading_id": old["reading_id"]})
        # int16 counts (2 B/sample) replace float32 lines (4 B per line, n/2 + 1 lines);
        # float32 waveforms are twice the size (the vendor sent 4 B/sample).
        limit = 1.02 if encoding == "int16" else 2.05
        assert len(bson.encode(new)) <= limit * len(bson.encode(old))


def test_a_zlib_waveform_stored_before_answers_the_same(ingested):
    """Waveforms stored zlib-packed (before ingestion stored them as sent) still decode."""
    server, _ = ingested
    client = TokenClient()
    m = _vendor_measurements(server, 1)[0]
    rid = reading_object_id(measurement_id=m.measurement_id, timestamp=m.timestamp)
    urls = [f"/api/readings/{rid}/{kind}" for kind in ("waveform", "fft", "envelope")]
    before = [client.get(url).json() for url in urls]
    data = bytes(collection(Waveform).find_one({"reading_id": rid})["data"])
    packed = zlib.compress(data, 6)
    collection(Waveform).update_one(
        {"reading_id": rid}, {"$set": {"compression": "zlib", "data": bson.Binary(packed)}}
    )
    assert [client.get(url).json() for url in urls] == before
    # A damaged or unknown packing answers 404 (logged), never a 500.
    for fields in ({"data": bson.Binary(packed[:-9])}, {"compression": "lz4"}):
        collection(Waveform).update_one({"reading_id": rid}, {"$set": fields})
        assert {client.get(url).status_code for url in urls} == {404}
