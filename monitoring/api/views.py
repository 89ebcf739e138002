"""The REST API's views: declarative viewsets over one selector and one serializer each.

:class:`ApiView` does what every endpoint needs once: it builds the request's :class:`Scope`,
refuses unknown, blank or over-long query parameters, validates the action's query serializer
(``self.query``), caches dashboard answers and counts failed logins against the rate.
"""

from __future__ import annotations

import functools
import hashlib
import time

import numpy as np
from bson import ObjectId
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    AuthenticationFailed,
    NotAuthenticated,
    NotFound,
    Throttled,
    ValidationError,
)
from rest_framework.fields import empty
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, StaticHTMLRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from monitoring import indicators
from monitoring.access import scope_for
from monitoring.api import exports as csv_out
from monitoring.api import serializers as s
from monitoring.api.fields import OBJECT_ID_SCHEMA, is_object_id
from monitoring.api.pagination import ReadingCursorPagination, StandardPagination
from monitoring.api.reports import report_html
from monitoring.models import Bearing, Machine, Reading, Spectrum, Waveform
from monitoring.renderers import CSVRenderer, ORJSONRenderer
from monitoring.selectors import (
    catalogue,
    dashboard,
    exports,
    readings,
    reports,
    spectra,
    system,
    timeseries,
)

MAX_QUERY_VALUE_LENGTH = 2000

ERRORS_400_404 = {
    400: OpenApiResponse(s.ErrorSerializer, description="Invalid or unknown query parameters."),
    401: OpenApiResponse(s.ErrorSerializer, description="Missing or invalid credentials."),
    404: OpenApiResponse(
        s.ErrorSerializer, description="Unknown or malformed id, or another customer's object."
    ),
    429: OpenApiResponse(
        s.ErrorSerializer, description="Too many requests; retry after `Retry-After` seconds."
    ),
    503: OpenApiResponse(s.ErrorSerializer, description="The database is unreachable."),
}
ERRORS_400 = {k: v for k, v in ERRORS_400_404.items() if k != 404}


def _path_id(name: str, what: str) -> OpenApiParameter:
    """An ObjectId path parameter for the schema."""
    return OpenApiParameter(
        name, OBJECT_ID_SCHEMA, OpenApiParameter.PATH, description=f"The {what}'s id (24-hex)."
    )


MACHINE_ID = _path_id("machine_id", "machine")
READING_ID = _path_id("reading_id", "reading")


@functools.cache
def _field_names(serializer_class) -> frozenset[str]:
    """A query serializer's parameter names (building a serializer deep-copies its fields:
    once per class, not on every request)."""
    return frozenset(serializer_class().fields)


_IMMUTABLE = (str, int, float, bool, type(None))


@functools.cache
def _empty_query(serializer_class) -> dict | None:
    """What a query serializer makes of no parameters at all, when that cannot change: the
    fields' constant defaults, with no ``validate``/``validate_<field>`` of its own and no
    callable default (either may depend on the clock). None: validate every time."""
    if any(
        getattr(serializer_class, name) is not getattr(serializers.Serializer, name, None)
        for name in dir(serializer_class)
        if name.startswith("validate")
    ):
        return None
    serializer = serializer_class(data={})
    if any(f.default is not empty and callable(f.default) for f in serializer.fields.values()):
        return None
    if not serializer.is_valid():
        return None
    data = dict(serializer.validated_data)
    return data if all(isinstance(v, _IMMUTABLE) for v in data.values()) else None


# A worker waiting for another's computation of the same answer looks again this often, for
# at most COMPUTE_WAIT_S (then computes it itself).
COMPUTE_POLL_S = 0.01
COMPUTE_WAIT_S = 5.0


def answer_computed_once(*, key: str, compute, timeout: float):
    """Compute an answer missing from the cache once among the workers sharing the cache.

    After an ingestion run every open dashboard misses at once; without this, each worker
    computes the same numbers. The first to claim ``<key>:computing`` computes and stores the
    answer; the others wait while the claim stands and take the stored answer. While Redis is
    away claims fail, and every worker computes for itself as it would without a cache.
    """
    claim = f"{key}:computing"
    claimed = cache.add(claim, 1, timeout=COMPUTE_WAIT_S)
    try:
        if not claimed:
            _claim_wait(claim=claim, key=key)
        data = cache.get(key)  # stored meanwhile, by the claimant or before this claim
        if data is None:
            data = compute()
            cache.set(key, data, timeout)
        return data
    finally:
        if claimed:
            cache.delete(claim)


