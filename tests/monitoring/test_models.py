"""Model constraints, status choices and migrations on an empty database."""

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection

from monitoring.models import Machine, Reading, Spectrum, Status, worst_status
from tests.factories import BearingFactory, MachineFactory, ReadingFactory

pytestmark = pytest.mark.django_db


def test_machine_external_id_is_unique():
    MachineFactory(external_id="M-1")
    with pytest.raises(IntegrityError):
        MachineFactory(external_id="M-1")


def test_bearing_external_id_is_unique():
    BearingFactory(external_id="B-1")
    with pytest.raises(IntegrityError):
        BearingFactory(external_id="B-1")


def test_reading_vendor_measurement_id_is_unique():
    reading = ReadingFactory(external_id="R-1")
    with pytest.raises(IntegrityError):
        ReadingFactory(external_id="R-1", bearing=reading.bearing)
    assert Reading.objects.count() == 1


def test_status_must_be_one_of_the_four_zones():
    machine = MachineFactory.build(status="Broken")
    with pytest.raises(ValidationError) as excinfo:
        machine.full_clean()
    assert "status" in excinfo.value.message_dict
    assert [s.value for s in Status] == ["Normal", "Satisfactory", "Alert", "Unacceptable"]


def test_iso_group_and_foundation_choices():
    machine = MachineFactory.build(iso_group=3, foundation="soft")
    with pytest.raises(ValidationError) as excinfo:
        machine.full_clean()
    assert {"iso_group", "foundation"} <= set(excinfo.value.message_dict)


def test_worst_status():
    assert worst_status(["Normal", "Alert", "Satisfactory"]) == "Alert"
    assert worst_status([None, "Normal"]) == "Normal"
    assert worst_status([]) is None


def test_embedded_indicators_and_milliseconds_round_trip():
    reading = ReadingFactory()
    reading.timestamp = reading.timestamp.replace(microsecond=123000)
    reading.save()
    stored = Reading.objects.get(pk=reading.pk)
    assert stored.velocity.rms == 1.0 and stored.acceleration.kurtosis == 3.0
    assert stored.timestamp == reading.timestamp


def test_seed_indexes_exist():
    def keys(table):
        info = connection.get_collection(table).index_information()
        return {tuple(spec["key"]) for spec in info.values()}

    assert (("customer", 1),) in keys("machines")
    assert (("area", 1), ("subarea", 1)) in keys("machines")
    assert (("machine_id", 1),) in keys("bearings")
    assert (("machine_id", 1), ("timestamp", -1)) in keys("readings")
    assert (("bearing_id", 1), ("timestamp", -1)) in keys("readings")
    assert (("timestamp", -1), ("_id", -1)) in keys("readings")
    assert (("external_id", 1),) in keys("readings")
    assert (("reading_id", 1),) in keys("spectra")


def test_migrations_apply_on_an_empty_database_and_are_complete():
    db = connection.get_database()
    names = set(db.list_collection_names())
    assert {"machines", "bearings", "readings", "spectra", "ingestion_runs"} <= names
    # Every model change has a committed migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    # Migrating again from scratch on a fresh database works.
    call_command("migrate", "monitoring", "zero", verbosity=0)
    assert "readings" not in set(db.list_collection_names())
    call_command("migrate", verbosity=0)
    assert "readings" in set(db.list_collection_names())
    assert Machine.objects.count() == 0


# -- the stored spectrum's codec ------------------------------------------------------------


def test_spectrum_amplitudes_round_trip_as_little_endian_float32():
    x = np.random.default_rng(5).standard_normal(1000).astype(np.float32)
    data = Spectrum.encode_amplitudes(x)
    assert len(data) == 4000
    assert data[:4] == np.float32(x[0]).astype("<f4").tobytes()
    back = Spectrum.decode_amplitudes(data)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, x)
    back[0] = 1.0  # writable copy, not a view of the bytes


def test_truncated_spectrum_drops_the_partial_float_and_logs(caplog):
    data = Spectrum.encode_amplitudes(np.arange(3, dtype=np.float32)) + b"\x01\x02"
    with caplog.at_level("WARNING", logger="monitoring.models"):
        back = Spectrum.decode_amplitudes(data)
    np.testing.assert_array_equal(back, [0.0, 1.0, 2.0])
    assert "dropping the last 2 bytes" in caplog.text
    assert Spectrum.decode_amplitudes(b"\x00" * 3).size == 0
    assert Spectrum.decode_amplitudes(None).size == 0
