"""Model constraints, status choices and migrations on an empty database."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection

from monitoring.models import Machine, Reading, Status, worst_status
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
