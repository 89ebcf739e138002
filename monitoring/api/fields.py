"""Serializer fields for query parameters and responses: one of each kind.

Query parameters are validated by DRF serializers (``*QuerySerializer``), so a bad value is a
400 naming the parameter and drf-spectacular documents every parameter from the same fields.
Multi-valued parameters accept repeated and comma-separated values alike
(``?status=Alert&status=Unacceptable`` == ``?status=Alert,Unacceptable``). Every value is used
as a plain string or number in an equality, range or escaped substring, never as an operator.
"""

from __future__ import annotations

import datetime as dt
import re

from bson import ObjectId
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_VALUES = 100
MAX_VALUE_LENGTH = 200
MIN_YEAR, MAX_YEAR = 1970, 2999
OBJECT_ID_SCHEMA = {
    "type": "string",
    "pattern": "^[0-9a-f]{24}$",
    "example": "6650f1c2a1b2c3d4e5f60718",
}
# A "+" in an unencoded query string arrives as a space: "10:00:00 02:00" meant "+02:00".
_SPACE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


def iso_z(value: dt.datetime) -> str:
    """An aware or naive-UTC datetime as ISO 8601 in UTC with a ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def parse_aware_datetime(value: str) -> dt.datetime:
    """An ISO 8601 timestamp that carries an offset, in UTC; ValueError (for people) otherwise."""
    text = _SPACE_OFFSET.sub(r"+\1", value.strip())
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(
            "Enter an ISO 8601 date-time with a UTC offset, e.g. 2026-03-29T10:00:00Z."
        )
    if parsed.tzinfo is None:
        raise ValueError(
            "The date-time has no UTC offset; add one (Z or +HH:MM), e.g. 2026-03-29T10:00:00Z."
        )
    try:
        value = parsed.astimezone(dt.UTC)
    except OverflowError:
        value = None
    # Outside this range nothing was measured, and date arithmetic near year 1/9999 overflows.
    if value is None or not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"Dates must fall between {MIN_YEAR} and {MAX_YEAR}.")
    return value


def is_object_id(value) -> bool:
    """Whether ``value`` is a 24-hex ObjectId string (or an ObjectId)."""
    return isinstance(value, ObjectId) or (
        isinstance(value, str) and len(value) == 24 and ObjectId.is_valid(value)
    )


def split_values(raw) -> list[str]:
    """Occurrences of a repeatable parameter, each split on commas, blanks dropped."""
    return [part.strip() for item in raw for part in str(item).split(",") if part.strip()]


@extend_schema_field(OBJECT_ID_SCHEMA)
class ObjectIdField(serializers.Field):
    """An ObjectId as its 24-hex string (out) or parsed from one (in)."""

    default_error_messages = {"invalid": "Enter a valid id (24 hexadecimal characters)."}

    def to_representation(self, value):
        return str(value)

    def to_internal_value(self, data):
        if is_object_id(data):
            return ObjectId(data)
        self.fail("invalid")


@extend_schema_field({"type": "string", "pattern": "^[0-9a-fA-F]{24}$"})
class ObjectIdParamField(ObjectIdField):
    """An id in a query parameter: either case of hex digits is accepted (and documented)."""


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """ISO 8601 with a UTC offset in (naive input is refused), UTC with ``Z`` out."""

    def to_internal_value(self, data):
        try:
            return parse_aware_datetime(str(data))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return iso_z(value)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.Field):
    """true/false (or 1/0); anything else is an error rather than silently ignored."""

    TRUE, FALSE = {"true", "1"}, {"false", "0"}

    def to_internal_value(self, data):
        text = str(data).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise serializers.ValidationError("Enter true or false.")

    def to_representation(self, value):
        return value


class MultiValueField(serializers.Field):
    """Values of a repeated or comma-separated parameter; with ``choices``, each one of them.

    Choices match case-insensitively and come back canonical; duplicates are dropped.
    """

    def __init__(self, *, choices=(), **kwargs):
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
        # The schema allows MAX_VALUE_LENGTH characters per occurrence, commas included.
        if any(len(str(item)) > MAX_VALUE_LENGTH for item in raw):
            raise serializers.ValidationError(f"At most {MAX_VALUE_LENGTH} characters a value.")
        values = split_values(raw)
        if not values:
            raise serializers.ValidationError("At least one value is required.")
        if len(values) > MAX_VALUES:
            raise serializers.ValidationError(f"At most {MAX_VALUES} values are allowed.")
        if self.choices:
            values = self._canonical(values)
        return list(dict.fromkeys(values))

    def _canonical(self, values: list[str]) -> list[str]:
        canonical = {c.lower(): c for c in self.choices}
        unknown = [v for v in values if v.lower() not in canonical]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown value(s) {', '.join(unknown)}; expected any of {', '.join(self.choices)}."
            )
        return [canonical[v.lower()] for v in values]

    def to_representation(self, value):
        return value


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
    """A list of points, rendered in one pass (series can hold thousands of points)."""

    child = PointField()

    def to_representation(self, data):
        # Times in UTC are left to the JSON renderer, which writes them as iso_z would
        # (monitoring/renderers.py) in C: ~1 us a point saved, thousands of points a series.
        return [[when if when.tzinfo is dt.UTC else iso_z(when), number] for when, number in data]


class FloatListField(serializers.ListField):
    """A list of floats in one pass (a spectrum holds thousands; the child field documents it).

    A numpy array passes through as it is: the JSON renderer encodes it natively.
    """

    def to_representation(self, data):
        if hasattr(data, "dtype"):
            return data
        return [float(value) for value in data]
