"""Response serializers (rendered from documents by compiled plans) and query parameters.

Output serializers describe exactly what the views return: the OpenAPI schema is generated
from them and ``render`` writes every response from the same declaration. The
``*QuerySerializer`` classes validate each endpoint's query parameters (400 naming them).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

from django_mongodb_backend import fields as mongo_fields
from rest_framework import serializers

from monitoring import clock, indicators
from monitoring.api.fields import (
    MAX_VALUE_LENGTH,
    AwareDateTimeField,
    FloatListField,
    MultiValueField,
    ObjectIdField,
    ObjectIdParamField,
    PointsField,
    StrictBooleanField,
)
from monitoring.api.render import DocumentSerializer, RenderMixin
from monitoring.models import Bearing, IngestionRun, Machine, Reading, Status
from monitoring.selectors import catalogue, timeseries

STATUSES = [s.value for s in Status]
ZONE_HELP = (
    "Evaluation zone of the velocity RMS (ISO 20816-3:2022, whose housing boundaries are those of "
    "ISO 10816-3) for the machine's group and foundation: Normal (A), Satisfactory (B), Alert "
    "(C), Unacceptable (D); a value exactly on a boundary goes to the worse zone."
)

# --------------------------------------------------------------------------------------------
# Model-backed responses
# --------------------------------------------------------------------------------------------


class ObjectIdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object's ObjectId as a 24-hex string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", ObjectIdField())
        super().__init__(**kwargs)


class DocumentModelSerializer(RenderMixin, serializers.ModelSerializer):
    """Fields from a model (ObjectIds as 24-hex strings), rendered from its stored documents."""

    abstract = True
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        mongo_fields.ObjectIdAutoField: ObjectIdField,
        mongo_fields.ObjectIdField: ObjectIdField,
    }
    serializer_related_field = ObjectIdRelatedField


class MachineSerializer(DocumentModelSerializer):
    """A machine in a list: descriptive fields and its denormalized latest state."""

    open_alarms = serializers.DictField(
        child=serializers.IntegerField(), read_only=True,
        help_text="Active alarms by severity (warning, alert, danger); empty before any.",
    )  # fmt: skip

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
            "open_alarm_count",
            "open_alarms",
        ]
        read_only_fields = fields
        extra_kwargs = {"status": {"help_text": f"The worst zone of its bearings. {ZONE_HELP}"}}


class MachineBearingSerializer(DocumentModelSerializer):
    """A bearing as listed inside its machine."""

    class Meta:
        model = Bearing
        fields = [
            "id",
            "bearing_location",
            "bearing_type",
            "position",
            "shaft_speed_rpm",
            "measurement_direction",
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


class BearingSerializer(DocumentModelSerializer):
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
            "shaft_speed_rpm",
            "measurement_direction",
            "status",
            "last_reading_id",
            "last_reading_at",
            "last_velocity_rms",
            "last_acceleration_rms",
            "last_temperature",
        ]
        read_only_fields = fields


def _indicator_serializer(group: str, doc: str, **extra: serializers.Field) -> type:
    """The serializer of one embedded indicator document, from the catalogue (plus ``extra``
    fields of the document that are not indicators)."""
    declared = {
        i.field: serializers.FloatField(help_text=i.help_text, allow_null=i.nullable)
        for i in indicators.in_group(group)
    }
    name = f"{group.title()}Serializer"
    attrs = {"__doc__": doc, "__module__": __name__, **declared, **extra}
    return type(name, (DocumentSerializer,), attrs)


def _band_field(help_text: str, **kwargs) -> serializers.ListField:
    """A [low, high] frequency band in Hz."""
    return serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, help_text=help_text, **kwargs
    )


AccelerationSerializer = _indicator_serializer("acceleration", "Acceleration indicators (g).")
VelocitySerializer = _indicator_serializer(
    "velocity", "Velocity indicators (mm/s, in the reading's velocity_band_hz)."
)
EnvelopeSerializer = _indicator_serializer(
    "envelope",
    "Envelope (demodulation) indicators (gE) and bearing-defect match scores.",
    band_hz=_band_field("[low, high] Hz band demodulated."),
)

READING_FIELDS = [
    "id",
    "machine_id",
    "bearing_id",
    "customer",
    "area",
    "timestamp",
    "status",
    *indicators.groups(),
    *(i.field for i in indicators.INDICATORS if i.group is None),
    "velocity_band_hz",
    "band_limited",
    "zone_standard",
]


class ReadingSerializer(DocumentModelSerializer):
    """One reading's indicators and status (never its spectrum)."""

    machine_id = ObjectIdField(read_only=True)
    bearing_id = ObjectIdField(read_only=True)
    acceleration = AccelerationSerializer(read_only=True)
    velocity = VelocitySerializer(read_only=True)
    envelope = EnvelopeSerializer(
        read_only=True, allow_null=True, help_text="null on readings stored without it."
    )
    velocity_band_hz = _band_field(
        "[low, high] Hz band of the velocity RMS: ISO 20816-3 by the bearing's shaft speed "
        "(2-1000 Hz from 120 to 600 rpm, else 10-1000 Hz), the upper edge cut to Nyquist if "
        "needed; null on readings stored before it was kept.",
        read_only=True, allow_null=True,
    )  # fmt: skip

    class Meta:
        model = Reading
        fields = READING_FIELDS
        read_only_fields = fields
        extra_kwargs = {"status": {"help_text": ZONE_HELP}}