def _claim_wait(*, claim: str, key: str) -> None:
    """Wait while another worker's claim stands and its answer is not stored yet."""
    deadline = time.monotonic() + COMPUTE_WAIT_S
    while time.monotonic() < deadline and cache.get(claim) is not None and cache.get(key) is None:
        time.sleep(COMPUTE_POLL_S)


class ApiView:
    """Scope, strict query parameters and the validated query of every API view."""

    #: action (or None for plain API views) -> serializer validating its query parameters
    query_serializer_classes: dict = {}
    #: actions whose answer is paginated (their paginator's parameters are allowed)
    paginated_actions = ("list", "search")
    blank_allowed_params = frozenset({"q"})
    not_found_message = "Not found."

    @property
    def _action(self):
        return getattr(self, "action", None)

    def initial(self, request, *args, **kwargs):
        """Authenticate, then scope the request and check its parameters before any work."""
        super().initial(request, *args, **kwargs)
        self.scope = scope_for(request.user)
        method = request.method.lower()
        # A method the view does not serve answers 405, whatever its parameters.
        if method in self.http_method_names and hasattr(self, method):
            self._check_param_names(request)
            self.query = self._validated_query(request)

    def _allowed_params(self) -> set[str]:
        allowed = {"format"}
        paginator = getattr(self, "pagination_class", None)
        if paginator and self._action in self.paginated_actions:
            for attr in ("page_query_param", "page_size_query_param", "cursor_query_param"):
                if getattr(paginator, attr, None):
                    allowed.add(getattr(paginator, attr))
        query_class = self.query_serializer_classes.get(self._action)
        if query_class is not None:
            allowed |= _field_names(query_class)
        return allowed

    def _check_param_names(self, request) -> None:
        """400 for unknown parameter names, blank values or absurdly long values."""
        params = request.query_params
        unknown = sorted(set(params) - self._allowed_params())
        if unknown:
            raise ValidationError({name[:100]: ["Unknown query parameter."] for name in unknown})
        # "?start=" is a mistake, not "no start": only free text may be empty.
        blank = sorted(
            name
            for name, values in params.lists()
            if name not in self.blank_allowed_params and "" in values
        )
        if blank:
            raise ValidationError({name: ["May not be blank."] for name in blank})
        too_long = sorted(
            name
            for name, values in params.lists()
            if any(len(v) > MAX_QUERY_VALUE_LENGTH for v in values)
        )
        if too_long:
            raise ValidationError(
                {n: [f"At most {MAX_QUERY_VALUE_LENGTH} characters."] for n in too_long}
            )

    def _validated_query(self, request) -> dict:
        """The action's query parameters, validated once (400 naming bad ones)."""
        query_class = self.query_serializer_classes.get(self._action)
        if query_class is None:
            return {}
        if not request.query_params:  # a dashboard's plain request: no serializer to build
            defaults = _empty_query(query_class)
            if defaults is not None:
                return dict(defaults)
        serializer = query_class(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def handle_exception(self, exc):
        """Count missing or wrong credentials against the anonymous rate.

        DRF checks permissions before throttles, so without this a client guessing tokens
        would never be throttled; with it, it gets 429 like any other client over its rate.
        """
        if isinstance(exc, NotAuthenticated | AuthenticationFailed):
            try:
                self.check_throttles(self.request)
            except Throttled as throttled:
                exc = throttled
        return super().handle_exception(exc)

    def cached_answer(self, name: str, compute) -> dict:
        """The rendered answer, from the cache while neither data nor time moved on.

        For answers that read rollups or other state ingestion writes (dashboards, stats). The
        key holds the data version ingestion bumps on every change, so a run makes fresh
        numbers visible at once; the short timeout bounds how far the sliding time windows
        ("last 24 h") may lag. Redis shares the cache between app servers (REDIS_URL).
        """
        timeout = settings.DASHBOARD_CACHE_SECONDS
        if timeout <= 0:
            return compute()
        parts = [name, sorted(self.query.items()), self.scope.cache_key()]
        parts.append(system.data_version_get())
        key = "dashboard:" + hashlib.sha256(repr(parts).encode()).hexdigest()
        data = cache.get(key)
        if data is None:
            data = answer_computed_once(key=key, compute=compute, timeout=timeout)
        return data

    def object_id_or_404(self, value) -> ObjectId:
        """A path or parameter id as an ObjectId; malformed ids are simply not found."""
        if not is_object_id(value):
            raise NotFound(self.not_found_message)
        return ObjectId(value)


def _paginated(viewset, documents, serializer) -> Response:
    """A page of documents rendered by ``serializer``, with the paginator's links."""
    page = viewset.paginate_queryset(documents)
    return viewset.get_paginated_response([serializer.render(doc) for doc in page])


@extend_schema(tags=["machines"])
class MachineViewSet(ApiView, viewsets.GenericViewSet):
    """Machines with their denormalized latest state; never sorts or counts readings."""

    queryset = Machine.objects.none()
    pagination_class = StandardPagination
    not_found_message = "No machine with this id."
    query_serializer_classes = {
        "list": s.MachineQuerySerializer,
        "search": s.MachineSearchQuerySerializer,
        "timeseries": s.TimeseriesQuerySerializer,
    }

    def machine(self) -> dict:
        """The machine named in the URL, as a stored document, within the scope; else 404."""
        pk = self.object_id_or_404(self.kwargs["machine_id"])
        machine = catalogue.machine_get(scope=self.scope, machine_id=pk)
        if machine is None:
            raise NotFound(self.not_found_message)
        return machine

    def _machines(self) -> Response:
        query = self.query
        machines = catalogue.machine_list(
            scope=self.scope,
            filters={
                name: query[name] for name in s.MachineQuerySerializer.FILTERS if name in query
            },
            q=query.get("q"),
            has_alert=query.get("has_alert"),
            has_alarm=query.get("has_alarm"),
            ordering=query.get("ordering") or (),
        )
        return _paginated(self, machines, s.MachineSerializer)

    @extend_schema(
        summary="List machines",
        parameters=[s.MachineQuerySerializer],
        responses={200: s.MachineSerializer(many=True), **ERRORS_400},
    )
    def list(self, request, *args, **kwargs):
        """Machines in scope, filtered, ordered and paginated: two finds, plain documents."""
        return self._machines()

    @extend_schema(
        summary="Search machines",
        description="The list filters plus free text `q` and `has_alert`.",
        parameters=[s.MachineSearchQuerySerializer],
        responses={200: s.MachineSerializer(many=True), **ERRORS_400},
    )
    @action(detail=False, url_path="search")
    def search(self, request, *args, **kwargs):
        """The list with free-text and alert filters."""
        return self._machines()

    @extend_schema(
        summary="One machine with its bearings",
        parameters=[MACHINE_ID],
        responses={200: s.MachineDetailSerializer, **ERRORS_400_404},
    )
    def retrieve(self, request, *args, **kwargs):
        """One machine with its bearings: two finds, plain documents."""
        machine = self.machine()
        machine["bearing_list"] = catalogue.machine_bearings(
            scope=self.scope, machine_id=machine["_id"]
        )
        return Response(s.MachineDetailSerializer.render(machine))

    @extend_schema(
        summary="Latest reading of each bearing",
        description="One item per bearing of the machine (not paginated); `reading` is null "
        "before the first.",
        parameters=[MACHINE_ID],
        responses={200: s.LatestReadingSerializer(many=True), **ERRORS_400_404},
    )
    @action(detail=True, url_path="latest-readings", pagination_class=None)
    def latest_readings(self, request, *args, **kwargs):
        """Each bearing with its latest reading: three finds, no sort over readings."""
        machine = self.machine()
        rows = catalogue.latest_readings(scope=self.scope, machine_id=machine["_id"])
        return Response([s.LatestReadingSerializer.render(row) for row in rows])

    @extend_schema(
        summary="Time series of a machine's bearings",
        description=(
            "One series per bearing and metric, points `[timestamp, value]` oldest first. "
            "Buckets (hour, day; UTC) come from the hourly rollups and include every bucket "
            "starting in the range; raw points are the readings in [start, end]."
        ),
        parameters=[MACHINE_ID, s.TimeseriesQuerySerializer],
        responses={200: s.TimeseriesSerializer, **ERRORS_400_404},
    )
    @action(detail=True, url_path="timeseries", pagination_class=None)
    def timeseries(self, request, *args, **kwargs):
        """Series per bearing and metric from readings (raw) or rollups (hour, day)."""
        machine = self.machine()
        query = dict(self.query)
        bearing_id = query.pop("bearing_id", None)
        self.not_found_message = "No bearing with this id on this machine."
        if bearing_id is not None:
            bearing_id = self.object_id_or_404(bearing_id)
        try:
            data = timeseries.timeseries_get(
                scope=self.scope, machine_id=machine["_id"], bearing_id=bearing_id, **query
            )
        except Bearing.DoesNotExist:
            raise NotFound(self.not_found_message) from None
        except timeseries.PointLimitExceeded as exc:
            message = (
                f"The range holds {exc.points} {exc.interval} points per series, more than "
                f"the limit of {timeseries.MAX_POINTS}; narrow the range or use a coarser "
                "interval."
            )
            raise ValidationError({"interval": [message]}) from None
        return Response(s.TimeseriesSerializer.render(data))


@extend_schema(tags=["bearings"])
class BearingViewSet(ApiView, viewsets.GenericViewSet):
    """Bearings, of one machine (``machine_id``) or all of them, paginated."""

    queryset = Bearing.objects.none()
    pagination_class = StandardPagination
    not_found_message = "No machine with this id."
    query_serializer_classes = {"list": s.BearingQuerySerializer}

    def _machine_missing(self, pk) -> bool:
        return pk is not None and catalogue.machine_get(scope=self.scope, machine_id=pk) is None

    @extend_schema(
        summary="List bearings",
        parameters=[s.BearingQuerySerializer],
        responses={200: s.BearingSerializer(many=True), **ERRORS_400_404},
    )
    def list(self, request, *args, **kwargs):
        """Bearings, of one machine (unknown machine: 404) or all: plain documents."""
        machine_id = self.query.get("machine_id")
        pk = None if machine_id is None else self.object_id_or_404(machine_id)
        bearings = catalogue.bearing_list(scope=self.scope, machine_id=pk)
        # Bearings "of a machine": an unknown machine is a 404, not an empty list. Bearings
        # found prove their machine exists in scope, so only an empty answer needs the check.
        try:
            page = self.paginate_queryset(bearings)
        except ValidationError:
            if self._machine_missing(pk):
                raise NotFound(self.not_found_message) from None
            raise
        if not page and self._machine_missing(pk):
            raise NotFound(self.not_found_message)
        return self.get_paginated_response([s.BearingSerializer.render(b) for b in page])


NON_JSON = (CSVRenderer.format, StaticHTMLRenderer.format)


class NonJsonAnswersMixin:
    """Views that also answer CSV or HTML: errors stay JSON in the one error format.

    Content negotiation may pick a CSV or HTML renderer (the client's ``Accept``), but those
    answers are written by the views themselves; an error response is rendered as JSON.
    """

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if isinstance(response, Response) and getattr(renderer, "format", None) in NON_JSON:
            request.accepted_renderer = ORJSONRenderer()
            request.accepted_media_type = ORJSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def _reading_csv(view, query: dict, *, what: str = "readings") -> StreamingHttpResponse:
    """The readings CSV of a validated export query, streamed (400 over the row limit)."""
    query = dict(query)
    fmt = {k: query.pop(k, default) for k, default in EXPORT_FORMAT.items()}
    metrics = query.pop("metrics", None) or [i.name for i in indicators.INDICATORS]
    try:
        plan = exports.reading_export_plan(
            scope=view.scope, max_rows=settings.EXPORT_MAX_ROWS, **query
        )
    except exports.RowLimitExceeded as exc:
        message = (
            f"The export holds {exc.rows} readings, more than the limit of {exc.limit} "
            "(EXPORT_MAX_ROWS); narrow the range or the filters."
        )
        raise ValidationError({"start": [message]}) from None
    docs = exports.reading_export_rows(scope=view.scope, plan=plan)
    rows = csv_out.reading_rows(docs, plan=plan, metrics=metrics, tz=fmt["tz"])
    chunks = csv_out.csv_stream(
        csv_out.reading_header(metrics), rows, delimiter=fmt["delimiter"], bom=fmt["bom"]
    )
    name = csv_out.file_name(
        what, who=_export_owner(view.scope, query), start=query.get("start"),
        end=query.get("end"), tz=fmt["tz"],
    )  # fmt: skip
    return csv_out.csv_response(chunks, name)


def _export_owner(scope, query: dict) -> str:
    """Whose data a file holds, for its name: the one customer, else "all" or "several"."""
    customers = scope.allowed(query.get("customer"))
    if customers is None:
        return "all"
    return customers[0] if len(customers) == 1 else "several"


EXPORT_FORMAT = {"tz": "UTC", "delimiter": ",", "bom": False}
# DRF's `format` override is left out of the schema: clients choose CSV with `Accept`.
NO_FORMAT_PARAM = OpenApiParameter("format", exclude=True)


def _json_errors(errors: dict) -> dict:
    """Error responses documented as JSON only (views that also speak CSV or HTML)."""
    return {(code, ORJSONRenderer.media_type): answer for code, answer in errors.items()}


CSV_200 = {
    (200, CSVRenderer.media_type): OpenApiResponse(
        OpenApiTypes.STR, description="CSV (UTF-8), streamed as a download."
    )
}


@extend_schema(tags=["data"])
class ReadingViewSet(NonJsonAnswersMixin, ApiView, viewsets.GenericViewSet):
    """Readings, newest first, by cursor; never their spectra. ``Accept: text/csv``: all."""

    queryset = Reading.objects.none()
    pagination_class = ReadingCursorPagination
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]
    query_serializer_classes = {"list": s.ReadingQuerySerializer}

    @extend_schema(
        summary="Query readings",
        description="Filtered readings, newest first, with a cursor that stays stable while "
        "new readings arrive. `fields` picks the returned fields. With `Accept: text/csv`: "
        "every matching reading (no pages, oldest first, `fields` ignored) as the CSV of "
        "`/api/export/readings.csv` with its defaults (UTC, `,`, every indicator), within "
        "`EXPORT_MAX_ROWS`.",
        parameters=[s.ReadingQuerySerializer, NO_FORMAT_PARAM],
        responses={
            (200, "application/json"): s.ReadingFieldsSerializer(many=True),
            **CSV_200,
            **_json_errors(ERRORS_400),
        },
    )
    def list(self, request, *args, **kwargs):
        """Readings matching the filters, by cursor (one query per page); or all, as CSV."""
        filters = dict(self.query)
        if request.accepted_renderer.format == CSVRenderer.format:
            filters.pop("fields", None)
            return _reading_csv(self, filters)
        fields = filters.pop("fields", None)
        only = frozenset(fields) if fields else None

        def fetch(*, position, newer, limit):
            return readings.reading_page(
                scope=self.scope, position=position, newer=newer, limit=limit, **filters
            )

        page = self.paginator.paginate_readings(fetch, request)
        rows = [s.ReadingSerializer.render(doc, only=only) for doc in page]
        return self.paginator.get_paginated_response(rows)


