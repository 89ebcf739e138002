"""API serializers: explicit fields, ids as 24-hex strings, timestamps in UTC with ``Z``.

Output serializers describe exactly what the views return (the OpenAPI schema is generated
from them); the ``*QuerySerializer`` classes validate query parameters of endpoints that are
more than a filtered list.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from bson import ObjectId
from django.core.exceptions import FieldDoesNotExist
from django_mongodb_backend import fields as mongo_fields
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from monitoring import selectors
from monitoring.filters import MAX_VALUE_LENGTH, MAX_VALUES, parse_aware_datetime, split_values
from monitoring.models import Bearing, IngestionRun, Machine, Reading

OBJECT_ID_SCHEMA = {
    "type": "string",
    "pattern": "^[0-9a-f]{24}$",
    "example": "6650f1c2a1b2c3d4e5f60718",
}


def iso_z(value: dt.datetime) -> str:
    """An aware or naive-UTC datetime as ISO 8601 in UTC with a ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------------------------
# Fields
# --------------------------------------------------------------------------------------------


@extend_schema_field(OBJECT_ID_SCHEMA)
class ObjectIdField(serializers.Field):
    """An ObjectId as its 24-hex string (read) or parsed from one (write)."""

    default_error_messages = {"invalid": "Enter a valid id (24 hexadecimal characters)."}

    def to_representation(self, value):
        return str(value)

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) == 24 and ObjectId.is_valid(data):
            return ObjectId(data)
        self.fail("invalid")


class ObjectIdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object's ObjectId as a 24-hex string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", ObjectIdField())
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """ISO 8601 with a UTC offset in (naive input is refused), UTC with ``Z`` out."""

    def to_internal_value(self, data):
        from django import forms

        try:
            return parse_aware_datetime(str(data))
        except forms.ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value):
        return iso_z(value)


class MultiChoiceField(serializers.Field):
    """Values from a repeated or comma-separated query parameter, each one of ``choices``."""

    def __init__(self, *, choices, **kwargs):
        self.choices = list(choices)
        super().__init__(**kwargs)
        # Per instance, since the enum differs: drf-spectacular reads it for the parameter.
        items = {"type": "string", "maxLength": MAX_VALUE_LENGTH}
        if self.choices:
            items = {"type": "string", "enum": self.choices}
        extend_schema_field({"type": "array", "items": items})(self)

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            raw = dictionary.getlist(self.field_name)
            return raw if raw else serializers.empty
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        raw = data if isinstance(data, list | tuple) else [data]
        if any(len(str(item)) > MAX_VALUE_LENGTH for item in raw):
            raise serializers.ValidationError(f"At most {MAX_VALUE_LENGTH} characters.")
        values = split_values(raw)
        if not values:
            raise serializers.ValidationError("At least one value is required.")
        if len(values) > MAX_VALUES or any(len(v) > MAX_VALUE_LENGTH for v in values):
            raise serializers.ValidationError("Too many or too long values.")
        unknown = [v for v in values if v not in self.choices]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown value(s) {', '.join(unknown)}; expected any of {', '.join(self.choices)}."
            )
        return list(dict.fromkeys(values))  # duplicates dropped, order kept

    def to_representation(self, value):
        return value


class MultiValueField(MultiChoiceField):
    """Free-text values from a repeated or comma-separated query parameter."""

    def __init__(self, **kwargs):
        super().__init__(choices=(), **kwargs)

    def to_internal_value(self, data):
        raw = data if isinstance(data, list | tuple) else [data]
        values = split_values(raw)
        # Each occurrence, commas included, is at most MAX_VALUE_LENGTH (as the schema says).
        too_long = any(len(str(item)) > MAX_VALUE_LENGTH for item in raw)
        if too_long or len(values) > MAX_VALUES:
            raise serializers.ValidationError(
                f"At most {MAX_VALUES} values of at most {MAX_VALUE_LENGTH} characters."
            )
        return values


