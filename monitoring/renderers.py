"""A JSON renderer on orjson (the same output as DRF's, several times faster to encode), a CSV
renderer, and the negotiation choosing between them."""

import datetime as dt
import decimal
import uuid

import orjson
from bson import ObjectId
from django.utils.functional import Promise
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

JSON = "application/json"


def _default(obj):
    """What orjson cannot encode natively, encoded as DRF's JSONEncoder would."""
    if isinstance(obj, Promise | ObjectId | uuid.UUID):
        return str(obj)
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, dt.timedelta):
        return str(obj.total_seconds())
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    if hasattr(obj, "__iter__"):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


class ORJSONRenderer(BaseRenderer):
    """``application/json`` via orjson (UTF-8, compact, non-string dict keys allowed)."""

    media_type = JSON
    format = "json"
    charset = None  # JSON is UTF-8 by definition

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        # Numpy arrays (a spectrum's thousands of lines) are encoded natively, float32 as
        # float32: the shortest text that reads back as the stored value. Datetimes left in
        # the data (time series points) are written as serializers.iso_z writes them: in UTC,
        # with a Z, microseconds when there are any.
        options = (
            orjson.OPT_NON_STR_KEYS
            | orjson.OPT_SERIALIZE_NUMPY
            | orjson.OPT_NAIVE_UTC
            | orjson.OPT_UTC_Z
        )
        return orjson.dumps(data, default=_default, option=options)


class CSVRenderer(BaseRenderer):
    """``text/csv``: lets a client ask for CSV; the views stream it (monitoring.api.exports).

    Views answer CSV with a streamed response of their own, never through this renderer, and
    answer errors as JSON (:class:`monitoring.api.views.CsvOrHtmlMixin`); so it never renders.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        raise TypeError("CSV answers are streamed by their views, not rendered")


class JsonFirstNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, answering the dashboard's own request without parsing.

    ``Accept: application/json`` with no ``?format=`` and JSON as the view's first renderer is
    what DRF's negotiation would conclude after parsing and ranking the header; anything else
    (browsers, ``*/*``, CSV, formats) goes through it unchanged.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            request.META.get("HTTP_ACCEPT") == JSON
            and not format_suffix
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
            and renderers
            and renderers[0].media_type == JSON
        ):
            return renderers[0], JSON
        return super().select_renderer(request, renderers, format_suffix)