@extend_schema(tags=["data"])
class SpectrumViewSet(ApiView, viewsets.GenericViewSet):
    """The spectrum of one reading, with peaks and bearing fault frequencies."""

    queryset = Spectrum.objects.none()
    not_found_message = "No spectrum for this reading id."
    query_serializer_classes = {"retrieve": s.FftQuerySerializer}

    @extend_schema(
        summary="Spectrum (FFT) of a reading",
        parameters=[READING_ID, s.FftQuerySerializer],
        responses={200: s.FftSerializer, **ERRORS_400_404},
    )
    def retrieve(self, request, *args, **kwargs):
        """The spectrum of the reading named in the URL."""
        pk = self.object_id_or_404(self.kwargs["reading_id"])
        data = spectra.fft_get(scope=self.scope, reading_id=pk, units=self.query["units"])
        if data is None:
            raise NotFound(self.not_found_message)
        return Response(s.FftSerializer.render(data))


class CsvRenderer(BaseRenderer):
    """``text/csv`` for views that build their CSV text themselves."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data.encode("utf-8") if isinstance(data, str) else b""


def waveform_csv(data: dict) -> str:
    """``time_s,acceleration_g`` rows of a waveform (time from the first sample)."""
    samples = data["samples_g"]
    times = np.arange(samples.size, dtype=np.float64) / data["sample_rate_hz"]
    rows = "\n".join(f"{t:.9g},{v:.9g}" for t, v in zip(times, samples, strict=True))
    return f"time_s,acceleration_g\n{rows}\n"


WAVEFORM_DESCRIPTION = (
    "The raw acceleration waveform the vendor sent, stored losslessly. JSON: the samples as "
    "stored (base64, `encoding`, `scale`); `?format=csv`: `time_s,acceleration_g` rows. "
    "Readings ingested before waveforms were kept answer 404."
)
ENVELOPE_DESCRIPTION = (
    "Envelope (demodulation) analysis of the raw waveform: band-passed around the structural "
    "resonance (500 Hz to 0.4 x the sample rate), the envelope's Hann amplitude spectrum in "
    "0-peak gE (amplitude-corrected: a sine of amplitude A reads A), its RMS and peak, and for "
    "each bearing fault frequency (BPFO, BPFI, BSF, FTF at the shaft speed) the largest line "
    "within +-2 % of its 1x-3x harmonics and the match score. 404 when the reading has no "
    "stored waveform (readings ingested before waveforms were kept)."
)


class _ReadingWaveformViewSet(ApiView, viewsets.GenericViewSet):
    """What is computed from one reading's stored raw waveform."""

    queryset = Waveform.objects.none()
    not_found_message = "No waveform for this reading id."

    def _data(self, selector) -> dict:
        pk = self.object_id_or_404(self.kwargs["reading_id"])
        data = selector(scope=self.scope, reading_id=pk)
        if data is None:
            raise NotFound(self.not_found_message)
        return data