@extend_schema_field(
    {
        "type": "array",
        "items": {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "number"}]},
        "minItems": 2,
        "maxItems": 2,
        "example": ["2026-03-29T10:00:00Z", 1.25],
    }
)
class PointField(serializers.Field):
    """One time-series point: [timestamp (UTC, Z), value]."""

    def to_representation(self, value):
        when, number = value
        return [iso_z(when), number]


class PointsField(serializers.ListField):
    """A list of points, serialized in one pass (series can hold thousands of points)."""

    child = PointField()

    def to_representation(self, data):
        # Times in UTC are left to the JSON renderer, which writes them as iso_z would
        # (monitoring/renderers.py) in C: ~1 us a point saved, thousands of points a series.
        return [[when if when.tzinfo is dt.UTC else iso_z(when), number] for when, number in data]


# --------------------------------------------------------------------------------------------
# Documents: the hot endpoints' fast path
# --------------------------------------------------------------------------------------------


def _optional(convert):
    return lambda value: None if value is None else convert(value)


def _document_converter(field: serializers.Field):
    """How one serializer field turns a stored document value into its JSON value."""
    if isinstance(field, serializers.ListSerializer):
        child = type(field.child)
        return lambda value: [child.from_document(item) for item in value or ()]
    if isinstance(field, DocumentSerializerMixin):
        return _optional(type(field).from_document)
    if isinstance(field, ObjectIdField | serializers.RelatedField):
        return _optional(str)
    if isinstance(field, AwareDateTimeField | serializers.DateTimeField):
        return _optional(iso_z)
    if isinstance(field, serializers.FloatField):
        return _optional(float)
    if isinstance(field, serializers.IntegerField):
        return _optional(int)
    return lambda value: value


class DocumentSerializerMixin:
    """Serializers that also render a stored MongoDB document, without per-field machinery.

    ``from_document(doc)`` gives what ``Serializer(instance).data`` gives for the model
    instance of that document (a test holds the two equal), at a fraction of the cost: the
    hot endpoints read documents with pymongo and render them with it, while the declared
    fields keep describing the response in the OpenAPI schema.
    """

    @classmethod
    def document_plan(cls) -> list[tuple]:
        """(output name, document key, converter, default) per field, built once per class."""
        plan = cls.__dict__.get("_document_plan")
        if plan is None:
            model = getattr(getattr(cls, "Meta", None), "model", None)
            plan = []
            for name, field in cls().fields.items():
                key, default = field.source, None
                if model is not None and field.source != "*":
                    try:
                        model_field = model._meta.get_field(field.source)
                    except FieldDoesNotExist:
                        model_field = None
                    if model_field is not None:
                        key = model_field.column
                        default = model_field.get_default() if model_field.has_default() else None
                plan.append((name, key, _document_converter(field), default))
            cls._document_plan = plan
        return plan

    @classmethod
    def from_document(cls, doc: dict) -> dict:
        """The serialized form of a stored document (missing keys take the model default)."""
        return {
            name: convert(doc.get(key, default))
            for name, key, convert, default in cls.document_plan()
        }


# --------------------------------------------------------------------------------------------
# Model serializers
# --------------------------------------------------------------------------------------------


class BaseModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that maps ObjectId fields to 24-hex strings (once, for every model)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        mongo_fields.ObjectIdAutoField: ObjectIdField,
        mongo_fields.ObjectIdField: ObjectIdField,
    }
    serializer_related_field = ObjectIdRelatedField


class MachineSerializer(DocumentSerializerMixin, BaseModelSerializer):
    """A machine in a list: descriptive fields and its denormalized latest state."""

    class Meta:
        model = Machine
        fields = [
            "id",
            "machine_name",
            "customer",
            "area",
            "subarea",
            "machine_type",
            "status",
            "bearing_count",
            "last_reading_at",
        ]
        read_only_fields = fields


class MachineBearingSerializer(DocumentSerializerMixin, BaseModelSerializer):
    """A bearing as listed inside its machine."""

    class Meta:
        model = Bearing
        fields = [
            "id",
            "bearing_location",
            "bearing_type",
            "position",
            "status",
            "last_reading_at",
        ]
        read_only_fields = fields


