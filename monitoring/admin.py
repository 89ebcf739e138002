"""The staff console: browse and fix machines and bearings, browse readings and runs."""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from monitoring import admin_charts, indicators, retention
from monitoring.alarms.admin import AuditedAdminMixin  # also registers the alarm admin
from monitoring.models import (
    Bearing,
    CustomerAccess,
    IngestionLock,
    IngestionRun,
    Machine,
    Reading,
    RetentionRun,
    Status,
)

STATUS_COLOURS = {
    Status.NORMAL: "#2e7d32",  # zone A: green
    Status.SATISFACTORY: "#9acd32",  # zone B: yellow-green
    Status.ALERT: "#f57c00",  # zone C: orange
    Status.UNACCEPTABLE: "#c62828",  # zone D: red
}


def status_badge(status: str | None):
    """The status as a coloured pill matching its ISO zone."""
    if not status:
        return format_html('<span style="color:#777">{}</span>', "no data")
    colour = STATUS_COLOURS.get(status, "#777")
    text = "#000" if status == Status.SATISFACTORY else "#fff"
    return format_html(
        '<span style="background:{};color:{};padding:1px 8px;border-radius:8px">{}</span>',
        colour, text, status,
    )  # fmt: skip


def _unit(indicator) -> str:
    """A unit to print after a value ("1", dimensionless, prints nothing)."""
    return "" if indicator.unit == "1" else indicator.unit


def _indicator_value(reading: Reading, indicator):
    """An indicator's value on a reading instance (None where missing)."""
    value = reading
    for part in indicator.parts:
        value = getattr(value, part, None)
    return value


def _fmt(value, unit: str, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}g} {unit}"


#: What the vendor's catalogue owns: every ingestion run overwrites these, and a machine's
#: customer and area are copied onto its bearings, readings and rollups (moved together only by
#: the catalogue sync, monitoring.services.machine_owner_propagate). Read-only once stored, so
#: a staff edit can neither diverge from those copies nor be silently undone by the next run.
MACHINE_VENDOR_FIELDS = [
    "machine_name", "external_id", "customer", "area", "subarea", "machine_type",
    "running_speed_rpm", "iso_group", "foundation",
]  # fmt: skip
BEARING_VENDOR_FIELDS = [
    "external_id", "machine", "customer", "bearing_location", "bearing_type", "position",
    "rolling_elements", "ball_diameter_mm", "pitch_diameter_mm", "contact_angle_deg",
    "shaft_speed_rpm", "measurement_direction",
]  # fmt: skip
VENDOR_NOTE = (
    "From the vendor's catalogue: read-only here, every ingestion run sets these (a machine's "
    "customer and area move with all its data). Change them at the vendor."
)


class BearingInline(admin.TabularInline):
    """A machine's bearings (vendor-owned: read-only on a stored machine)."""

    model = Bearing
    extra = 0

    def has_delete_permission(self, request, obj=None):
        # obj is the machine: once it has readings, its bearings keep theirs too.
        if obj is not None and obj.last_reading_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        # The vendor's catalogue adds bearings to stored machines.
        return obj is None and super().has_add_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else []

    fields = [
        "external_id", "bearing_location", "bearing_type", "position",
        "rolling_elements", "ball_diameter_mm", "pitch_diameter_mm", "contact_angle_deg",
    ]  # fmt: skip
    show_change_link = True


