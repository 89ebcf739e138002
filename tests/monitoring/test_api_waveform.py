"""/api/readings/{id}/waveform and /envelope, and /fft derived from a stored waveform."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from monitoring.models import Waveform
from monitoring.mongo import collection
from monitoring.vibration.envelope import envelope_analysis
from monitoring.vibration.spectrum import amplitude_spectrum
from tests.factories import (
    BearingFactory,
    MachineFactory,
    ReadingFactory,
    SpectrumFactory,
    WaveformFactory,
    waveform_counts,
)
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db

SCALE = 3e-5


@pytest.fixture
def reading():
    """An Acme reading of a 6205 bearing at 1500 rpm with a stored waveform only."""
    machine = MachineFactory(customer="Acme", running_speed_rpm=1500.0)
    bearing = BearingFactory(machine=machine)
    r = ReadingFactory(bearing=bearing)
    WaveformFactory(reading=r, scale=SCALE)
    return r


def test_waveform_json_is_the_stored_samples(client, reading):
    body = client.get(f"/api/readings/{reading.pk}/waveform").json()
    assert body["reading_id"] == str(reading.pk)
    assert (body["sample_rate_hz"], body["n_samples"], body["unit"]) == (5120.0, 4096, "g")
    assert (body["encoding"], body["scale"]) == ("int16", SCALE)
    counts = np.frombuffer(base64.b64decode(body["samples_b64"]), dtype="<i2")
    assert np.array_equal(counts, waveform_counts())


def test_waveform_csv_has_time_and_acceleration_rows(client, reading):
    response = client.get(f"/api/readings/{reading.pk}/waveform?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "time_s,acceleration_g" and len(lines) == 4097
    t, a = (float(v) for v in lines[2].split(","))
    assert t == pytest.approx(1 / 5120.0)
    assert a == pytest.approx(float(waveform_counts()[1]) * SCALE, rel=1e-8)


def test_fft_of_a_reading_with_only_a_waveform_is_derived_from_it(client, reading):
    body = client.get(f"/api/readings/{reading.pk}/fft").json()
    _freqs, amps, resolution = amplitude_spectrum(waveform_counts() * SCALE, 5120.0)
    assert np.array_equal(np.asarray(body["amplitudes"], dtype=np.float32), amps)
    assert (body["resolution_hz"], body["n_lines"], body["n_samples"]) == (resolution, 2049, 4096)
    assert body["peaks"][0]["frequency_hz"] == pytest.approx(25.0, abs=0.1)
    assert body["fault_frequencies"]["bpfo"] == pytest.approx(89.6, abs=0.5)


def test_a_stored_spectrum_is_served_as_stored(client):
    """Older readings: the stored spectrum is the answer, even beside a waveform."""
    r = ReadingFactory()
    SpectrumFactory(reading=r)
    WaveformFactory(reading=r)
    body = client.get(f"/api/readings/{r.pk}/fft").json()
    assert body["amplitudes"][20] == 0.5 and body["amplitudes"][19] == pytest.approx(0.001)


def test_envelope_finds_the_outer_race_defect(client, reading):
    body = client.get(f"/api/readings/{reading.pk}/envelope").json()
    expected = envelope_analysis(waveform_counts() * SCALE, 5120.0)
    assert body["amplitude_unit"] == "gE" and body["shaft_hz"] == 25.0
    assert body["rms"] == pytest.approx(expected["rms"]) and body["band_hz"] == [500.0, 2048.0]
    assert len(body["frequencies"]) == len(body["amplitudes"]) == 2049
    markers = {m["name"]: m for m in body["markers"]}
    assert list(markers) == ["BPFO", "BPFI", "BSF", "FTF"]
    bpfo = markers["BPFO"]
    assert [h["order"] for h in bpfo["harmonics"]] == [1, 2, 3]
    # The factory's resonance is struck at 89.6 Hz, BPFO of a 6205 at 1500 rpm.
    assert bpfo["harmonics"][0]["frequency_hz"] == pytest.approx(89.6, rel=0.02)
    assert bpfo["score"] > 15 > markers["BPFI"]["score"]


def test_envelope_without_geometry_has_no_markers(client):
    r = ReadingFactory(bearing=BearingFactory(rolling_elements=None))
    WaveformFactory(reading=r)
    body = client.get(f"/api/readings/{r.pk}/envelope").json()
    assert body["markers"] == [] and body["rms"] > 0


@pytest.mark.parametrize("what", ["waveform", "envelope"])
def test_missing_waveform_and_bad_ids_answer_404(client, what):
    only_spectrum = SpectrumFactory().reading_id
    for rid in (only_spectrum, "0" * 24, "nope"):
        response = client.get(f"/api/readings/{rid}/{what}")
        assert response.status_code == 404, rid
        assert response["Content-Type"] == "application/json"
        assert "detail" in response.json()


def test_csv_errors_are_json_and_unknown_formats_404(client, reading):
    response = client.get(f"/api/readings/{'0' * 24}/waveform?format=csv")
    assert response.status_code == 404 and response.json()["detail"]
    assert client.get(f"/api/readings/{reading.pk}/waveform?format=xml").status_code == 404
    bad = client.get(f"/api/readings/{reading.pk}/waveform?x=1")
    assert bad.status_code == 400 and "x" in bad.json()["errors"]


@pytest.mark.parametrize("what", ["waveform", "envelope", "fft"])
def test_other_customers_readings_are_not_found(reading, what):
    globex = TokenClient("g", is_staff=False, customers=["Globex"])
    assert globex.get(f"/api/readings/{reading.pk}/{what}").status_code == 404
    acme = TokenClient("a", is_staff=False, customers=["Acme"])
    assert acme.get(f"/api/readings/{reading.pk}/{what}").status_code == 200


def test_a_damaged_waveform_is_not_found_not_a_500(client, reading):
    collection(Waveform).update_one({"reading_id": reading.pk}, {"$set": {"data": b"junk"}})
    for what in ("waveform", "envelope", "fft"):
        assert client.get(f"/api/readings/{reading.pk}/{what}").status_code == 404