class ReadingFieldsSerializer(ReadingSerializer):
    """Schema of ``/api/data/query`` items: with ``fields``, only the fields asked for appear."""

    abstract = True  # documentation only: the view renders with ReadingSerializer

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            # Not read-only and not required: drf-spectacular then lists no field as required.
            field.read_only, field.required = False, False
        return fields


class LatestReadingSerializer(DocumentSerializer):
    """A bearing of the machine and its latest reading (null before the first one)."""

    bearing_id = ObjectIdField(source="bearing._id")
    bearing_location = serializers.CharField(source="bearing.bearing_location")
    bearing_type = serializers.CharField(source="bearing.bearing_type")
    position = serializers.CharField(source="bearing.position")
    reading = ReadingSerializer(allow_null=True)


class IngestionRunSerializer(DocumentModelSerializer):
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


class SeriesSerializer(DocumentSerializer):
    """One metric of one bearing."""

    bearing_id = ObjectIdField()
    bearing_location = serializers.CharField()
    metric = serializers.ChoiceField(choices=list(timeseries.METRICS))
    unit = serializers.CharField()
    points = PointsField(help_text="[timestamp (UTC), value], oldest first.")


class TimeseriesSerializer(DocumentSerializer):
    """Series of a machine over a range."""

    machine_id = ObjectIdField()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    interval = serializers.ChoiceField(choices=timeseries.INTERVALS)
    agg = serializers.ChoiceField(
        choices=timeseries.AGGREGATES, allow_null=True, help_text="null for raw readings."
    )
    units = serializers.DictField(child=serializers.CharField(), help_text="metric -> unit")
    series = SeriesSerializer(many=True)


# --------------------------------------------------------------------------------------------
# Spectra
# --------------------------------------------------------------------------------------------


class PeakSerializer(DocumentSerializer):
    """A spectral peak."""

    frequency_hz = serializers.FloatField()
    amplitude = serializers.FloatField(help_text="In amplitude_unit.")
    order = serializers.FloatField(
        allow_null=True, help_text="Frequency / running speed (null when the speed is unknown)."
    )