@extend_schema(tags=["data"])
class WaveformViewSet(_ReadingWaveformViewSet):
    """The raw waveform of one reading, as JSON or CSV."""

    renderer_classes = [ORJSONRenderer, CsvRenderer]

    def handle_exception(self, exc):
        """Errors are JSON in the one error format, whatever format was asked for."""
        self.request.accepted_renderer = ORJSONRenderer()
        self.request.accepted_media_type = ORJSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        summary="Raw waveform of a reading",
        description=WAVEFORM_DESCRIPTION,
        parameters=[
            READING_ID,
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: time_s,acceleration_g."
            ),
        ],
        responses={
            (200, "application/json"): s.WaveformSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            **ERRORS_400_404,
        },
    )
    def waveform(self, request, *args, **kwargs):
        """The waveform of the reading named in the URL, as JSON or CSV."""
        data = self._data(spectra.waveform_get)
        if request.accepted_renderer.format == "csv":
            return Response(waveform_csv(data), content_type="text/csv; charset=utf-8")
        return Response(s.WaveformSerializer.render(data))


@extend_schema(tags=["data"])
class EnvelopeViewSet(_ReadingWaveformViewSet):
    """The envelope analysis of one reading's raw waveform."""

    not_found_message = "No waveform for this reading id (needed for the envelope)."

    @extend_schema(
        summary="Envelope spectrum of a reading",
        description=ENVELOPE_DESCRIPTION,
        parameters=[READING_ID],
        responses={200: s.EnvelopeSpectrumSerializer, **ERRORS_400_404},
    )
    def envelope(self, request, *args, **kwargs):
        """The envelope analysis of the reading named in the URL."""
        return Response(s.EnvelopeSpectrumSerializer.render(self._data(spectra.envelope_get)))


