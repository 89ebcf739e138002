"""factory_boy factories for the monitoring models."""

import datetime as dt

import factory
import numpy as np
import pytest

from monitoring.models import (
    Acceleration,
    Bearing,
    IngestionRun,
    Machine,
    Reading,
    Spectrum,
    Status,
    Velocity,
    Waveform,
)


class MachineFactory(factory.django.DjangoModelFactory):
    """A machine of customer "Acme"."""

    class Meta:
        model = Machine

    external_id = factory.Sequence(lambda n: f"M-{n:04d}")
    machine_name = factory.Sequence(lambda n: f"Pump {n:03d}")
    customer = "Acme"
    area = "Utilities"
    subarea = "Cooling"
    machine_type = "Pump"
    running_speed_rpm = 1500.0
    iso_group = 2
    foundation = "rigid"


class BearingFactory(factory.django.DjangoModelFactory):
    """A 6205 deep-groove ball bearing on a machine."""

    class Meta:
        model = Bearing

    machine = factory.SubFactory(MachineFactory)
    external_id = factory.Sequence(lambda n: f"B-{n:05d}")
    bearing_location = factory.Sequence(lambda n: f"DE {n}")
    bearing_type = "6205"
    position = "horizontal"
    rolling_elements = 9
    ball_diameter_mm = 7.94
    pitch_diameter_mm = 38.5
    contact_angle_deg = 0.0
    customer = factory.SelfAttribute("machine.customer")


class ReadingFactory(factory.django.DjangoModelFactory):
    """A Normal reading of a bearing at a given time."""

    class Meta:
        model = Reading

    external_id = factory.Sequence(lambda n: f"R-{n:07d}")
    bearing = factory.SubFactory(BearingFactory)
    machine = factory.SelfAttribute("bearing.machine")
    customer = factory.SelfAttribute("machine.customer")
    area = factory.SelfAttribute("machine.area")
    timestamp = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    status = Status.NORMAL
    acceleration = factory.LazyFunction(
        lambda: Acceleration(rms=0.2, peak=0.6, crest_factor=3.0, kurtosis=3.0)
    )
    velocity = factory.LazyFunction(lambda: Velocity(rms=1.0, peak=1.4, crest_factor=1.4))
    temperature = 40.0
    # As ingestion stores them for a 1500 rpm machine sampled at 5120 Hz.
    velocity_band_hz = factory.LazyFunction(lambda: [10.0, 1000.0])
    band_limited = False
    zone_standard = "ISO 20816-3:2022"


class SpectrumFactory(factory.django.DjangoModelFactory):
    """A spectrum with one peak at 25 Hz (1x at 1500 rpm) of 0.5 g."""

    class Meta:
        model = Spectrum

    reading = factory.SubFactory(ReadingFactory)
    sample_rate_hz = 5120.0
    n_samples = 4096
    resolution_hz = 1.25
    n_lines = 2048
    amplitudes = factory.LazyFunction(
        lambda: np.where(np.arange(2048) == 20, 0.5, 0.001).astype("<f4").tobytes()
    )


def waveform_counts(n: int = 4096, sample_rate_hz: float = 5120.0, seed: int = 7) -> np.ndarray:
    """int16 counts of a 25 Hz tone plus a 3 kHz resonance struck at ~BPFO of the 6205 at
    1500 rpm (89.6 Hz) and a little noise: something for every spectrum and the envelope."""
    t = np.arange(n) / sample_rate_hz
    rng = np.random.default_rng(seed)
    strikes = np.exp(-((t * 89.6) % 1.0) * 20.0) * np.sin(2 * np.pi * 3000.0 * t)
    x = 0.5 * np.sin(2 * np.pi * 25.0 * t) + 0.3 * strikes + 0.01 * rng.standard_normal(n)
    return np.rint(x / np.abs(x).max() * 32767).astype("<i2")


class WaveformFactory(factory.django.DjangoModelFactory):
    """A reading's raw waveform: int16 counts (``waveform_counts``) x 3e-5 g, as sent."""

    class Meta:
        model = Waveform

    reading = factory.SubFactory(ReadingFactory)
    sample_rate_hz = 5120.0
    n_samples = 4096
    encoding = "int16"
    scale = 3e-5
    compression = "none"
    data = factory.LazyFunction(lambda: waveform_counts().tobytes())
    stored_bytes = factory.LazyAttribute(lambda o: len(o.data))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # As ingestion does: the tier's running total counts the new waveform.
        from monitoring.services import waveform_tier_name, waveform_tiers_add

        waveform = super()._create(model_class, *args, **kwargs)
        tier = waveform_tier_name(waveform.tier)
        waveform_tiers_add(changes={tier: (1, waveform.stored_bytes)})
        return waveform


class IngestionRunFactory(factory.django.DjangoModelFactory):
    """A successful ingestion run of one day."""

    class Meta:
        model = IngestionRun

    date_from = dt.date(2026, 3, 9)
    date_to = dt.date(2026, 3, 9)
    started_at = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
    finished_at = dt.datetime(2026, 3, 10, 2, 5, tzinfo=dt.UTC)
    outcome = IngestionRun.Outcome.SUCCEEDED
    fetched = 15
    stored = 15


def velocity(rms: float) -> Velocity:
    """Velocity indicators with the given RMS (mm/s)."""
    return Velocity(rms=rms, peak=rms * 1.5, crest_factor=1.5)


# --------------------------------------------------------------------------------------------
# A small fleet with hand-countable readings, shared by the read-only API tests
# --------------------------------------------------------------------------------------------

#: The instant the fleet's dashboards are evaluated at (tests pin the selectors' clock to it).
FLEET_NOW = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.UTC)


