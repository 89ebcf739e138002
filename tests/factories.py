"""factory_boy factories for the monitoring models."""

import datetime as dt

import factory
import numpy as np

from monitoring.models import (
    Acceleration,
    Bearing,
    Machine,
    Reading,
    Spectrum,
    Status,
    Velocity,
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