@extend_schema(tags=["dashboard"])
class DashboardViewSet(ApiView, viewsets.ViewSet):
    """KPIs and trends, read from the denormalized state and the hourly rollups."""

    query_serializer_classes = {
        "kpis": s.DashboardQuerySerializer,
        "hourly_trends": s.HourlyTrendQuerySerializer,
        "status_trends": s.StatusTrendQuerySerializer,
    }

    def _answer(self, name: str, selector, serializer) -> Response:
        """The cached rendering of one dashboard selector over the validated query."""

        def compute():
            return serializer.render(selector(scope=self.scope, **self.query))

        return Response(self.cached_answer(name, compute))

    @extend_schema(
        summary="Fleet KPIs",
        parameters=[s.DashboardQuerySerializer],
        responses={200: s.KpiSerializer, **ERRORS_400},
    )
    @action(detail=False)
    def kpis(self, request):
        """Machines by status, bearings, readings in the last 24 h, last ingestion run."""
        return self._answer("kpis", dashboard.kpis_get, s.KpiSerializer)

    @extend_schema(
        summary="Hourly trend",
        description="Per local hour (current one included): readings, average and maximum "
        "velocity RMS, average temperature, Alert/Unacceptable readings. Empty hours have "
        "count 0. Hours follow the zone's DST changes.",
        parameters=[s.HourlyTrendQuerySerializer],
        responses={200: s.HourlyTrendSerializer, **ERRORS_400},
    )
    @action(detail=False, url_path="trends/hourly")
    def hourly_trends(self, request):
        """Per local hour: readings, velocity RMS, temperature, alerts."""
        return self._answer("hourly", dashboard.hourly_trends_get, s.HourlyTrendSerializer)

    @extend_schema(
        summary="Daily status trend",
        description="Readings per status for each local day (today included).",
        parameters=[s.StatusTrendQuerySerializer],
        responses={200: s.StatusTrendSerializer, **ERRORS_400},
    )
    @action(detail=False, url_path="trends/status")
    def status_trends(self, request):
        """Per local day: readings in each status."""
        return self._answer("status", dashboard.status_trends_get, s.StatusTrendSerializer)