class MachineDetailSerializer(MachineSerializer):
    """One machine with its bearings."""

    bearings = MachineBearingSerializer(many=True, read_only=True, source="bearing_list")

    class Meta(MachineSerializer.Meta):
        fields = [
            *MachineSerializer.Meta.fields,
            "running_speed_rpm",
            "iso_group",
            "foundation",
            "bearings",
        ]
        read_only_fields = fields


class BearingSerializer(DocumentSerializerMixin, BaseModelSerializer):
    """A bearing with its geometry and latest state."""

    machine_id = ObjectIdField(read_only=True)
    last_reading_id = ObjectIdField(read_only=True, allow_null=True)

    class Meta:
        model = Bearing
        fields = [
            "id",
            "machine_id",
            "customer",
            "bearing_location",
            "bearing_type",
            "position",
            "rolling_elements",
            "ball_diameter_mm",
            "pitch_diameter_mm",
            "contact_angle_deg",
            "status",
            "last_reading_id",
            "last_reading_at",
            "last_velocity_rms",
            "last_acceleration_rms",
            "last_temperature",
        ]
        read_only_fields = fields


class AccelerationSerializer(DocumentSerializerMixin, serializers.Serializer):
    """Acceleration indicators (g)."""

    rms = serializers.FloatField(help_text="g RMS")
    peak = serializers.FloatField(help_text="g")
    crest_factor = serializers.FloatField(help_text="peak / RMS")
    kurtosis = serializers.FloatField(help_text="Pearson kurtosis (Gaussian = 3)")


class VelocitySerializer(DocumentSerializerMixin, serializers.Serializer):
    """Velocity indicators (mm/s, 10-1000 Hz)."""

    rms = serializers.FloatField(help_text="mm/s RMS")
    peak = serializers.FloatField(help_text="mm/s")
    crest_factor = serializers.FloatField(help_text="peak / RMS")


READING_FIELDS = [
    "id",
    "machine_id",
    "bearing_id",
    "customer",
    "area",
    "timestamp",
    "status",
    "acceleration",
    "velocity",
    "temperature",
]


class ReadingSerializer(DocumentSerializerMixin, BaseModelSerializer):
    """One reading's indicators and status (never its spectrum).

    ``context["fields"]``, when given, keeps only those fields (the ``fields`` parameter).
    """

    machine_id = ObjectIdField(read_only=True)
    bearing_id = ObjectIdField(read_only=True)
    acceleration = AccelerationSerializer(read_only=True)
    velocity = VelocitySerializer(read_only=True)

    class Meta:
        model = Reading
        fields = READING_FIELDS
        read_only_fields = fields

    def get_fields(self):
        fields = super().get_fields()
        wanted = self.context.get("fields")
        if wanted:
            fields = {name: field for name, field in fields.items() if name in wanted}
        return fields


class ReadingFieldsSerializer(ReadingSerializer):
    """Schema of ``/api/data/query`` items: with ``fields``, only the fields asked for appear.

    Used for documentation only; the view serializes with :class:`ReadingSerializer`.
    """

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            # Not read-only and not required: drf-spectacular then lists no field as required.
            field.read_only, field.required = False, False
        return fields


class LatestReadingSerializer(serializers.Serializer):
    """A bearing of the machine and its latest reading (null before the first one)."""

    bearing_id = ObjectIdField(source="bearing.pk")
    bearing_location = serializers.CharField(source="bearing.bearing_location")
    bearing_type = serializers.CharField(source="bearing.bearing_type")
    position = serializers.CharField(source="bearing.position")
    reading = ReadingSerializer(allow_null=True)

    def to_representation(self, instance):
        bearing, reading = instance
        return super().to_representation({"bearing": bearing, "reading": reading})

    @classmethod
    def from_documents(cls, bearing: dict, reading: dict | None) -> dict:
        """The item for a stored bearing document and its latest reading document (or None)."""
        return {
            "bearing_id": str(bearing["_id"]),
            "bearing_location": bearing.get("bearing_location", ""),
            "bearing_type": bearing.get("bearing_type", ""),
            "position": bearing.get("position", ""),
            "reading": None if reading is None else ReadingSerializer.from_document(reading),
        }