class FaultFrequenciesSerializer(DocumentSerializer):
    """Bearing defect frequencies (Hz) for the running speed."""

    bpfo = serializers.FloatField(help_text="Ball pass frequency, outer race (Hz).")
    bpfi = serializers.FloatField(help_text="Ball pass frequency, inner race (Hz).")
    bsf = serializers.FloatField(
        help_text="Ball spin frequency (Hz): once per ball revolution (some tools show 2x, "
        "the rate at which a ball defect strikes both races)."
    )
    ftf = serializers.FloatField(help_text="Fundamental train (cage) frequency (Hz).")


class FftQuerySerializer(serializers.Serializer):
    """The units of ``/api/readings/{id}/fft``."""

    units = serializers.ChoiceField(
        choices=["acceleration", "velocity"],
        default="acceleration",
        help_text="acceleration: 0-peak g per line; velocity: mm/s RMS per line (a / (2 pi f) "
        "/ sqrt 2, zero below the ISO band's low edge for the bearing's shaft), where analysts "
        "read 1x, 2x and looseness.",
    )


class ReadingSignalSerializer(DocumentSerializer):
    """What every answer derived from one reading's waveform starts with."""

    reading_id = ObjectIdField()
    machine_id = ObjectIdField()
    bearing_id = ObjectIdField()
    timestamp = AwareDateTimeField()
    sample_rate_hz = serializers.FloatField()
    n_samples = serializers.IntegerField(help_text="Samples in the source waveform.")


class FftSerializer(ReadingSignalSerializer):
    """A reading's amplitude spectrum with peaks and fault-frequency markers."""

    resolution_hz = serializers.FloatField(help_text="Frequency resolution (line spacing).")
    n_lines = serializers.IntegerField()
    window = serializers.CharField(help_text="hann: amplitudes are corrected for its gain.")
    frequency_unit = serializers.ChoiceField(choices=["Hz"])
    amplitude_unit = serializers.CharField(
        help_text="g: 0-peak acceleration; mm/s: RMS velocity (units=velocity)."
    )
    running_speed_hz = serializers.FloatField(
        allow_null=True,
        help_text="Speed (Hz) of the shaft this bearing carries: the bearing's shaft_speed_rpm "
        "/ 60, else the machine's running speed (behind a gearbox they differ). Peak orders "
        "and fault frequencies are relative to it; null when neither is known.",
    )
    frequencies = FloatListField(child=serializers.FloatField(), help_text="Hz")
    amplitudes = FloatListField(
        child=serializers.FloatField(),
        help_text="0-peak amplitude per line in amplitude_unit (Hann window, amplitude-corrected: "
        "a sine of amplitude A reads A at its line).",
    )
    peaks = PeakSerializer(many=True, help_text="Largest peaks, largest first.")
    fault_frequencies = FaultFrequenciesSerializer(
        allow_null=True, help_text="null unless bearing geometry and running speed are known."
    )


class WaveformSerializer(ReadingSignalSerializer):
    """A reading's raw acceleration waveform, samples as stored (lossless)."""

    unit = serializers.ChoiceField(choices=["g"])
    encoding = serializers.ChoiceField(
        choices=["int16", "float32"], help_text="Sample type of `samples_b64` (little-endian)."
    )
    scale = serializers.FloatField(
        allow_null=True,
        help_text="g per int16 count; for float32 a factor (null: the samples are in g).",
    )
    samples_b64 = serializers.CharField(
        help_text="Base64 of the samples as the vendor sent them: acceleration in g = sample x "
        "scale (x 1 when scale is null). `?format=csv` gives `time_s,acceleration_g` rows."
    )


class EnvelopeHarmonicSerializer(DocumentSerializer):
    """One harmonic of a fault frequency and the largest envelope line found near it."""

    order = serializers.IntegerField(help_text="1, 2 or 3 x the fault frequency.")
    frequency_hz = serializers.FloatField(
        help_text="The matched line's frequency (the harmonic's, when past the spectrum)."
    )
    amplitude = serializers.FloatField(
        allow_null=True,
        help_text="Largest line within +-2 % (at least one line), 0-peak gE; null past the end.",
    )