@extend_schema(tags=["export"])
class ExportViewSet(NonJsonAnswersMixin, ApiView, viewsets.ViewSet):
    """CSV downloads of readings and of rollup trends, streamed."""

    renderer_classes = [CSVRenderer, *api_settings.DEFAULT_RENDERER_CLASSES]
    not_found_message = "No machine with this id."
    query_serializer_classes = {
        "readings": s.ReadingExportQuerySerializer,
        "trends": s.TrendExportQuerySerializer,
    }

    @extend_schema(
        summary="Export readings (CSV)",
        description=(
            "Every reading matching the `/api/data/query` filters, oldest first (ties by id): "
            "`time` (ISO 8601 in `tz`), `epoch_ms`, customer, area, machine, bearing, status, "
            "then each indicator with its unit in the column name (`velocity_rms_mm_s`). "
            "Always a header row. Text cells starting with `= + - @`, tab or CR are prefixed "
            "with `'` (spreadsheet formula injection). More than `EXPORT_MAX_ROWS` readings "
            "answers 400 with the count."
        ),
        operation_id="export_readings_csv",
        parameters=[s.ReadingExportQuerySerializer, NO_FORMAT_PARAM],
        responses={**CSV_200, **_json_errors(ERRORS_400)},
    )
    @action(detail=False, url_path="readings.csv")
    def readings(self, request):
        """The readings CSV, streamed from one cursor per time window."""
        return _reading_csv(self, self.query)

    @extend_schema(
        summary="Export trends (CSV)",
        description=(
            "Hour or day (in `tz`) buckets of the hourly rollups, oldest first, per bearing of "
            "a machine (`level=bearing`, `machine_id` required) or per customer and area "
            "(`level=area`, headline indicators only): `bucket_start` (ISO 8601 in `tz`), "
            "`epoch_ms`, keys, `count`, then avg/min/max of each indicator with its unit. "
            "Buckets run from the one holding `start` to the one holding `end`."
        ),
        operation_id="export_trends_csv",
        parameters=[s.TrendExportQuerySerializer, NO_FORMAT_PARAM],
        responses={**CSV_200, **_json_errors(ERRORS_400_404)},
    )
    @action(detail=False, url_path="trends.csv")
    def trends(self, request):
        """The trends CSV, from rollups only."""
        query = dict(self.query)
        fmt = {k: query.pop(k) for k in EXPORT_FORMAT}
        names, who = {}, _export_owner(self.scope, query)
        if query["level"] == "bearing":
            names, who = self._machine_names(query)
        rows = exports.trend_export_rows(scope=self.scope, tz=fmt["tz"], **query)
        level = query["level"]
        chunks = csv_out.csv_stream(
            csv_out.trend_header(level),
            csv_out.trend_rows(rows, level=level, tz=fmt["tz"], names=names),
            delimiter=fmt["delimiter"],
            bom=fmt["bom"],
        )
        name = csv_out.file_name(
            f"trends_{query['interval']}", who=who, start=query["start"], end=query["end"],
            tz=fmt["tz"],
        )  # fmt: skip
        return csv_out.csv_response(chunks, name)

    def _machine_names(self, query: dict) -> tuple[dict, str]:
        """Names by id of the machine and its bearings (404 outside the scope), and its name."""
        machine = catalogue.machine_get(scope=self.scope, machine_id=query["machine_id"])
        if machine is None:
            raise NotFound(self.not_found_message)
        bearings = catalogue.machine_bearings(scope=self.scope, machine_id=machine["_id"])
        if query.get("bearing_id") and query["bearing_id"] not in {b["_id"] for b in bearings}:
            raise NotFound("No bearing with this id on this machine.")
        names = {b["_id"]: b.get("bearing_location", "") for b in bearings}
        names[machine["_id"]] = machine.get("machine_name", "")
        return names, machine.get("machine_name", "")