class IngestionRunSerializer(BaseModelSerializer):
    """When the last ingestion ran and how it ended."""

    class Meta:
        model = IngestionRun
        fields = [
            "id",
            "started_at",
            "finished_at",
            "outcome",
            "date_from",
            "date_to",
            "customer",
            "fetched",
            "stored",
            "duplicates",
            "skipped",
        ]
        read_only_fields = fields


class ErrorSerializer(serializers.Serializer):
    """The one error format of the API."""

    detail = serializers.CharField(help_text="What went wrong, for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per offending parameter or field (empty when not about input).",
    )


# --------------------------------------------------------------------------------------------
# Time series
# --------------------------------------------------------------------------------------------


class TimeseriesQuerySerializer(serializers.Serializer):
    """Parameters of ``/api/machines/{id}/timeseries``."""

    start = AwareDateTimeField(
        required=False, help_text="Range start (ISO 8601 with offset); default end - 7 days."
    )
    end = AwareDateTimeField(required=False, help_text="Range end (ISO 8601 with offset); now.")
    bearing_id = serializers.CharField(
        required=False,
        max_length=MAX_VALUE_LENGTH,
        help_text="Only this bearing of the machine (24-hex id); unknown: 404.",
    )
    metrics = MultiChoiceField(
        choices=list(selectors.METRICS),
        required=False,
        help_text="Repeat or comma-separate; default velocity.rms, acceleration.rms, temperature.",
    )
    interval = serializers.ChoiceField(
        choices=selectors.INTERVALS,
        required=False,
        help_text="raw readings, or hour/day buckets from rollups. Default: the finest giving "
        f"at most ~{selectors.TARGET_POINTS} points per series; raw over "
        f"{selectors.MAX_POINTS} points per series is refused.",
    )
    agg = serializers.ChoiceField(
        choices=selectors.AGGREGATES,
        default="avg",
        help_text="Bucket aggregate (hour/day): avg, max or min. Ignored for raw.",
    )

    def validate(self, attrs):
        end = attrs.get("end") or selectors.current_time()
        start = attrs.get("start") or end - dt.timedelta(days=7)
        if start > end:
            raise serializers.ValidationError({"start": ["start must not be after end."]})
        attrs["start"], attrs["end"] = start, end
        attrs.setdefault("metrics", list(selectors.DEFAULT_METRICS))
        return attrs


class SeriesSerializer(serializers.Serializer):
    """One metric of one bearing."""

    bearing_id = ObjectIdField()
    bearing_location = serializers.CharField()
    metric = serializers.ChoiceField(choices=list(selectors.METRICS))
    unit = serializers.CharField()
    points = PointsField(help_text="[timestamp (UTC), value], oldest first.")


class TimeseriesSerializer(serializers.Serializer):
    """Series of a machine over a range."""

    machine_id = ObjectIdField()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    interval = serializers.ChoiceField(choices=selectors.INTERVALS)
    agg = serializers.ChoiceField(
        choices=selectors.AGGREGATES, allow_null=True, help_text="null for raw readings."
    )
    units = serializers.DictField(child=serializers.CharField(), help_text="metric -> unit")
    series = SeriesSerializer(many=True)


# --------------------------------------------------------------------------------------------
# Spectra
# --------------------------------------------------------------------------------------------


class PeakSerializer(DocumentSerializerMixin, serializers.Serializer):
    """A spectral peak."""

    frequency_hz = serializers.FloatField()
    amplitude = serializers.FloatField(help_text="In amplitude_unit.")
    order = serializers.FloatField(
        allow_null=True, help_text="Frequency / running speed (null when the speed is unknown)."
    )


