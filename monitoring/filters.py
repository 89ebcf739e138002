"""Query-parameter filters: validated strictly, so bad input is a 400 naming the parameter.

Multi-valued filters accept repeated parameters and comma-separated values alike
(``?status=Alert&status=Unacceptable`` == ``?status=Alert,Unacceptable``). Every value is used
as a plain string or number in an equality, range or escaped substring lookup, never as a query
operator.
"""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from bson import ObjectId
from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.dateparse import parse_datetime
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from monitoring.models import ALERT_STATUSES, Bearing, Machine, Reading, Status

MAX_VALUES = 100
MAX_VALUE_LENGTH = 200
STATUS_VALUES = [s.value for s in Status]
MIN_YEAR, MAX_YEAR = 1970, 2999

# A "+" in an unencoded query string arrives as a space: "10:00:00 02:00" meant "+02:00".
_SPACE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


def parse_aware_datetime(value: str) -> dt.datetime:
    """An ISO 8601 timestamp that carries an offset, in UTC; raise ValidationError otherwise."""
    text = _SPACE_OFFSET.sub(r"+\1", value.strip())
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise forms.ValidationError(
            "Enter an ISO 8601 date-time with a UTC offset, e.g. 2026-03-29T10:00:00Z."
        )
    if parsed.tzinfo is None:
        raise forms.ValidationError(
            "The date-time has no UTC offset; add one (Z or +HH:MM), e.g. 2026-03-29T10:00:00Z."
        )
    try:
        value = parsed.astimezone(dt.UTC)
    except OverflowError:
        value = None
    # Outside this range nothing was measured, and date arithmetic near year 1/9999 overflows.
    if value is None or not MIN_YEAR <= value.year <= MAX_YEAR:
        raise forms.ValidationError(f"Dates must fall between {MIN_YEAR} and {MAX_YEAR}.")
    return value


def is_object_id(value) -> bool:
    """Whether ``value`` is a 24-hex ObjectId string (or an ObjectId)."""
    return isinstance(value, ObjectId) or (
        isinstance(value, str) and len(value) == 24 and ObjectId.is_valid(value)
    )


class AwareDateTimeField(forms.Field):
    """A date-time form field that rejects naive input instead of guessing its zone."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value
        return parse_aware_datetime(str(value))


class ObjectIdFormField(forms.CharField):
    """A 24-hex ObjectId."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if not is_object_id(value):
            raise forms.ValidationError("Enter a valid id (24 hexadecimal characters).")
        return ObjectId(value)


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error rather than silently ignored."""

    TRUE, FALSE = {"true", "1"}, {"false", "0"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Enter true or false.")


def split_values(raw) -> list[str]:
    """Occurrences of a repeatable parameter, each split on commas, blanks dropped."""
    return [part.strip() for item in raw for part in str(item).split(",") if part.strip()]


class MultiValueWidget(forms.TextInput):
    """Reads every occurrence of a parameter and splits each on commas."""

    def format_value(self, value):
        # The browsable API renders the filter form: show a list as it may be typed.
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        return super().format_value(value)

    def value_from_datadict(self, data, files, name):
        # Every occurrence, unsplit: the field checks each one's length, then splits it.
        raw = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [str(item) for item in raw if item is not None]

    def value_omitted_from_data(self, data, files, name):
        return name not in data


class MultiValueField(forms.Field):
    """A list of strings, optionally restricted to choices (matched case-insensitively)."""

    widget = MultiValueWidget

    def __init__(self, *, choices=None, **kwargs):
        # (value, label) pairs, the shape drf-spectacular reads from a filter's choices.
        self.choices = [c[0] if isinstance(c, tuple | list) else c for c in choices or ()] or None
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        raw = list(value) if isinstance(value, list | tuple) else [str(value)]
        # The schema allows MAX_VALUE_LENGTH characters per occurrence, commas included.
        if any(len(item) > MAX_VALUE_LENGTH for item in raw):
            raise forms.ValidationError(
                f"Values may be at most {MAX_VALUE_LENGTH} characters long."
            )
        values = split_values(raw)
        if len(values) > MAX_VALUES:
            raise forms.ValidationError(f"At most {MAX_VALUES} values are allowed.")
        too_long = [v for v in values if len(v) > MAX_VALUE_LENGTH]
        if too_long:
            raise forms.ValidationError(
                f"Values may be at most {MAX_VALUE_LENGTH} characters long."
            )
        if self.choices is None:
            return values
        canonical = {c.lower(): c for c in self.choices}
        unknown = [v for v in values if v.lower() not in canonical]
        if unknown:
            raise forms.ValidationError(
                "Unknown value(s) %(unknown)s; expected any of %(expected)s.",
                params={"unknown": ", ".join(unknown), "expected": ", ".join(self.choices)},
            )
        return [canonical[v.lower()] for v in values]


@extend_schema_field({"type": "array", "items": {"type": "string", "maxLength": 200}})
class MultiValueFilter(django_filters.Filter):
    """``field IN values``, from repeated or comma-separated parameters."""

    field_class = MultiValueField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": STATUS_VALUES}})
class StatusFilter(MultiValueFilter):
    """ISO 10816 statuses (case-insensitive), repeated or comma-separated."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(v, v) for v in STATUS_VALUES])
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeFilter(django_filters.Filter):
    """A date-time bound that must carry a UTC offset."""

    field_class = AwareDateTimeField