@extend_schema(tags=["machines"])
class MachineReportViewSet(NonJsonAnswersMixin, ApiView, viewsets.ViewSet):
    """The printable one-page report of a machine (HTML)."""

    renderer_classes = [StaticHTMLRenderer, *api_settings.DEFAULT_RENDERER_CLASSES]
    not_found_message = "No machine with this id."

    @extend_schema(
        summary="Printable machine report (HTML)",
        description="One page that prints well: the machine, its bearings with their ISO zone "
        "and latest indicators, open alarms, and per bearing the daily average and maximum "
        "velocity RMS of the last 30 days over the machine's zone limits (inline SVG).",
        parameters=[MACHINE_ID, NO_FORMAT_PARAM],
        responses={
            (200, StaticHTMLRenderer.media_type): OpenApiResponse(
                OpenApiTypes.STR, description="An HTML page (no external assets)."
            ),
            **_json_errors(ERRORS_400_404),
        },
    )
    def retrieve(self, request, *args, **kwargs):
        """The report of the machine named in the URL, within the scope; else 404."""
        pk = self.object_id_or_404(self.kwargs["machine_id"])
        report = reports.machine_report_get(scope=self.scope, machine_id=pk)
        if report is None:
            raise NotFound(self.not_found_message)
        return HttpResponse(report_html(report), content_type="text/html; charset=utf-8")


class HealthView(APIView):
    """Liveness and database reachability, for load balancers: no authentication."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # Load balancers probe often from one address: never throttle them.
    throttle_classes = []

    @extend_schema(
        tags=["utility"],
        summary="Health check",
        auth=[],
        responses={
            200: s.HealthSerializer,
            503: OpenApiResponse(s.HealthSerializer, description="The database is unreachable."),
        },
    )
    def get(self, request):
        """200 when the database answers a ping within 2 s, else 503."""
        data = system.health_get()
        code = status.HTTP_200_OK if data["database"] == "ok" else 503
        return Response(s.HealthSerializer.render(data), status=code)


class StatsView(ApiView, APIView):
    """Collection sizes, reading time range, last ingestion run and versions."""

    @extend_schema(
        tags=["utility"],
        summary="System statistics",
        responses={200: s.StatsSerializer, **ERRORS_400},
    )
    def get(self, request):
        """Collection counts, storage, reading time range, last run, versions."""

        def compute() -> dict:
            data = system.stats_get(scope=self.scope)
            data["retention"] = spectra.storage_tiers_get(scope=self.scope)
            return s.StatsSerializer.render(data)

        # All-time figures read every area rollup: once per cache period, not per request.
        return Response(self.cached_answer("stats", compute))