class FaultFrequenciesSerializer(DocumentSerializerMixin, serializers.Serializer):
    """Bearing defect frequencies (Hz) for the running speed."""

    bpfo = serializers.FloatField(help_text="Ball pass frequency, outer race (Hz).")
    bpfi = serializers.FloatField(help_text="Ball pass frequency, inner race (Hz).")
    bsf = serializers.FloatField(help_text="Ball spin frequency (Hz).")
    ftf = serializers.FloatField(help_text="Fundamental train (cage) frequency (Hz).")


class FloatListField(serializers.ListField):
    """A list of floats in one pass (a spectrum holds thousands; the child field documents it).

    A numpy array passes through as it is: the JSON renderer encodes it natively.
    """

    def to_representation(self, data):
        if hasattr(data, "dtype"):
            return data
        return [float(value) for value in data]


class FftSerializer(DocumentSerializerMixin, serializers.Serializer):
    """A reading's amplitude spectrum with peaks and fault-frequency markers."""

    reading_id = ObjectIdField()
    machine_id = ObjectIdField()
    bearing_id = ObjectIdField()
    timestamp = AwareDateTimeField()
    sample_rate_hz = serializers.FloatField()
    n_samples = serializers.IntegerField(help_text="Samples in the source waveform.")
    resolution_hz = serializers.FloatField(help_text="Frequency resolution (line spacing).")
    n_lines = serializers.IntegerField()
    window = serializers.CharField()
    frequency_unit = serializers.ChoiceField(choices=["Hz"])
    amplitude_unit = serializers.CharField(help_text="e.g. g")
    running_speed_hz = serializers.FloatField(allow_null=True)
    frequencies = FloatListField(child=serializers.FloatField(), help_text="Hz")
    amplitudes = FloatListField(child=serializers.FloatField(), help_text="amplitude_unit")
    peaks = PeakSerializer(many=True, help_text="Largest peaks, largest first.")
    fault_frequencies = FaultFrequenciesSerializer(
        allow_null=True, help_text="null unless bearing geometry and running speed are known."
    )


# --------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------


def _validate_tz(value: str) -> str:
    """An IANA time-zone name, or a validation error naming the value."""
    try:
        return zoneinfo.ZoneInfo(value).key
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise serializers.ValidationError(
            f"Unknown time zone {value[:64]!r}; use an IANA name such as Europe/Berlin."
        ) from None


class DashboardQuerySerializer(serializers.Serializer):
    """Customer and area filters of the dashboard endpoints."""

    customer = MultiValueField(required=False, help_text="Customer(s); repeat or comma-separate.")
    area = MultiValueField(required=False, help_text="Area(s); repeat or comma-separate.")


class HourlyTrendQuerySerializer(DashboardQuerySerializer):
    """Parameters of ``/api/dashboard/trends/hourly``."""

    hours = serializers.IntegerField(
        default=24, min_value=1, max_value=720, help_text="Number of hours, current one included."
    )
    tz = serializers.CharField(
        default="UTC",
        max_length=64,
        validators=[_validate_tz],
        help_text="IANA time zone of the hour boundaries.",
    )


class StatusTrendQuerySerializer(DashboardQuerySerializer):
    """Parameters of ``/api/dashboard/trends/status``."""

    days = serializers.IntegerField(
        default=7, min_value=1, max_value=90, help_text="Number of days, today included."
    )
    tz = serializers.CharField(
        default="UTC",
        max_length=64,
        validators=[_validate_tz],
        help_text="IANA time zone of the day boundaries.",
    )


class StatusCountsSerializer(serializers.Serializer):
    """Counts per ISO 10816 status; all four keys always present."""

    Normal = serializers.IntegerField()
    Satisfactory = serializers.IntegerField()
    Alert = serializers.IntegerField()
    Unacceptable = serializers.IntegerField()


class MachineStatusCountsSerializer(StatusCountsSerializer):
    """Machines per latest status, plus those without readings yet."""

    no_data = serializers.IntegerField()