class KeepsMeasuredDataMixin:
    """No deleting, in the admin, of machines or bearings that have readings.

    Deleting one would cascade to its readings while the hourly rollups and dashboards kept
    counting them; measured history is not something to lose by a click. Unmeasured (e.g.
    mistyped) ones can still be deleted, one at a time.
    """

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.last_reading_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # The bulk action would bypass the per-object check above.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Machine)
class MachineAdmin(AuditedAdminMixin, KeepsMeasuredDataMixin, admin.ModelAdmin):
    """Machines with their latest state; bearings inline."""

    list_display = [
        "machine_name", "customer", "area", "subarea", "machine_type",
        "status_display", "last_reading_at", "bearing_count",
    ]  # fmt: skip
    list_filter = ["customer", "area", "machine_type", "status"]
    search_fields = ["machine_name", "customer", "area"]
    ordering = ["machine_name"]
    inlines = [BearingInline]
    readonly_fields = ["status_display", "last_reading_at", "bearing_count", "latest_readings",
                       "velocity_trend"]  # fmt: skip
    fieldsets = [
        ("From the vendor", {"fields": MACHINE_VENDOR_FIELDS, "description": VENDOR_NOTE}),
        ("Staff", {"fields": ["notes"]}),
        ("Latest state", {"fields": ["status_display", "last_reading_at", "bearing_count",
                                     "latest_readings"]}),
        ("Trend", {"fields": ["velocity_trend"]}),
    ]  # fmt: skip
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        vendor = MACHINE_VENDOR_FIELDS if obj is not None else []
        return [*vendor, *self.readonly_fields]

    def save_formset(self, request, form, formset, change):
        # Bearings added with a new machine carry its customer, as the catalogue sync's do.
        for bearing in formset.save(commit=False):
            bearing.customer = form.instance.customer
        super().save_formset(request, form, formset, change)

    @admin.display(description="status", ordering="status")
    def status_display(self, obj: Machine):
        return status_badge(obj.status)

    @admin.display(description="latest reading per bearing")
    def latest_readings(self, obj: Machine):
        # Read from the bearings' denormalized latest state: one query, no reading sorts.
        bearings = list(obj.bearings.order_by("bearing_location")) if obj.pk else []
        if not bearings:
            return "no bearings"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    b.bearing_location,
                    status_badge(b.status),
                    b.last_reading_at or "-",
                    _fmt(b.last_velocity_rms, "mm/s"),
                    _fmt(b.last_acceleration_rms, "g"),
                    _fmt(b.last_temperature, "°C"),
                )
                for b in bearings
            ),
        )
        links = format_html_join(
            " ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:monitoring_reading_change", args=[b.last_reading_id]),
                 f"{b.bearing_location} reading")
                for b in bearings if b.last_reading_id
            ),
        )  # fmt: skip
        return format_html(
            "<table><thead><tr><th>Bearing</th><th>Status</th><th>Time</th>"
            "<th>Velocity RMS</th><th>Accel. RMS</th><th>Temperature</th></tr></thead>"
            "<tbody>{}</tbody></table><p>{}</p>",
            rows, links,
        )  # fmt: skip

    @admin.display(description="velocity trend (30 days)")
    def velocity_trend(self, obj: Machine):
        return admin_charts.machine_trend_html(obj.pk) if obj.pk else "no bearings"


@admin.register(Bearing)
class BearingAdmin(AuditedAdminMixin, KeepsMeasuredDataMixin, admin.ModelAdmin):
    """Bearings with their geometry and latest state."""

    list_display = [
        "bearing_location", "external_id", "machine", "bearing_type", "position",
        "status_display", "last_reading_at", "last_velocity_rms",
    ]  # fmt: skip
    list_filter = ["status", "customer", "machine", "bearing_type"]
    search_fields = ["external_id", "bearing_location", "bearing_type"]
    raw_id_fields = ["machine"]
    readonly_fields = [
        "customer", "status", "last_reading_id", "last_reading_at", "last_velocity_rms",
        "last_acceleration_rms", "last_temperature",
    ]  # fmt: skip
    fieldsets = [
        ("From the vendor", {"fields": BEARING_VENDOR_FIELDS, "description": VENDOR_NOTE}),
        ("Latest state", {"fields": readonly_fields[1:]}),
    ]
    list_select_related = False
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        vendor = BEARING_VENDOR_FIELDS if obj is not None else []
        return list(dict.fromkeys([*vendor, *self.readonly_fields]))

    def save_model(self, request, obj, form, change):
        if not change:  # the customer is its machine's, as the catalogue sync copies it
            obj.customer = obj.machine.customer
        super().save_model(request, obj, form, change)

    @admin.display(description="status", ordering="status")
    def status_display(self, obj: Bearing):
        return status_badge(obj.status)