class EnvelopeMarkerSerializer(DocumentSerializer):
    """A bearing fault frequency with its matched harmonics and match score."""

    name = serializers.ChoiceField(choices=["BPFO", "BPFI", "BSF", "FTF"])
    frequency_hz = serializers.FloatField(help_text="At the shaft speed (Hz).")
    harmonics = EnvelopeHarmonicSerializer(many=True)
    score = serializers.FloatField(
        allow_null=True,
        help_text="Geometric mean of the harmonics over the noise floor: noise ~1-4, a clear "
        "defect 15 and more.",
    )


class EnvelopeSpectrumSerializer(ReadingSignalSerializer):
    """A reading's envelope (demodulation) spectrum with bearing fault-frequency matches."""

    band_hz = FloatListField(
        child=serializers.FloatField(), help_text="Demodulated band [low, high] (Hz)."
    )
    rms = serializers.FloatField(help_text="RMS of the envelope (gE).")
    peak = serializers.FloatField(help_text="Peak of the envelope (gE).")
    noise_floor = serializers.FloatField(help_text="Median envelope-spectrum line (gE).")
    resolution_hz = serializers.FloatField()
    amplitude_unit = serializers.ChoiceField(choices=["gE"])
    shaft_hz = serializers.FloatField(allow_null=True, help_text="Shaft speed used (Hz).")
    frequencies = FloatListField(child=serializers.FloatField(), help_text="Hz")
    amplitudes = FloatListField(
        child=serializers.FloatField(),
        help_text="0-peak gE, Hann window, amplitude-corrected (a sine of A reads A).",
    )
    markers = EnvelopeMarkerSerializer(
        many=True,
        help_text="BPFO, BPFI, BSF, FTF; empty unless bearing geometry and shaft speed are known.",
    )


# --------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------


class StatusCountsSerializer(DocumentSerializer):
    """Counts per ISO 10816 status; all four keys always present."""

    Normal = serializers.IntegerField()
    Satisfactory = serializers.IntegerField()
    Alert = serializers.IntegerField()
    Unacceptable = serializers.IntegerField()


class MachineStatusCountsSerializer(StatusCountsSerializer):
    """Machines per latest status, plus those without readings yet."""

    no_data = serializers.IntegerField()


class KpiSerializer(DocumentSerializer):
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
    active_alarms_by_severity = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Active alarms on these machines by severity (warning, alert, danger).",
    )
    machines_with_alarm = serializers.IntegerField(help_text="Machines with an active alarm.")
    last_ingestion = IngestionRunSerializer(allow_null=True)


class HourlyBucketSerializer(DocumentSerializer):
    """One local hour."""

    start = AwareDateTimeField(help_text="Bucket start (UTC).")
    local_start = serializers.CharField(help_text="The same instant in the requested zone.")
    count = serializers.IntegerField()
    velocity_rms_avg = serializers.FloatField(allow_null=True, help_text="mm/s")
    velocity_rms_max = serializers.FloatField(allow_null=True, help_text="mm/s")
    temperature_avg = serializers.FloatField(allow_null=True, help_text="°C")
    alert_count = serializers.IntegerField(help_text="Readings with Alert or Unacceptable.")


class HourlyTrendSerializer(DocumentSerializer):
    """Readings per local hour, oldest first; empty hours have count 0."""

    tz = serializers.CharField()
    hours = serializers.IntegerField()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    buckets = HourlyBucketSerializer(many=True)


class DayStatusSerializer(DocumentSerializer):
    """Readings per status in one local day."""

    date = serializers.DateField(help_text="Local date.")
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    hours = serializers.IntegerField(help_text="23 or 25 on DST changes.")
    counts = StatusCountsSerializer()
    total = serializers.IntegerField()


class StatusTrendSerializer(DocumentSerializer):
    """Readings per status per local day, oldest first."""

    tz = serializers.CharField()
    days = DayStatusSerializer(many=True)


# --------------------------------------------------------------------------------------------
# Utility
# --------------------------------------------------------------------------------------------