class KpiSerializer(serializers.Serializer):
    """Fleet KPIs."""

    generated_at = AwareDateTimeField()
    machines_total = serializers.IntegerField()
    machines_by_status = MachineStatusCountsSerializer()
    machines_in_alert = serializers.IntegerField(help_text="Alert + Unacceptable.")
    healthy_share = serializers.FloatField(
        allow_null=True,
        help_text="(Normal + Satisfactory) / machines with data, 0-1; null without data.",
    )
    bearings_total = serializers.IntegerField()
    readings_last_24h = serializers.IntegerField(help_text="Exact count over the last 24 h.")
    last_ingestion = IngestionRunSerializer(allow_null=True)


class HourlyBucketSerializer(serializers.Serializer):
    """One local hour."""

    start = AwareDateTimeField(help_text="Bucket start (UTC).")
    local_start = serializers.CharField(help_text="The same instant in the requested zone.")
    count = serializers.IntegerField()
    velocity_rms_avg = serializers.FloatField(allow_null=True, help_text="mm/s")
    velocity_rms_max = serializers.FloatField(allow_null=True, help_text="mm/s")
    temperature_avg = serializers.FloatField(allow_null=True, help_text="°C")
    alert_count = serializers.IntegerField(help_text="Readings with Alert or Unacceptable.")


class HourlyTrendSerializer(serializers.Serializer):
    """Readings per local hour, oldest first; empty hours have count 0."""

    tz = serializers.CharField()
    hours = serializers.IntegerField()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    buckets = HourlyBucketSerializer(many=True)


class DayStatusSerializer(serializers.Serializer):
    """Readings per status in one local day."""

    date = serializers.DateField(help_text="Local date.")
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    hours = serializers.IntegerField(help_text="23 or 25 on DST changes.")
    counts = StatusCountsSerializer()
    total = serializers.IntegerField()


class StatusTrendSerializer(serializers.Serializer):
    """Readings per status per local day, oldest first."""

    tz = serializers.CharField()
    days = DayStatusSerializer(many=True)


# --------------------------------------------------------------------------------------------
# Utility
# --------------------------------------------------------------------------------------------


class HealthSerializer(serializers.Serializer):
    """Liveness and database reachability."""

    status = serializers.ChoiceField(choices=["ok", "error"])
    database = serializers.ChoiceField(choices=["ok", "unreachable"])
    database_latency_ms = serializers.FloatField(allow_null=True)
    version = serializers.CharField()
    time = AwareDateTimeField()


class CollectionCountsSerializer(serializers.Serializer):
    """Documents per collection (estimated counts)."""

    machines = serializers.IntegerField(allow_null=True)
    bearings = serializers.IntegerField(allow_null=True)
    readings = serializers.IntegerField(allow_null=True)
    spectra = serializers.IntegerField(allow_null=True)
    bearing_hourly_rollups = serializers.IntegerField(allow_null=True)
    area_hourly_rollups = serializers.IntegerField(allow_null=True)
    ingestion_runs = serializers.IntegerField(allow_null=True)


class StatsSerializer(serializers.Serializer):
    """System statistics."""

    collections = CollectionCountsSerializer()
    storage_size_bytes = serializers.IntegerField(allow_null=True)
    data_size_bytes = serializers.IntegerField(allow_null=True)
    index_size_bytes = serializers.IntegerField(allow_null=True)
    oldest_reading_at = AwareDateTimeField(allow_null=True)
    newest_reading_at = AwareDateTimeField(allow_null=True)
    last_ingestion = IngestionRunSerializer(allow_null=True)
    app_version = serializers.CharField()
    server_version = serializers.CharField(allow_null=True)


class ReadingQuerySerializer(serializers.Serializer):
    """The ``fields`` parameter of ``/api/data/query``."""

    fields = MultiChoiceField(
        choices=READING_FIELDS,
        required=False,
        help_text="Fields to return (repeat or comma-separate); default all.",
    )
