"""Alarm admin: the list with filters and bulk acknowledge, each alarm's timeline and trigger
reading's spectrum, the read-only audit trail, rule overrides and digest recipients (changes
audited)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from monitoring import admin_charts
from monitoring.alarms.lifecycle import Conflict, alarm_act, audit_record
from monitoring.alarms.models import Alarm, AlarmRecipient, AlarmRule, AuditEvent
from monitoring.models import Reading


class AuditedAdminMixin:
    """Audit every admin save: who changed which fields, before and after."""

    def save_model(self, request, obj, form, change):
        before = {}
        if change and obj.pk:
            stored = type(obj).objects.filter(pk=obj.pk).first()
            before = {f: str(getattr(stored, f, "")) for f in form.changed_data} if stored else {}
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user.get_username(), action="admin_change" if change else "admin_add",
            object_type=type(obj)._meta.model_name, object_id=obj.pk,
            customer=getattr(obj, "customer", "") or "",
            before=before, after={f: str(getattr(obj, f, "")) for f in form.changed_data},
        )  # fmt: skip


@admin.action(description="Acknowledge selected alarms")
def acknowledge(modeladmin, request, queryset):
    """Acknowledge each selected alarm at its current version (skipping those that cannot)."""
    done = skipped = 0
    for alarm in queryset:
        try:
            alarm_act(alarm_id=alarm.pk, action="ack", actor=request.user.get_username(),
                      expected_version=alarm.version)  # fmt: skip
            done += 1
        except (Conflict, LookupError):
            skipped += 1
    modeladmin.message_user(request, f"Acknowledged {done}, skipped {skipped}.", messages.INFO)


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    """Alarms: filter, acknowledge in bulk, read each one's timeline and trigger reading's
    spectrum (changes via actions)."""

    list_display = ["raised_at", "severity", "state", "acknowledged", "closed", "customer",
                    "rule_type", "subject", "assignee", "occurrences"]  # fmt: skip
    list_filter = ["severity", "state", "acknowledged", "closed", "rule_type", "customer"]
    actions = [acknowledge]
    readonly_fields = ["trigger_reading", "timeline"]
    exclude = ["history", "open_key", "revision"]

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in Alarm._meta.fields if f.name not in self.exclude]
        return [*names, *self.readonly_fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="trigger reading")
    def trigger_reading(self, obj: Alarm):
        # The reading page's own spectrum renderer, under a link to that page.
        reading_id = obj.trigger_reading_id
        if reading_id is None:
            return "no trigger reading"
        reading = Reading.objects.filter(pk=reading_id).values("timestamp").first()
        if reading is None:
            return format_html("reading {} is not stored (any more)", reading_id)
        return format_html(
            '<p><a href="{}">Reading of {} UTC</a></p>{}',
            reverse("admin:monitoring_reading_change", args=[reading_id]),
            f"{reading['timestamp']:%Y-%m-%d %H:%M}",
            admin_charts.reading_spectrum_html(reading_id),
        )

    @admin.display(description="Timeline")
    def timeline(self, obj: Alarm):
        steps = [(s.get("at"), s.get("step"), s.get("severity"), s.get("by")) for s in obj.history]
        comments = [(c.get("at"), "comment", c.get("text"), c.get("by")) for c in obj.comments]
        rows = sorted([*steps, *comments], key=lambda r: str(r[0]))
        return format_html_join("", "<div>{} &middot; {} &middot; {} &middot; {}</div>", rows)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The append-only audit trail: read-only."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "customer"]
    list_filter = ["action", "object_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AlarmRule)
class AlarmRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Rule overrides by machine type, machine or bearing (the defaults need none)."""

    list_display = ["rule_type", "scope", "target", "enabled", "updated_at"]
    list_filter = ["rule_type", "scope", "enabled"]


@admin.register(AlarmRecipient)
class AlarmRecipientAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Who receives each customer's digests."""

    list_display = ["customer", "email", "webhook_url", "active"]
    list_filter = ["active"]
