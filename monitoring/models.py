"""The monitoring data model: machines, bearings, readings, spectra, rollups, ingestion runs.

Collections are shaped for the two hot paths: lists and KPIs read the latest state that
ingestion denormalizes onto machines and bearings (never sorting readings), and dashboards read
hourly rollups (their cost grows with buckets, not readings). Spectra live in their own
collection so no list or time-series query ever loads them.
"""

import logging
import math
import zlib
from collections.abc import Mapping

import numpy as np
from django.conf import settings
from django.db import models
from django_mongodb_backend.fields import ArrayField, EmbeddedModelField, ObjectIdField
from django_mongodb_backend.models import EmbeddedModel

from monitoring import indicators

logger = logging.getLogger(__name__)


class Status(models.TextChoices):
    """ISO 10816 evaluation zones A-D, in increasing severity."""

    NORMAL = "Normal", "Normal (zone A)"
    SATISFACTORY = "Satisfactory", "Satisfactory (zone B)"
    ALERT = "Alert", "Alert (zone C)"
    UNACCEPTABLE = "Unacceptable", "Unacceptable (zone D)"


STATUS_SEVERITY = {status.value: rank for rank, status in enumerate(Status)}
ALERT_STATUSES = (Status.ALERT.value, Status.UNACCEPTABLE.value)


def worst_status(statuses) -> str | None:
    """The most severe of some statuses (None when there are none)."""
    known = [s for s in statuses if s in STATUS_SEVERITY]
    return max(known, key=STATUS_SEVERITY.__getitem__) if known else None


class MachineGroup(models.IntegerChoices):
    """ISO 10816-3 machine groups."""

    LARGE = 1, "Group 1: large machines, 300 kW - 50 MW"
    MEDIUM = 2, "Group 2: medium machines, 15 - 300 kW"


class Foundation(models.TextChoices):
    """ISO 10816-3 foundation classes."""

    RIGID = "rigid", "Rigid"
    FLEXIBLE = "flexible", "Flexible"


class Machine(models.Model):
    """A monitored machine (pump, fan, motor ...) of one customer's plant."""

    external_id = models.CharField(max_length=64, unique=True, help_text="The vendor's id.")
    machine_name = models.CharField(max_length=200)
    customer = models.CharField(max_length=100)
    area = models.CharField(max_length=100, blank=True, default="")
    subarea = models.CharField(max_length=100, blank=True, default="")
    machine_type = models.CharField(max_length=100, blank=True, default="")
    running_speed_rpm = models.FloatField(
        null=True, blank=True, help_text="Nominal running speed (rpm)."
    )
    iso_group = models.PositiveSmallIntegerField(
        choices=MachineGroup.choices, default=MachineGroup.MEDIUM
    )
    foundation = models.CharField(
        max_length=10, choices=Foundation.choices, default=Foundation.RIGID
    )
    notes = models.TextField(blank=True, default="", help_text="Staff notes; never overwritten.")
    # Set while an owner move (customer/area, copied onto bearings, readings and rollups) is
    # under way: the owners its copies may be spread over until it completes. The next
    # catalogue sync finishes an interrupted move (monitoring.services.machine_owner_propagate).
    pending_owners = models.JSONField(
        default=list, blank=True,
        help_text="[customer, area] pairs of an unfinished owner move; empty normally.",
    )  # fmt: skip
    # Denormalized latest state, maintained by ingestion: lists and KPIs never sort readings.
    status = models.CharField(
        max_length=20, choices=Status.choices, null=True, blank=True,
        help_text="Worst latest status of its bearings; empty until the first reading.",
    )  # fmt: skip
    last_reading_at = models.DateTimeField(null=True, blank=True)
    bearing_count = models.PositiveIntegerField(default=0)
    # Denormalized by the alarm services: open (active) alarms by severity, and their total.
    open_alarms = models.JSONField(default=dict, blank=True, help_text="severity -> count")
    open_alarm_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "machines"
        ordering = ["machine_name"]
        indexes = [
            models.Index(fields=["customer"], name="machine_customer"),
            models.Index(fields=["area", "subarea"], name="machine_area_subarea"),
            models.Index(fields=["customer", "machine_name"], name="machine_customer_name"),
            models.Index(fields=["machine_name"], name="machine_name"),
            models.Index(fields=["status"], name="machine_status"),
            models.Index(fields=["open_alarm_count"], name="machine_open_alarms"),
        ]

    def __str__(self) -> str:
        return f"{self.machine_name} ({self.customer})"