class HealthSerializer(DocumentSerializer):
    """Liveness and database reachability."""

    status = serializers.ChoiceField(choices=["ok", "error"])
    database = serializers.ChoiceField(choices=["ok", "unreachable"])
    database_latency_ms = serializers.FloatField(allow_null=True)
    version = serializers.CharField()
    time = AwareDateTimeField()


class CollectionCountsSerializer(DocumentSerializer):
    """Documents per collection (estimated counts)."""

    machines = serializers.IntegerField(allow_null=True)
    bearings = serializers.IntegerField(allow_null=True)
    readings = serializers.IntegerField(allow_null=True)
    spectra = serializers.IntegerField(allow_null=True)
    bearing_hourly_rollups = serializers.IntegerField(allow_null=True)
    area_hourly_rollups = serializers.IntegerField(allow_null=True)
    ingestion_runs = serializers.IntegerField(allow_null=True)


class TierStorageSerializer(DocumentSerializer):
    """Raw waveforms in one retention tier."""

    count = serializers.IntegerField()
    bytes = serializers.IntegerField(help_text="Stored (compressed) waveform bytes.")


class WaveformTiersSerializer(DocumentSerializer):
    """Raw waveforms per retention tier."""

    raw = TierStorageSerializer(help_text="Inside the raw window: every reading's waveform.")
    daily = TierStorageSerializer(help_text="Past it: one per bearing and day (the worst).")
    evidence = TierStorageSerializer(help_text="Past it: kept as evidence (pinned readings).")


class RetentionNextRunSerializer(DocumentSerializer):
    """What the next `apply_retention` run would remove."""

    days = serializers.IntegerField(help_text="UTC days it would thin.")
    waveforms = serializers.IntegerField(
        allow_null=True, help_text="null when more than 3 days are due (use --dry-run)."
    )
    waveform_bytes = serializers.IntegerField(allow_null=True)
    spectra = serializers.IntegerField(allow_null=True, help_text="Legacy stored spectra.")


class RetentionStatsSerializer(DocumentSerializer):
    """Storage per retention tier (staff only)."""

    waveform_days = serializers.IntegerField(help_text="RETENTION_WAVEFORM_DAYS")
    cutoff = AwareDateTimeField(help_text="Days before this are thinned by the next run.")
    waveforms = WaveformTiersSerializer()
    next_run = RetentionNextRunSerializer()


class StatsSerializer(DocumentSerializer):
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
    retention = RetentionStatsSerializer(
        allow_null=True, help_text="Raw-data storage per retention tier; null for plant users."
    )


# --------------------------------------------------------------------------------------------
# Query parameters
# --------------------------------------------------------------------------------------------


def _multi(help_text: str, **kwargs) -> MultiValueField:
    return MultiValueField(required=False, help_text=help_text, **kwargs)


ORDERINGS = [f"{sign}{key}" for key in catalogue.MACHINE_SORT_KEYS for sign in ("", "-")]


class MachineQuerySerializer(serializers.Serializer):
    """Filters and ordering of ``/api/machines``."""

    customer = _multi("Customer name(s); repeat or comma-separate.")
    area = _multi("Area(s); repeat or comma-separate.")
    subarea = _multi("Subarea(s); repeat or comma-separate.")
    machine_type = _multi("Machine type(s); repeat or comma-separate.")
    status = _multi("Latest status(es); repeat or comma-separate.", choices=STATUSES)
    ordering = _multi(
        "Sort key(s), '-' for descending: machine_name (default), status (by severity), "
        "last_reading_at.",
        choices=ORDERINGS,
    )
    has_alarm = StrictBooleanField(
        required=False, help_text="true: machines with an active alarm; false: without."
    )

    FILTERS = ("customer", "area", "subarea", "machine_type", "status")