def _at(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


#: (machine, bearing, time, status, velocity RMS mm/s, temperature deg C) of every reading.
FLEET_READINGS = [
    ("m1", "b1", _at(10, 10, 10), "Normal", 1.0, 40.0),
    ("m1", "b1", _at(10, 11, 10), "Normal", 1.2, 41.0),
    ("m1", "b1", _at(10, 11, 40), "Normal", 1.6, 43.0),
    ("m1", "b1", _at(10, 12, 10), "Satisfactory", 2.0, 42.0),
    ("m1", "b2", _at(10, 10, 10), "Normal", 0.8, 38.0),
    ("m1", "b2", _at(10, 11, 10), "Normal", 1.0, None),
    ("m1", "b2", _at(10, 12, 10), "Normal", 0.9, 39.0),
    ("m2", "b3", _at(9, 12, 20), "Normal", 1.1, 35.0),
    ("m2", "b3", _at(9, 12, 40), "Normal", 1.15, 35.5),
    ("m2", "b3", _at(9, 13, 20), "Normal", 1.3, 36.0),
    ("m2", "b3", _at(10, 12, 20), "Normal", 1.2, 36.0),
    ("m3", "b4", _at(10, 11, 0), "Satisfactory", 3.0, 50.0),
    ("m3", "b4", _at(10, 12, 0), "Alert", 5.0, 55.0),
    ("m4", "b5", _at(1, 8, 0), "Normal", 1.0, 30.0),
    ("m4", "b5", _at(10, 12, 25), "Unacceptable", 9.0, 70.0),
]


def build_fleet():
    """Five machines, six bearings, the readings above, one spectrum, one ingestion run.

    Rollups and latest state are rebuilt from the readings, as ingestion would maintain them.
    Returns a namespace with m1..m5, b1..b6, ``readings`` (in FLEET_READINGS order),
    ``spectrum`` (of b1's latest reading) and ``run``.
    """
    from types import SimpleNamespace

    from monitoring.services import latest_state_rebuild, rollups_rebuild

    ns = SimpleNamespace()
    ns.m1 = MachineFactory(
        machine_name="Boiler Feed Pump",
        customer="Acme",
        area="Utilities",
        subarea="Boiler house",
        machine_type="Pump",
    )
    ns.m2 = MachineFactory(
        machine_name="Cooling Fan",
        customer="Acme",
        area="Utilities",
        subarea="Cooling",
        machine_type="Fan",
        running_speed_rpm=None,
    )
    ns.m3 = MachineFactory(
        machine_name="Hydraulic Press",
        customer="Acme",
        area="Press shop",
        subarea="Line 1",
        machine_type="Press",
    )
    ns.m4 = MachineFactory(
        machine_name="Air Compressor",
        customer="Globex",
        area="Utilities",
        subarea="Compressed air",
        machine_type="Compressor",
    )
    ns.m5 = MachineFactory(
        machine_name="Spare Motor",
        customer="Globex",
        area="Workshop",
        subarea="",
        machine_type="Motor",
    )
    ns.b1 = BearingFactory(machine=ns.m1, bearing_location="Motor DE")
    ns.b2 = BearingFactory(machine=ns.m1, bearing_location="Pump NDE", bearing_type="6310")
    ns.b3 = BearingFactory(machine=ns.m2, bearing_location="Fan DE")
    ns.b4 = BearingFactory(machine=ns.m3, bearing_location="Main DE")
    ns.b5 = BearingFactory(machine=ns.m4, bearing_location="Screw DE")
    ns.b6 = BearingFactory(machine=ns.m5, bearing_location="Motor NDE")
    ns.readings = [
        ReadingFactory(
            bearing=getattr(ns, b),
            timestamp=ts,
            status=status,
            velocity=velocity(v),
            temperature=temp,
        )
        for _m, b, ts, status, v, temp in FLEET_READINGS
    ]
    ns.spectrum = SpectrumFactory(reading=ns.readings[3])
    # The same reading keeps its raw waveform too (served by /waveform and /envelope; /fft
    # answers from the stored spectrum, as for readings ingested before waveforms were kept).
    ns.waveform = WaveformFactory(reading=ns.readings[3])
    ns.run = IngestionRunFactory()
    rollups_rebuild()
    latest_state_rebuild()
    for name in ("m1", "m2", "m3", "m4", "m5", "b1", "b2", "b3", "b4", "b5", "b6"):
        getattr(ns, name).refresh_from_db()
    return ns


def wipe_monitoring_data():
    """Delete every monitoring document (what a test flush would do, for shared data)."""
    from django.apps import apps
    from django_mongodb_backend.models import EmbeddedModel

    from monitoring.mongo import collection

    for model in apps.get_app_config("monitoring").get_models():
        if not issubclass(model, EmbeddedModel):  # embedded models have no collection
            collection(model).delete_many({})


@pytest.fixture(scope="module")
def fleet(django_db_setup, django_db_blocker):
    """The shared fleet for a module of read-only tests, wiped when the module ends.

    Read-only tests use it without the django_db mark (so no flush after each one); pytest-django
    runs such tests after every flushing test, so the data cannot be wiped under them.
    """
    with django_db_blocker.unblock():
        wipe_monitoring_data()
        ns = build_fleet()
        yield ns
        wipe_monitoring_data()


@pytest.fixture
def fleet_db(fleet, django_db_blocker, monkeypatch):
    """Database access for a read-only test over the fleet, with the clock at FLEET_NOW."""
    from monitoring import clock

    monkeypatch.setattr(clock, "now", lambda: FLEET_NOW)
    with django_db_blocker.unblock():
        yield fleet


def fleet_fixtures():
    """The module's ``(fleet, fleet_db)`` fixtures: ``fleet, fleet_db = fleet_fixtures()``."""
    return fleet, fleet_db