class Direction(models.TextChoices):
    """The axis a measurement point's sensor measures along."""

    HORIZONTAL = "horizontal", "Horizontal"
    VERTICAL = "vertical", "Vertical"
    AXIAL = "axial", "Axial"


class Bearing(models.Model):
    """A measurement point on a machine: one bearing with its sensor."""

    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="bearings")
    external_id = models.CharField(max_length=64, unique=True, help_text="The vendor's id.")
    bearing_location = models.CharField(max_length=100, help_text="e.g. Motor DE, Pump NDE.")
    bearing_type = models.CharField(max_length=100, blank=True, default="", help_text="e.g. 6205")
    position = models.CharField(max_length=100, blank=True, default="")
    # Geometry for bearing fault frequencies (BPFO, BPFI, BSF, FTF); optional.
    rolling_elements = models.PositiveSmallIntegerField(null=True, blank=True)
    ball_diameter_mm = models.FloatField(null=True, blank=True)
    pitch_diameter_mm = models.FloatField(null=True, blank=True)
    contact_angle_deg = models.FloatField(null=True, blank=True, default=0.0)
    # Behind a gearbox a bearing turns slower or faster than the machine's driving shaft: its
    # fault frequencies, 1x and ISO band follow this speed (Bearing.shaft_hz).
    shaft_speed_rpm = models.FloatField(
        null=True, blank=True,
        help_text="Speed of the shaft this bearing carries (rpm); empty: the machine's speed.",
    )  # fmt: skip
    measurement_direction = models.CharField(
        max_length=10, choices=Direction.choices, null=True, blank=True,
        help_text="Axis the sensor measures along; empty when the vendor does not say.",
    )  # fmt: skip
    # Denormalized from the machine so filters by customer need no $lookup.
    customer = models.CharField(max_length=100, blank=True, default="")
    # Latest state, maintained by ingestion.
    status = models.CharField(max_length=20, choices=Status.choices, null=True, blank=True)
    last_reading_id = ObjectIdField(null=True, blank=True)
    last_reading_at = models.DateTimeField(null=True, blank=True)
    last_velocity_rms = models.FloatField(null=True, blank=True, help_text="mm/s")
    last_acceleration_rms = models.FloatField(null=True, blank=True, help_text="g")
    last_temperature = models.FloatField(null=True, blank=True, help_text="deg C")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "bearings"
        ordering = ["machine_id", "bearing_location"]
        indexes = [
            models.Index(fields=["customer"], name="bearing_customer"),
            # The stale-sensor check: bearings silent since a time, without a scan.
            models.Index(fields=["last_reading_at"], name="bearing_last_reading"),
        ]

    def __str__(self) -> str:
        return f"{self.bearing_location} [{self.external_id}]"

    # Geometry for fault frequencies; the first three are required, the angle defaults to 0.
    GEOMETRY_FIELDS = ("rolling_elements", "ball_diameter_mm", "pitch_diameter_mm",
                       "contact_angle_deg")  # fmt: skip

    @staticmethod
    def geometry_complete(values: Mapping) -> bool:
        """Whether these field values (a stored document) allow fault frequencies."""
        return all(values.get(f) for f in Bearing.GEOMETRY_FIELDS[:3])

    @staticmethod
    def shaft_hz(bearing: Mapping | None, machine: Mapping | None) -> float | None:
        """The speed (Hz) of the shaft a bearing carries: its own, else its machine's; None if
        neither is a positive number. Takes stored documents (or field-value mappings)."""
        speeds = ((bearing or {}).get("shaft_speed_rpm"), (machine or {}).get("running_speed_rpm"))
        for rpm in speeds:
            if isinstance(rpm, int | float) and math.isfinite(rpm) and rpm > 0:
                return float(rpm) / 60.0
        return None

    @property
    def has_geometry(self) -> bool:
        """Whether fault frequencies can be computed for this bearing."""
        return self.geometry_complete({f: getattr(self, f) for f in self.GEOMETRY_FIELDS})