class MachineSearchQuerySerializer(MachineQuerySerializer):
    """The machine filters plus free text and an alert flag."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_VALUE_LENGTH,
        help_text="Case-insensitive substring of name, customer, area, subarea or type.",
    )
    has_alert = StrictBooleanField(
        required=False,
        help_text="true: status Alert or Unacceptable; false: anything else (or no data).",
    )


class BearingQuerySerializer(serializers.Serializer):
    """The machine filter of ``/api/bearings`` (an unknown machine is a 404)."""

    machine_id = serializers.CharField(
        required=False,
        max_length=MAX_VALUE_LENGTH,
        help_text="Only the bearings of this machine (24-hex id); unknown machine: 404.",
    )


class FiniteFloatField(serializers.FloatField):
    """A float bound; NaN and infinities are refused."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError("A finite number is required.")
        return value


class ReadingQuerySerializer(serializers.Serializer):
    """Filters and fields of ``/api/data/query``."""

    machine_id = ObjectIdParamField(required=False, help_text="Machine id (24-hex).")
    bearing_id = ObjectIdParamField(required=False, help_text="Bearing id (24-hex).")
    customer = _multi("Customer(s); repeat or comma-separate.")
    area = _multi("Area(s); repeat or comma-separate.")
    status = _multi("Status(es); repeat or comma-separate.", choices=STATUSES)
    start = AwareDateTimeField(
        required=False, help_text="Readings at or after this time (ISO 8601 with offset)."
    )
    end = AwareDateTimeField(
        required=False, help_text="Readings at or before this time (ISO 8601 with offset)."
    )
    min_velocity_rms = FiniteFloatField(required=False, help_text="Velocity RMS >= (mm/s).")
    max_velocity_rms = FiniteFloatField(required=False, help_text="Velocity RMS <= (mm/s).")
    fields = _multi(
        "Fields to return (repeat or comma-separate); default all.", choices=READING_FIELDS
    )

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and start > end:
            raise serializers.ValidationError({"start": ["start must not be after end."]})
        low, high = attrs.get("min_velocity_rms"), attrs.get("max_velocity_rms")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"min_velocity_rms": ["min_velocity_rms must not exceed max_velocity_rms."]}
            )
        return attrs


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
    metrics = _multi(
        "Repeat or comma-separate; default velocity.rms, acceleration.rms, temperature.",
        choices=list(timeseries.METRICS),
    )
    interval = serializers.ChoiceField(
        choices=timeseries.INTERVALS,
        required=False,
        help_text="raw readings, or hour/day buckets from rollups. Default: the finest giving "
        f"at most ~{timeseries.TARGET_POINTS} points per series; raw over "
        f"{timeseries.MAX_POINTS} points per series is refused.",
    )
    agg = serializers.ChoiceField(
        choices=timeseries.AGGREGATES,
        default="avg",
        help_text="Bucket aggregate (hour/day): avg, max or min. Ignored for raw.",
    )

    def validate(self, attrs):
        end = attrs.get("end") or clock.now()
        start = attrs.get("start") or end - dt.timedelta(days=7)
        if start > end:
            raise serializers.ValidationError({"start": ["start must not be after end."]})
        attrs["start"], attrs["end"] = start, end
        attrs.setdefault("metrics", list(timeseries.DEFAULT_METRICS))
        return attrs


def _validate_tz(value: str) -> str:
    """An IANA time-zone name, or a validation error naming the value."""
    try:
        return zoneinfo.ZoneInfo(value).key
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise serializers.ValidationError(
            f"Unknown time zone {value[:64]!r}; use an IANA name such as Europe/Berlin."
        ) from None


def _tz_field(what: str) -> serializers.CharField:
    return serializers.CharField(
        default="UTC",
        max_length=64,
        validators=[_validate_tz],
        help_text=f"IANA time zone of the {what} boundaries.",
    )


class DashboardQuerySerializer(serializers.Serializer):
    """Customer and area filters of the dashboard endpoints."""

    customer = _multi("Customer(s); repeat or comma-separate.")
    area = _multi("Area(s); repeat or comma-separate.")


