"""The compiled renderer: stored documents render as DRF's declared fields describe them.

``render`` writes every response from a plan compiled from the serializers' declared fields,
which also describe the response in the OpenAPI schema. DRF's own ``.data`` over model
instances is the oracle here (never a runtime path); a field type the plan does not know fails
when the plan is compiled.
"""

import datetime as dt

import pytest
from rest_framework import serializers

from monitoring.api.render import DocumentSerializer, RenderMixin, compile_all
from monitoring.api.serializers import (
    BearingSerializer,
    LatestReadingSerializer,
    MachineBearingSerializer,
    MachineDetailSerializer,
    MachineSerializer,
    ReadingSerializer,
)
from monitoring.models import Bearing, Machine, Reading
from monitoring.mongo import collection
from monitoring.services import latest_state_rebuild
from tests.factories import BearingFactory, MachineFactory, ReadingFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 10, 5, 30, 123000, tzinfo=dt.UTC)


@pytest.fixture
def plant():
    """A measured machine (latest state filled in) and one never measured (nulls, defaults)."""
    measured = MachineFactory(customer="Acme", area="Boilers", subarea="")
    idle = MachineFactory(customer="Globex", running_speed_rpm=None)
    BearingFactory(machine=measured, rolling_elements=9, ball_diameter_mm=7.94)
    BearingFactory(machine=measured, rolling_elements=None, ball_diameter_mm=None)
    BearingFactory(machine=idle)
    for i, bearing in enumerate(Bearing.objects.filter(machine=measured)):
        ReadingFactory(bearing=bearing, timestamp=T0 + dt.timedelta(minutes=i), temperature=None)
    latest_state_rebuild()
    return measured, idle


def _doc(model, pk):
    return collection(model).find_one({"_id": pk})


def test_machines(plant):
    for machine in Machine.objects.all():
        machine.bearing_list = list(Bearing.objects.filter(machine=machine))
        doc = _doc(Machine, machine.pk)
        assert MachineSerializer.render(doc) == MachineSerializer(machine).data
        doc["bearing_list"] = [_doc(Bearing, b.pk) for b in machine.bearing_list]
        assert MachineDetailSerializer.render(doc) == MachineDetailSerializer(machine).data


def test_bearings(plant):
    for bearing in Bearing.objects.all():
        doc = _doc(Bearing, bearing.pk)
        assert BearingSerializer.render(doc) == BearingSerializer(bearing).data
        assert MachineBearingSerializer.render(doc) == MachineBearingSerializer(bearing).data


def test_readings_and_latest_readings(plant):
    readings = list(Reading.objects.all())
    assert readings
    for reading in readings:
        doc = _doc(Reading, reading.pk)
        rendered = ReadingSerializer.render(doc)
        assert rendered == ReadingSerializer(reading).data
        assert rendered["timestamp"].endswith("Z") and rendered["temperature"] is None
    for bearing in Bearing.objects.all():
        reading = Reading.objects.filter(pk=bearing.last_reading_id).first()
        reading_doc = _doc(Reading, reading.pk) if reading else None
        item = LatestReadingSerializer.render(
            {"bearing": _doc(Bearing, bearing.pk), "reading": reading_doc}
        )
        assert item == {
            "bearing_id": str(bearing.pk),
            "bearing_location": bearing.bearing_location,
            "bearing_type": bearing.bearing_type,
            "position": bearing.position,
            "reading": ReadingSerializer(reading).data if reading else None,
        }


def test_only_keeps_the_fields_asked_for(plant):
    doc = collection(Reading).find_one({})
    assert set(ReadingSerializer.render(doc, only=frozenset({"id", "velocity"}))) == {
        "id",
        "velocity",
    }


def test_a_missing_key_takes_the_model_default(plant):
    measured, _ = plant
    doc = _doc(Machine, measured.pk)
    del doc["subarea"], doc["bearing_count"]
    rendered = MachineSerializer.render(doc)
    assert rendered["subarea"] == Machine._meta.get_field("subarea").get_default()
    assert rendered["bearing_count"] == Machine._meta.get_field("bearing_count").get_default()


def test_spectrum(plant):
    import numpy as np
    import orjson

    from monitoring.api.serializers import FftSerializer
    from monitoring.renderers import ORJSONRenderer
    from monitoring.scope import Scope
    from monitoring.selectors import spectra
    from tests.factories import SpectrumFactory

    reading = Reading.objects.order_by("timestamp").first()
    SpectrumFactory(reading=reading)
    data = spectra.fft_get(scope=Scope.everything(), reading_id=reading.pk)
    assert isinstance(data["amplitudes"], np.ndarray)
    render = ORJSONRenderer().render
    fast, declared = FftSerializer.render(data), FftSerializer(data).data
    assert orjson.loads(render(fast)) == orjson.loads(render(declared))
    assert fast["peaks"] and set(fast["peaks"][0]) == {"frequency_hz", "amplitude", "order"}


def test_time_series_points_render_as_iso_z():
    """Points keep UTC datetimes for the renderer, which must write them exactly as iso_z."""
    import datetime as dt

    import orjson

    from monitoring.api.fields import PointsField, iso_z
    from monitoring.renderers import ORJSONRenderer

    berlin = dt.timezone(dt.timedelta(hours=1))
    times = [
        dt.datetime(2026, 3, 10, 12, 25, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 10, 12, 25, 0, 123000, tzinfo=dt.UTC),  # milliseconds kept
        dt.datetime(2026, 3, 10, 13, 25, 0, 1, tzinfo=berlin),  # converted, as before
        dt.datetime(2026, 3, 10, 12, 25, 59),  # naive: UTC
    ]
    points = PointsField().to_representation([(t, 1.5) for t in times])
    rendered = orjson.loads(ORJSONRenderer().render(points))
    assert rendered == [[iso_z(t), 1.5] for t in times]
    assert rendered[1][0] == "2026-03-10T12:25:00.123000Z"
    assert rendered[2][0] == "2026-03-10T12:25:00.000001Z"


def test_every_response_serializer_compiles():
    compile_all()
    assert MachineDetailSerializer in RenderMixin.registry
    assert all(cls.compile() is cls.compile() for cls in RenderMixin.registry)


def test_an_unsupported_field_type_fails_when_compiled():
    """A new field the renderer cannot convert must not pass values through silently."""

    class Sneaky(DocumentSerializer):
        name = serializers.CharField()
        computed = serializers.SerializerMethodField()

        def get_computed(self, obj):
            return 1

    try:
        with pytest.raises(TypeError, match="SerializerMethodField 'computed' of Sneaky"):
            Sneaky.compile()
        with pytest.raises(TypeError):
            compile_all()  # start-up fails the same way
    finally:
        RenderMixin.registry.remove(Sneaky)