def _abstract(name: str, base: type, fields: dict, doc: str) -> type:
    """An abstract model holding ``fields``: how catalogue-derived fields join a model."""
    meta = type("Meta", (), {"abstract": True})
    return type(name, (base,), {"__module__": __name__, "__doc__": doc, "Meta": meta, **fields})


def _indicator_fields(group: str) -> dict:
    """The stored fields of one embedded indicator document, from the catalogue."""
    return {
        i.field: models.FloatField(help_text=i.help_text, null=i.nullable, blank=i.nullable)
        for i in indicators.in_group(group)
    }


class Acceleration(
    _abstract("AccelerationFields", EmbeddedModel, _indicator_fields("acceleration"), "")
):
    """Acceleration indicators of one measurement, in g."""


class Velocity(_abstract("VelocityFields", EmbeddedModel, _indicator_fields("velocity"), "")):
    """Velocity indicators of one measurement (ISO band), in mm/s."""


class DefectMatch(EmbeddedModel):
    """One defect type's lines in a reading's envelope spectrum."""

    frequency_hz = models.FloatField(help_text="Kinematic frequency at the bearing's shaft speed.")
    harmonics = ArrayField(
        models.FloatField(null=True), max_size=3,
        help_text="gE (0-peak) at 1x, 2x, 3x the frequency; null past the spectrum's end.",
    )  # fmt: skip


class DefectMatches(EmbeddedModel):
    """The envelope spectrum at each fault frequency of the bearing (its scores are indicators)."""

    bpfo = EmbeddedModelField(DefectMatch, null=True, blank=True)
    bpfi = EmbeddedModelField(DefectMatch, null=True, blank=True)
    bsf = EmbeddedModelField(DefectMatch, null=True, blank=True)
    ftf = EmbeddedModelField(DefectMatch, null=True, blank=True)


class Envelope(_abstract("EnvelopeFields", EmbeddedModel, _indicator_fields("envelope"), "")):
    """Envelope (demodulation) indicators of one measurement, in gE, and defect matches."""

    band_hz = ArrayField(
        models.FloatField(), max_size=2, help_text="[low, high] Hz band demodulated."
    )
    defects = EmbeddedModelField(DefectMatches, null=True, blank=True)