class HourlyTrendQuerySerializer(DashboardQuerySerializer):
    """Parameters of ``/api/dashboard/trends/hourly``."""

    hours = serializers.IntegerField(
        default=24, min_value=1, max_value=720, help_text="Number of hours, current one included."
    )
    tz = _tz_field("hour")


class StatusTrendQuerySerializer(DashboardQuerySerializer):
    """Parameters of ``/api/dashboard/trends/status``."""

    days = serializers.IntegerField(
        default=7, min_value=1, max_value=90, help_text="Number of days, today included."
    )
    tz = _tz_field("day")


# --------------------------------------------------------------------------------------------
# Exports (CSV) and reports
# --------------------------------------------------------------------------------------------

DELIMITERS = [",", ";"]
EXPORT_DAYS = 30


def _delimiter_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=DELIMITERS,
        default=",",
        help_text="Cell separator: `,` or `;` (European Excel). Decimals always use a point, "
        "whatever the separator.",
    )


def _bom_field() -> StrictBooleanField:
    return StrictBooleanField(
        required=False,
        default=False,
        help_text="true: start with a UTF-8 byte order mark (Excel then reads UTF-8).",
    )


class ReadingExportQuerySerializer(ReadingQuerySerializer):
    """Parameters of ``/api/export/readings.csv``: the data/query filters plus the format."""

    metrics = _multi(
        "Indicators to write (repeat or comma-separate); default all.",
        choices=[i.name for i in indicators.INDICATORS],
    )
    tz = _tz_field("reading times")
    delimiter = _delimiter_field()
    bom = _bom_field()


# Every reading field is written (``metrics`` picks the indicators): no ``fields`` parameter.
del ReadingExportQuerySerializer._declared_fields["fields"]


class TrendExportQuerySerializer(serializers.Serializer):
    """Parameters of ``/api/export/trends.csv``."""

    level = serializers.ChoiceField(
        choices=["bearing", "area"],
        required=False,
        help_text="bearing: per bearing of `machine_id`; area: per customer and area. Default: "
        "bearing with `machine_id`, else area.",
    )
    interval = serializers.ChoiceField(
        choices=["hour", "day"], default="day", help_text="Bucket: hour, or day in `tz`."
    )
    machine_id = ObjectIdParamField(
        required=False, help_text="Machine id (24-hex); required with level=bearing."
    )
    bearing_id = ObjectIdParamField(
        required=False, help_text="Only this bearing of the machine (24-hex)."
    )
    customer = _multi("level=area: customer(s); repeat or comma-separate.")
    area = _multi("level=area: area(s); repeat or comma-separate.")
    start = AwareDateTimeField(
        required=False, help_text=f"Range start (ISO 8601 with offset); end - {EXPORT_DAYS} days."
    )
    end = AwareDateTimeField(required=False, help_text="Range end (ISO 8601 with offset); now.")
    tz = _tz_field("buckets and times")
    delimiter = _delimiter_field()
    bom = _bom_field()

    def validate(self, attrs):
        attrs.setdefault("level", "bearing" if "machine_id" in attrs else "area")
        if attrs["level"] == "bearing" and "machine_id" not in attrs:
            raise serializers.ValidationError({"machine_id": ["Required with level=bearing."]})
        if attrs["level"] == "area" and ("machine_id" in attrs or "bearing_id" in attrs):
            raise serializers.ValidationError(
                {"level": ["machine_id and bearing_id apply to level=bearing only."]}
            )
        if attrs["level"] == "bearing" and (attrs.get("customer") or attrs.get("area")):
            raise serializers.ValidationError(
                {"level": ["customer and area apply to level=area only."]}
            )
        attrs["end"] = attrs.get("end") or clock.now()
        attrs["start"] = attrs.get("start") or attrs["end"] - dt.timedelta(days=EXPORT_DAYS)
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": ["start must not be after end."]})
        return attrs