@extend_schema_field({"type": "string", "pattern": "^[0-9a-fA-F]{24}$"})
class ObjectIdFilter(django_filters.Filter):
    """Equality on an ObjectId field; a malformed id is a 400."""

    field_class = ObjectIdFormField


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.Filter):
    """A boolean parameter that refuses anything but true/false/1/0."""

    field_class = StrictBooleanField


@extend_schema_field(OpenApiTypes.DOUBLE)
class FloatFilter(django_filters.NumberFilter):
    """A finite float bound (floats compare with the stored doubles; Decimal would not)."""

    field_class = forms.FloatField


# Severity rank, so ordering by status puts Unacceptable after Alert (not alphabetically).
STATUS_RANK = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(STATUS_VALUES)),
    default=Value(-1),
    output_field=IntegerField(),
)


class MachineOrderingFilter(django_filters.OrderingFilter):
    """Ordering by name, status (by severity) or last reading time; ties broken by name."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for item in value:
            desc = item.startswith("-")
            name = item.lstrip("-")
            if name == "status":
                qs = qs.annotate(status_rank=STATUS_RANK)
                name = "status_rank"
            ordering.append(f"-{name}" if desc else name)
        return qs.order_by(*ordering, "machine_name", "id")


class MachineFilterSet(django_filters.FilterSet):
    """Filters of the machine list."""

    customer = MultiValueFilter(help_text="Customer name(s); repeat or comma-separate.")
    area = MultiValueFilter(help_text="Area(s); repeat or comma-separate.")
    subarea = MultiValueFilter(help_text="Subarea(s); repeat or comma-separate.")
    machine_type = MultiValueFilter(help_text="Machine type(s); repeat or comma-separate.")
    status = StatusFilter(help_text="Latest status(es); repeat or comma-separate.")
    ordering = MachineOrderingFilter(
        fields=(
            ("machine_name", "machine_name"),
            ("status", "status"),
            ("last_reading_at", "last_reading_at"),
        ),
        help_text="Sort key(s), '-' for descending: machine_name (default), status (by "
        "severity), last_reading_at.",
    )

    class Meta:
        model = Machine
        fields = ["customer", "area", "subarea", "machine_type", "status"]


class MachineSearchFilterSet(MachineFilterSet):
    """The machine filters plus free text and an alert flag."""

    q = django_filters.CharFilter(
        method="filter_q",
        max_length=MAX_VALUE_LENGTH,
        help_text="Case-insensitive substring of name, customer, area, subarea or type.",
    )
    has_alert = StrictBooleanFilter(
        method="filter_has_alert",
        help_text="true: status Alert or Unacceptable; false: anything else (or no data).",
    )

    class Meta(MachineFilterSet.Meta):
        fields = [*MachineFilterSet.Meta.fields, "q", "has_alert"]

    def filter_q(self, qs, name, value):
        """Substring search; icontains escapes the text, so regex characters match literally."""
        value = value.strip()
        if not value:
            return qs
        fields = ("machine_name", "customer", "area", "subarea", "machine_type")
        query = Q()
        for field in fields:
            query |= Q(**{f"{field}__icontains": value})
        return qs.filter(query)

    def filter_has_alert(self, qs, name, value):
        if value is None:
            return qs
        if value:
            return qs.filter(status__in=ALERT_STATUSES)
        return qs.exclude(status__in=ALERT_STATUSES)


class BearingFilterSet(django_filters.FilterSet):
    """Filters of the bearing list (the machine is checked by the view: unknown -> 404)."""

    machine_id = django_filters.CharFilter(
        method="filter_machine",
        max_length=MAX_VALUE_LENGTH,
        help_text="Only the bearings of this machine (24-hex id); unknown machine: 404.",
    )

    class Meta:
        model = Bearing
        fields = ["machine_id"]

    def filter_machine(self, qs, name, value):
        return qs.filter(machine_id=value) if is_object_id(value) else qs.none()


class RangeForm(forms.Form):
    """Cross-field checks of range parameters: start before end, min below max."""

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("start", "start must not be after end.")
        low, high = data.get("min_velocity_rms"), data.get("max_velocity_rms")
        if low is not None and high is not None and low > high:
            self.add_error("min_velocity_rms", "min_velocity_rms must not exceed max_velocity_rms.")
        return data


class ReadingFilterSet(django_filters.FilterSet):
    """Filters of the reading query (``/api/data/query``): validation and schema only.

    The view hands :meth:`criteria` to ``selectors.readings_page``, which builds the query in a
    shape the readings' indexes serve (the ORM's would not); ``field_name``/``lookup_expr``
    remain for the browsable API's filter form.
    """

    machine_id = ObjectIdFilter(field_name="machine_id", help_text="Machine id (24-hex).")
    bearing_id = ObjectIdFilter(field_name="bearing_id", help_text="Bearing id (24-hex).")
    customer = MultiValueFilter(help_text="Customer(s); repeat or comma-separate.")
    area = MultiValueFilter(help_text="Area(s); repeat or comma-separate.")
    status = StatusFilter(help_text="Status(es); repeat or comma-separate.")
    start = AwareDateTimeFilter(
        field_name="timestamp",
        lookup_expr="gte",
        help_text="Readings at or after this time (ISO 8601 with offset).",
    )
    end = AwareDateTimeFilter(
        field_name="timestamp",
        lookup_expr="lte",
        help_text="Readings at or before this time (ISO 8601 with offset).",
    )
    min_velocity_rms = FloatFilter(
        field_name="velocity__rms", lookup_expr="gte", help_text="Velocity RMS >= (mm/s)."
    )
    max_velocity_rms = FloatFilter(
        field_name="velocity__rms", lookup_expr="lte", help_text="Velocity RMS <= (mm/s)."
    )

    class Meta:
        model = Reading
        form = RangeForm
        fields = [
            "machine_id",
            "bearing_id",
            "customer",
            "area",
            "status",
            "start",
            "end",
            "min_velocity_rms",
            "max_velocity_rms",
        ]

    def criteria(self) -> dict:
        """The validated filters by name (None or [] when absent), for a raw query."""
        return {name: self.form.cleaned_data.get(name) for name in self.Meta.fields}


class ActionFilterBackend(DjangoFilterBackend):
    """django-filter with one filterset per viewset action (``filterset_classes``).

    Actions missing from the mapping get no filterset, so detail actions never apply list
    filters to their own query parameters.
    """

    def get_filterset_class(self, view, queryset=None):
        per_action = getattr(view, "filterset_classes", None)
        action = getattr(view, "action", None)
        if per_action is not None and action is not None:
            return per_action.get(action)
        return super().get_filterset_class(view, queryset)