class Reading(models.Model):
    """One measurement of one bearing: indicators and status (its spectrum lives apart)."""

    external_id = models.CharField(
        max_length=100, unique=True, help_text="The vendor's measurement id: ingestion's key."
    )
    # No single-field indexes: the (machine, -timestamp) and (bearing, -timestamp) ones cover them.
    machine = models.ForeignKey(
        Machine, on_delete=models.CASCADE, related_name="readings", db_index=False
    )
    bearing = models.ForeignKey(
        Bearing, on_delete=models.CASCADE, related_name="readings", db_index=False
    )
    # Denormalized so filters by customer or area need no $lookup into machines.
    customer = models.CharField(max_length=100, blank=True, default="")
    area = models.CharField(max_length=100, blank=True, default="")
    timestamp = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices)
    acceleration = EmbeddedModelField(Acceleration)
    velocity = EmbeddedModelField(Velocity)
    envelope = EmbeddedModelField(Envelope, null=True, blank=True)
    temperature = models.FloatField(null=True, blank=True, help_text="deg C")
    # How the velocity and status were measured; null on readings stored before they were kept.
    velocity_band_hz = ArrayField(
        models.FloatField(), max_size=2, null=True, blank=True,
        help_text="[low, high] Hz band of the velocity RMS (ISO, by the bearing's shaft speed).",
    )  # fmt: skip
    band_limited = models.BooleanField(
        null=True, blank=True,
        help_text="True when the sample rate cut the band's upper edge (velocity under-reads).",
    )  # fmt: skip
    zone_standard = models.CharField(
        max_length=40, null=True, blank=True, help_text="Standard of the zone (status)."
    )
    ingested_at = models.DateTimeField(null=True, blank=True)
    # Evidence staff keep: retention never thins a pinned reading's waveform or spectrum.
    pinned = models.BooleanField(
        default=False, help_text="Keep this reading's raw waveform past the retention window."
    )

    class Meta:
        db_table = "readings"
        ordering = ["-timestamp"]
        # The seed's (machine, -timestamp) and (bearing, -timestamp), one per customer, and
        # (-timestamp, -_id) for the unfiltered newest-first cursor (ties broken by _id).
        # Not (machine, -timestamp, -_id): SecantusDB answers a range on the middle key of a
        # three-key index wrongly (factory_site/compat.py, bug 3).
        indexes = [
            models.Index(fields=["machine", "-timestamp"], name="reading_machine_ts"),
            models.Index(fields=["bearing", "-timestamp"], name="reading_bearing_ts"),
            models.Index(fields=["customer", "-timestamp"], name="reading_customer_ts"),
            models.Index(fields=["-timestamp", "-id"], name="reading_ts_id"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} @ {self.timestamp:%Y-%m-%d %H:%M}"


class Spectrum(models.Model):
    """The acceleration amplitude spectrum of one reading, stored as float32 bytes."""

    reading = models.OneToOneField(Reading, on_delete=models.CASCADE, related_name="spectrum")
    sample_rate_hz = models.FloatField()
    n_samples = models.PositiveIntegerField(help_text="Samples in the source waveform.")
    resolution_hz = models.FloatField(help_text="Line spacing (Hz).")
    n_lines = models.PositiveIntegerField()
    window = models.CharField(max_length=20, default="hann")
    amplitude_unit = models.CharField(max_length=10, default="g")
    amplitudes = models.BinaryField(help_text="Little-endian float32, one per line from 0 Hz.")

    class Meta:
        db_table = "spectra"

    def __str__(self) -> str:
        return f"spectrum of {self.reading_id}"

    @staticmethod
    def encode_amplitudes(amplitudes) -> bytes:
        """The stored form of an amplitude array: little-endian float32 bytes."""
        return np.ascontiguousarray(amplitudes, dtype="<f4").tobytes()

    @staticmethod
    def decode_amplitudes(data: bytes) -> np.ndarray:
        """Stored bytes back to a writable float32 array; a truncated tail is dropped.

        Stored data is trusted, but a payload cut short (a bad restore, a hand edit) must
        still draw as a spectrum, in the API and in the admin, not fail the page.
        """
        data = bytes(data or b"")
        stray = len(data) % 4
        if stray:
            logger.warning(
                "spectrum amplitudes of %d bytes are not whole float32 values; "
                "dropping the last %d bytes",
                len(data), stray,
            )  # fmt: skip
            data = data[: len(data) - stray]
        return np.frombuffer(data, dtype="<f4").astype(np.float32)


class Waveform(models.Model):
    """A reading's raw acceleration waveform as the vendor sent it (lossless).

    ``data`` holds the vendor's little-endian samples (int16 counts x ``scale`` g, or float32 g,
    times ``scale`` when one was sent), as sent (``compression`` "none", what ingestion
    writes: the storage engine compresses blocks) or zlib-packed (waveforms stored before);
    decoding repeats the ingestion's arithmetic exactly, so spectra derived from it equal those
    computed at ingestion.
    """

    class Encoding(models.TextChoices):
        INT16 = "int16", "int16 counts x scale"
        FLOAT32 = "float32", "float32 g"

    class Tier(models.TextChoices):
        DAILY = "daily", "Kept past the raw window: one per bearing and day"
        EVIDENCE = "evidence", "Kept past the raw window: evidence (pinned, alarms)"

    class Compression(models.TextChoices):
        NONE = "none", "The samples as sent"
        ZLIB = "zlib", "zlib of the samples (waveforms stored before December 2026)"

    DTYPES = {"int16": np.dtype("<i2"), "float32": np.dtype("<f4")}

    reading = models.OneToOneField(Reading, on_delete=models.CASCADE, related_name="waveform")
    sample_rate_hz = models.FloatField()
    n_samples = models.PositiveIntegerField()
    encoding = models.CharField(max_length=10, choices=Encoding.choices)
    scale = models.FloatField(
        null=True, blank=True, help_text="g per count (int16); a factor on float32 if sent."
    )
    compression = models.CharField(
        max_length=10, choices=Compression.choices, default=Compression.NONE
    )
    data = models.BinaryField(help_text="The little-endian samples as the vendor sent them.")
    stored_bytes = models.PositiveIntegerField(default=0, help_text="Size of data (bytes).")
    # Null inside the raw window; set by retention on the waveforms it keeps beyond it.
    tier = models.CharField(max_length=10, choices=Tier.choices, null=True, blank=True)

    class Meta:
        db_table = "waveforms"
        # Tier storage figures for /api/stats: (tier, stored_bytes) covers their sums.
        indexes = [models.Index(fields=["tier", "stored_bytes"], name="waveform_tier_bytes")]

    def __str__(self) -> str:
        return f"waveform of {self.reading_id}"

    @classmethod
    def raw_samples(cls, doc: Mapping) -> bytes:
        """The vendor's sample bytes of a stored document (ValueError if corrupt)."""
        raw = bytes(doc.get("data") or b"")
        compression = doc.get("compression") or cls.Compression.NONE
        if compression == cls.Compression.ZLIB:
            try:
                raw = zlib.decompress(raw)
            except zlib.error as exc:
                raise ValueError(f"waveform data does not decompress: {exc}") from None
        elif compression != cls.Compression.NONE:
            raise ValueError(f"unknown waveform compression {compression!r}")
        dtype = cls.DTYPES.get(doc.get("encoding"))
        if dtype is None or len(raw) % dtype.itemsize:
            raise ValueError(f"waveform of {len(raw)} bytes is not {doc.get('encoding')!r}")
        declared = doc.get("n_samples")
        if declared is not None and len(raw) != declared * dtype.itemsize:
            # Truncated or overwritten data: unpacked bytes have no checksum to catch it.
            raise ValueError(f"waveform of {len(raw)} bytes does not hold its {declared} samples")
        return raw

    @classmethod
    def samples_g(cls, doc: Mapping) -> np.ndarray:
        """Float64 samples in g, computed as ingestion.wire.decode_waveform does (same bits)."""
        raw = cls.raw_samples(doc)
        samples = np.frombuffer(raw, dtype=cls.DTYPES[doc["encoding"]]).astype(np.float64)
        scale = doc.get("scale")
        if scale is not None:
            samples *= scale
        return samples


class MetricAggregate(EmbeddedModel):
    """Count, sum, min and max of one indicator over a bucket."""

    count = models.PositiveIntegerField(default=0)
    sum = models.FloatField(default=0.0)
    min = models.FloatField(null=True)
    max = models.FloatField(null=True)


class StatusCounts(EmbeddedModel):
    """Readings per ISO zone in a bucket."""

    Normal = models.PositiveIntegerField(default=0)
    Satisfactory = models.PositiveIntegerField(default=0)
    Alert = models.PositiveIntegerField(default=0)
    Unacceptable = models.PositiveIntegerField(default=0)


def _rollup_fields(catalogue) -> dict:
    """One aggregate per indicator, from the catalogue."""
    return {
        i.rollup_field: EmbeddedModelField(MetricAggregate, null=True, blank=True)
        for i in catalogue
    }


_BearingRollupMetrics = _abstract(
    "BearingRollupMetrics", models.Model, _rollup_fields(indicators.INDICATORS), ""
)
_AreaRollupMetrics = _abstract(
    "AreaRollupMetrics", models.Model, _rollup_fields(indicators.HEADLINE), ""
)


class BearingHourlyRollup(_BearingRollupMetrics):
    """Per bearing and UTC hour: count, per-status counts and sum/min/max of each indicator."""

    bearing = models.ForeignKey(Bearing, on_delete=models.CASCADE, related_name="+", db_index=False)
    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.CharField(max_length=100, blank=True, default="")
    area = models.CharField(max_length=100, blank=True, default="")
    hour = models.DateTimeField(help_text="Start of the UTC hour.")
    count = models.PositiveIntegerField(default=0)
    statuses = EmbeddedModelField(StatusCounts, null=True, blank=True)

    class Meta:
        db_table = "rollups_bearing_hourly"
        constraints = [
            models.UniqueConstraint(fields=["bearing", "hour"], name="rollup_bearing_hour_unique"),
        ]
        indexes = [models.Index(fields=["machine", "hour"], name="rollup_machine_hour")]

    def __str__(self) -> str:
        return f"{self.bearing_id} {self.hour:%Y-%m-%d %H:00}"


class AreaHourlyRollup(_AreaRollupMetrics):
    """Per customer, area and UTC hour: what the dashboard KPIs and trends read."""

    customer = models.CharField(max_length=100)
    area = models.CharField(max_length=100, blank=True, default="")
    hour = models.DateTimeField(help_text="Start of the UTC hour.")
    count = models.PositiveIntegerField(default=0)
    statuses = EmbeddedModelField(StatusCounts, null=True, blank=True)

    class Meta:
        db_table = "rollups_area_hourly"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "area", "hour"], name="rollup_area_hour_unique"
            ),
        ]
        indexes = [models.Index(fields=["hour"], name="rollup_area_hour")]

    def __str__(self) -> str:
        return f"{self.customer}/{self.area} {self.hour:%Y-%m-%d %H:00}"


