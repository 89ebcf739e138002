"""Alarm models: rules staff override, alarms with their lifecycle, baselines, the audit trail.

Registered in the monitoring app (``monitoring.models`` imports this module). One open alarm
per bearing and rule is held by a FULL unique index on ``open_key``: SecantusDB never plans a
partial index, so the key is the subject (``bearing:rule``) while the alarm is active and a
tombstone unique to the alarm once it cleared or closed.
"""

from django.db import models
from django_mongodb_backend.fields import ArrayField, ObjectIdField

from monitoring.alarms import rules


class AlarmRule(models.Model):
    """A staff override of one rule type's parameters for a machine type, machine or bearing.

    Without any, every rule runs with ``rules.DEFAULT_PARAMS``; the most specific enabled
    override applies (bearing, then machine, then machine type, then fleet-wide).
    """

    class Scope(models.TextChoices):
        FLEET = "fleet", "Every machine"
        MACHINE_TYPE = "machine_type", "A machine type"
        MACHINE = "machine", "A machine"
        BEARING = "bearing", "A bearing"

    rule_type = models.CharField(max_length=20, choices=[(t, t) for t in rules.RULE_TYPES])
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.FLEET)
    target = models.CharField(
        max_length=100, blank=True, default="",
        help_text="Machine type name, or machine or bearing id; empty for fleet.",
    )  # fmt: skip
    enabled = models.BooleanField(default=True, help_text="Off: the rule raises nothing here.")
    params = models.JSONField(default=dict, blank=True, help_text="Overrides of the defaults.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "alarm_rules"
        constraints = [
            models.UniqueConstraint(
                fields=["rule_type", "scope", "target"], name="alarm_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_type} rule for {self.scope} {self.target}".strip()


class Alarm(models.Model):
    """One problem on one bearing (or of ingestion) under one rule, from raise to close."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        CLEARED = "cleared", "Cleared"

    class Resolution(models.TextChoices):
        REPAIRED = "repaired", "Repaired"
        FALSE_ALARM = "false_alarm", "False alarm"
        ACCEPTED = "accepted", "Accepted"

    customer = models.CharField(max_length=100, blank=True, default="")
    area = models.CharField(max_length=100, blank=True, default="")
    machine = models.ForeignKey(
        "monitoring.Machine", on_delete=models.CASCADE, null=True, blank=True,
        related_name="alarms", db_index=False,
    )  # fmt: skip
    bearing = models.ForeignKey(
        "monitoring.Bearing", on_delete=models.CASCADE, null=True, blank=True,
        related_name="alarms", db_index=False,
    )  # fmt: skip
    rule_type = models.CharField(max_length=20)
    rule_id = models.CharField(max_length=24, blank=True, default="", help_text="Empty: default.")
    #: The subject: ``bearing:rule_key`` (or ``ingestion``), kept when the alarm clears.
    subject = models.CharField(max_length=200)
    #: ``subject`` while active, a tombstone (``~`` + the alarm id) once cleared or closed.
    open_key = models.CharField(max_length=200, unique=True)
    severity = models.CharField(max_length=10, choices=[(s, s) for s in rules.SEVERITIES])
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    acknowledged = models.BooleanField(default=False)
    closed = models.BooleanField(default=False)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True, default="")
    raised_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True, default="")
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.CharField(max_length=150, blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True, default="")
    assignee = models.CharField(max_length=150, blank=True, default="")
    trigger_reading_id = ObjectIdField(null=True, blank=True)
    worst_reading_id = ObjectIdField(null=True, blank=True)
    worst_value = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True, help_text="value, threshold, ...")
    occurrences = models.PositiveIntegerField(default=1)
    history = models.JSONField(default=list, blank=True, help_text="Severity and state steps.")
    comments = models.JSONField(default=list, blank=True)
    #: Bumped by every change: API transitions are compare-and-set on it.
    version = models.PositiveIntegerField(default=1)
    #: ``id:version``, kept in step with ``version``: a compare-and-set filters on this one
    #: indexed field (SecantusDB scans for any filter adding a predicate to ``_id``).
    revision = models.CharField(max_length=40, blank=True, default="", db_index=True)

    class Meta:
        db_table = "alarms"
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["customer", "-raised_at"], name="alarm_customer_raised"),
            models.Index(fields=["-raised_at", "-id"], name="alarm_raised_id"),
            models.Index(fields=["subject", "-cleared_at"], name="alarm_subject_cleared"),
            models.Index(fields=["machine", "state"], name="alarm_machine_state"),
            models.Index(fields=["closed", "state"], name="alarm_closed_state"),
            # Retention keeps the raw data of the readings alarms cite (evidence).
            models.Index(fields=["trigger_reading_id"], name="alarm_trigger_reading"),
            models.Index(fields=["worst_reading_id"], name="alarm_worst_reading"),
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.rule_type} alarm {self.subject} ({self.state})"


class Baseline(models.Model):
    """A bearing's baseline: medians of its first valid readings after commissioning or reset.

    Also holds the bearing's rule-evaluation state (recent velocities, last evaluated time),
    so evaluating a batch reads and writes one document per bearing.
    """

    bearing = models.OneToOneField(
        "monitoring.Bearing", on_delete=models.CASCADE, related_name="baseline"
    )
    reading_ids = ArrayField(ObjectIdField(), default=list, blank=True, max_size=100)
    samples = models.JSONField(default=dict, blank=True, help_text="indicator -> values so far")
    values = models.JSONField(default=dict, blank=True, help_text="indicator -> median")
    established_at = models.DateTimeField(null=True, blank=True)
    reset_at = models.DateTimeField(null=True, blank=True)
    reset_by = models.CharField(max_length=150, blank=True, default="")
    recent = models.JSONField(default=list, blank=True, help_text="Last velocity RMS values.")
    evaluated_until = models.DateTimeField(null=True, blank=True)
    trend_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "alarm_baselines"
        # Retention keeps the raw data of baseline readings (evidence): a multikey index.
        indexes = [models.Index(fields=["reading_ids"], name="baseline_reading_ids")]

    def __str__(self) -> str:
        return f"baseline of {self.bearing_id}"


class AuditEvent(models.Model):
    """One append-only audit entry: who did what to which object, before and after."""

    at = models.DateTimeField()
    actor = models.CharField(max_length=150, help_text="A username, or 'system'.")
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=100)
    customer = models.CharField(max_length=100, blank=True, default="")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "audit_events"
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at_id"),
            models.Index(fields=["object_id", "-at"], name="audit_object_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}"


class AlarmRecipient(models.Model):
    """Who is told about a customer's alarms: an email address and/or a signed webhook."""

    customer = models.CharField(max_length=100)
    email = models.EmailField(blank=True, default="")
    webhook_url = models.URLField(blank=True, default="")
    webhook_secret = models.CharField(
        max_length=200, blank=True, default="", help_text="Key of the HMAC-SHA256 signature."
    )
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "alarm_recipients"
        indexes = [models.Index(fields=["customer"], name="alarm_recipient_customer")]

    def __str__(self) -> str:
        return f"{self.customer}: {self.email or self.webhook_url}"
