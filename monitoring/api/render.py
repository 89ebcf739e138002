"""The one runtime renderer: each response serializer compiled once into a plan over dicts.

Selectors return plain documents (pymongo) or plain dicts; :meth:`DocumentSerializer.render`
turns one into its JSON value by a plan compiled from the serializer's declared fields, the
same declaration drf-spectacular reads for the schema. Compiling fails (``TypeError``, at
start-up: ``MonitoringConfig.ready`` compiles every response serializer) on a field type the
plan does not know, so a new field cannot silently pass a value through unconverted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers

from monitoring.api.fields import (
    AwareDateTimeField,
    FloatListField,
    MultiValueField,
    ObjectIdField,
    PointsField,
    iso_z,
)

Converter = Callable[[Any], Any]


def _optional(convert: Converter) -> Converter:
    return lambda value: None if value is None else convert(value)


def _date(value) -> str:
    # The backend stores a DateField as a datetime at midnight.
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _same(value):
    return value


# Field type -> converter of a stored or computed value; the first match wins (subclasses
# before their bases). Anything else fails to compile.
_SCALARS: tuple[tuple[type, Converter], ...] = (
    (ObjectIdField, _optional(str)),
    (serializers.PrimaryKeyRelatedField, _optional(str)),
    (AwareDateTimeField, _optional(iso_z)),
    (serializers.DateTimeField, _optional(iso_z)),
    (serializers.DateField, _optional(_date)),
    (serializers.FloatField, _optional(float)),
    (serializers.IntegerField, _optional(int)),
    (serializers.BooleanField, _optional(bool)),
    (serializers.ChoiceField, _same),
    (serializers.CharField, _same),
    (MultiValueField, _same),
)


def _list_converter(field: serializers.ListField) -> Converter:
    if isinstance(field, PointsField | FloatListField):
        return lambda value: None if value is None else field.to_representation(value)
    child = converter(field.child)
    return lambda value: None if value is None else [child(item) for item in value]


def _dict_converter(field: serializers.DictField) -> Converter:
    child = converter(field.child)
    return lambda value: None if value is None else {k: child(v) for k, v in value.items()}


def converter(field: serializers.Field) -> Converter:
    """How one declared field turns a value into its JSON value; TypeError if unsupported."""
    if isinstance(field, serializers.ListSerializer):
        child = type(field.child)
        return lambda value: [child.render(item) for item in value or ()]
    if isinstance(field, RenderMixin):
        return _optional(type(field).render)
    if isinstance(field, serializers.ListField):
        return _list_converter(field)
    if isinstance(field, serializers.DictField):
        return _dict_converter(field)
    for kind, convert in _SCALARS:
        if isinstance(field, kind):
            return convert
    raise TypeError(
        f"{type(field).__name__} {field.field_name!r} of {type(field.parent).__name__}: "
        "the document renderer does not support this field type"
    )


class RenderMixin:
    """A response serializer whose instances are plain dicts, rendered by a compiled plan.

    Declared fields describe the response (OpenAPI); ``Meta.model`` (optional) names the
    model whose stored documents it renders: a field's source is then the model field's column
    and a missing key takes the model field's default.
    """

    registry: ClassVar[list[type]] = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract"):
            RenderMixin.registry.append(cls)

    @classmethod
    def _key_and_default(cls, field: serializers.Field) -> tuple[str | tuple, Any]:
        model = getattr(getattr(cls, "Meta", None), "model", None)
        if "." in field.source:
            return tuple(field.source.split(".")), None
        if model is None or field.source == "*":
            return field.source, None
        try:
            model_field = model._meta.get_field(field.source)
        except FieldDoesNotExist:
            return field.source, None
        default = model_field.get_default() if model_field.has_default() else None
        return model_field.column, default

    @classmethod
    def compile(cls) -> list[tuple[str, str, Converter, Any]]:
        """(output name, document key, converter, default) per field, built once per class."""
        plan = cls.__dict__.get("_plan")
        if plan is None:
            plan = []
            for name, field in cls().fields.items():
                key, default = cls._key_and_default(field)
                plan.append((name, key, converter(field), default))
            cls._plan = plan
        return plan

    @classmethod
    def render(cls, doc: dict, *, only: frozenset[str] | None = None) -> dict:
        """The JSON value of a document; ``only`` keeps just those fields."""
        plan = cls.compile()
        if only is not None:
            plan = [step for step in plan if step[0] in only]
        return {name: convert(_get(doc, key, default)) for name, key, convert, default in plan}


def _get(doc: dict, key: str | tuple, default):
    """A document's value at a key, or at a dotted source split into a tuple."""
    if isinstance(key, str):
        return doc.get(key, default)
    for part in key:
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


class DocumentSerializer(RenderMixin, serializers.Serializer):
    """A rendered serializer with explicitly declared fields."""

    abstract = True


def compile_all() -> None:
    """Compile every response serializer now, so an unsupported field fails at start-up."""
    for cls in RenderMixin.registry:
        cls.compile()