class IngestionRun(models.Model):
    """One run of the ingestion: what it covered, what it did, how it ended."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed, some records skipped"
        FAILED = "failed", "Failed"

    date_from = models.DateField()
    date_to = models.DateField()
    customer = models.CharField(max_length=100, blank=True, default="")
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, default=Outcome.RUNNING)
    machines_seen = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0, help_text="New readings written.")
    duplicates = models.PositiveIntegerField(default=0, help_text="Already stored; left alone.")
    skipped = models.PositiveIntegerField(default=0)
    skip_reasons = models.JSONField(default=dict, blank=True, help_text="reason -> count")
    skipped_examples = models.JSONField(default=list, blank=True, help_text="First skipped ids.")
    retries = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    host = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        db_table = "ingestion_runs"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="ingestion_run_started")]

    def __str__(self) -> str:
        return f"run {self.date_from}..{self.date_to} {self.outcome}"


class RetentionRun(models.Model):
    """One run of apply_retention: what it removed per tier and how far it got."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    cutoff = models.DateTimeField(help_text="Raw waveforms older than this were thinned.")
    thinned_before = models.DateTimeField(
        null=True, blank=True, help_text="Every UTC day before this is thinned (resume point)."
    )
    days = models.PositiveIntegerField(default=0)
    waveforms_removed = models.PositiveIntegerField(default=0)
    waveform_bytes_removed = models.PositiveBigIntegerField(default=0)
    spectra_removed = models.PositiveIntegerField(default=0)
    spectrum_bytes_removed = models.PositiveBigIntegerField(default=0)
    kept_daily = models.PositiveIntegerField(default=0)
    kept_evidence = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "retention_runs"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="retention_run_started")]

    def __str__(self) -> str:
        return f"retention {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class IngestionLock(models.Model):
    """A named lease that keeps two ingestion runs apart; it expires if its holder dies."""

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "ingestion_locks"

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at}"