class ReadingChangeList(ChangeList):
    """Loads the page's machines and bearings in two queries (no $lookup, no N+1)."""

    def get_results(self, request):
        super().get_results(request)
        rows = list(self.result_list)
        machines = Machine.objects.in_bulk({r.machine_id for r in rows})
        bearings = Bearing.objects.in_bulk({r.bearing_id for r in rows})
        for row in rows:
            # Fill Django's related-object cache, as prefetch_related would.
            row._state.fields_cache["machine"] = machines.get(row.machine_id)
            row._state.fields_cache["bearing"] = bearings.get(row.bearing_id)
        self.result_list = rows


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    """Readings, read-only; the change page shows indicators with units, spectrum and envelope."""

    list_display = [
        "timestamp", "machine_name", "bearing_location", "status_display",
        "velocity_rms", "acceleration_rms", "temperature", "pinned",
    ]  # fmt: skip
    list_filter = ["status", "customer", "area", "machine", "pinned"]
    actions = ["pin", "unpin"]
    search_fields = ["external_id"]
    date_hierarchy = "timestamp"
    ordering = ["-timestamp"]
    show_full_result_count = False
    fields = [
        "external_id", "machine", "bearing", "timestamp", "status_display", "indicators",
        "spectrum_chart", "envelope_chart", "ingested_at", "pinned",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.action(description="Pin: keep the raw waveform past the retention window")
    def pin(self, request, queryset):
        n = retention.reading_pin(reading_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{n} reading(s) pinned.")

    @admin.action(description="Unpin: let retention thin the raw waveform again")
    def unpin(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        n = retention.reading_pin(reading_ids=ids, pinned=False)
        self.message_user(request, f"{n} reading(s) unpinned.")

    def get_changelist(self, request, **kwargs):
        return ReadingChangeList

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="machine")
    def machine_name(self, obj: Reading):
        return obj.machine.machine_name if obj.machine else obj.machine_id

    @admin.display(description="bearing")
    def bearing_location(self, obj: Reading):
        return obj.bearing.bearing_location if obj.bearing else obj.bearing_id

    @admin.display(description="status", ordering="status")
    def status_display(self, obj: Reading):
        return status_badge(obj.status)

    @admin.display(description="velocity RMS (mm/s)")
    def velocity_rms(self, obj: Reading):
        return round(obj.velocity.rms, 3) if obj.velocity else None

    @admin.display(description="accel. RMS (g)")
    def acceleration_rms(self, obj: Reading):
        return round(obj.acceleration.rms, 4) if obj.acceleration else None

    @admin.display(description="indicators")
    def indicators(self, obj: Reading):
        rows = [
            (ind.label.capitalize(), _fmt(_indicator_value(obj, ind), _unit(ind)))
            for ind in indicators.INDICATORS
        ]
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.display(description="spectrum")
    def spectrum_chart(self, obj: Reading):
        return admin_charts.reading_spectrum_html(obj.pk)

    @admin.display(description="envelope spectrum")
    def envelope_chart(self, obj: Reading):
        return admin_charts.reading_envelope_html(obj.pk)


@admin.register(IngestionRun)
class IngestionRunAdmin(admin.ModelAdmin):
    """Ingestion runs, read-only: what each covered and how it ended."""

    list_display = [
        "started_at", "finished_at", "date_from", "date_to", "customer", "outcome",
        "fetched", "stored", "duplicates", "skipped", "retries", "dry_run",
    ]  # fmt: skip
    list_filter = ["outcome", "dry_run", "customer"]
    ordering = ["-started_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    """Retention runs, read-only: what each removed per tier and how far it got."""

    list_display = [
        "started_at", "finished_at", "outcome", "dry_run", "cutoff", "thinned_before", "days",
        "waveforms_removed", "spectra_removed", "kept_daily", "kept_evidence",
    ]  # fmt: skip
    list_filter = ["outcome", "dry_run"]
    ordering = ["-started_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IngestionLock)
class IngestionLockAdmin(admin.ModelAdmin):
    """The ingestion lock: visible, and deletable by staff if a run is truly stuck."""

    list_display = ["name", "holder", "acquired_at", "expires_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CustomerAccessInline(admin.StackedInline):
    """The customers a user may see, edited on the user's page."""

    model = CustomerAccess
    can_delete = False
    extra = 1
    max_num = 1


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserWithCustomersAdmin(UserAdmin):
    """Django's user admin plus the customers the user may see."""

    inlines = [*UserAdmin.inlines, CustomerAccessInline]