class CustomerAccess(models.Model):
    """Which customers' plants a (non-staff) user may see; staff see every customer."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_access"
    )
    customers = ArrayField(
        models.CharField(max_length=100), default=list, blank=True,
        help_text="Customer names, comma-separated, exactly as on machines.",
    )  # fmt: skip

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer (read-only)"
        ENGINEER = "engineer", "Engineer (acts on alarms)"

    role = models.CharField(
        max_length=10, choices=Role.choices, default=Role.VIEWER, blank=True,
        help_text="Engineers act on alarms (ack, assign, comment, close); empty is viewer.",
    )  # fmt: skip

    class Meta:
        db_table = "customer_access"
        verbose_name_plural = "customer access"

    def __str__(self) -> str:
        return f"{self.user}: {', '.join(self.customers) or 'no customers'}"


class WaveformTierTotal(models.Model):
    """Running count and bytes of stored raw waveforms in one retention tier (for /api/stats).

    Kept by the writers (ingestion adds to "raw", retention moves and removes, unpinning moves
    back) in the same transaction as the change, and recounted by every retention run, so
    reading them costs three documents instead of a scan of every waveform.
    """

    RAW, DAILY, EVIDENCE = "raw", "daily", "evidence"

    tier = models.CharField(max_length=10, primary_key=True)
    count = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)

    class Meta:
        db_table = "waveform_tier_totals"

    def __str__(self) -> str:
        return f"{self.tier}: {self.count} waveforms, {self.bytes} bytes"


class DataVersion(models.Model):
    """A counter ingestion bumps whenever it changes data: part of every dashboard cache key."""

    #: The one counter the dashboards, stats and caches read.
    DASHBOARD = "dashboard"

    name = models.CharField(max_length=50, primary_key=True)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "data_versions"

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


# Alarm models live in their subpackage; importing them here registers them in this app.
from monitoring.alarms.models import (  # noqa: E402,F401
    Alarm,
    AlarmRecipient,
    AlarmRule,
    AuditEvent,
    Baseline,
)
