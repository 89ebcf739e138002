"""The REST API: thin declarative viewsets over querysets and selectors.

Every view asks :meth:`ApiViewMixin.get_customer_scope` which customers it may show and passes
the answer to every queryset and selector, so per-customer access control is one method.
Query parameters are checked strictly: unknown names are a 400 naming them.
"""

from __future__ import annotations

import hashlib

from bson import ObjectId
from django.conf import settings
from django.core.cache import cache
from django_filters import utils as filter_utils
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    AuthenticationFailed,
    NotAuthenticated,
    NotFound,
    Throttled,
    ValidationError,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring import selectors
from monitoring.access import customer_scope
from monitoring.filters import (
    ActionFilterBackend,
    BearingFilterSet,
    MachineFilterSet,
    MachineSearchFilterSet,
    ReadingFilterSet,
    is_object_id,
)
from monitoring.models import Bearing, Machine, Reading, Spectrum
from monitoring.pagination import ReadingCursorPagination, StandardPagination
from monitoring.serializers import (
    OBJECT_ID_SCHEMA,
    BearingSerializer,
    DashboardQuerySerializer,
    ErrorSerializer,
    FftSerializer,
    HealthSerializer,
    HourlyTrendQuerySerializer,
    HourlyTrendSerializer,
    KpiSerializer,
    LatestReadingSerializer,
    MachineDetailSerializer,
    MachineSerializer,
    ReadingFieldsSerializer,
    ReadingQuerySerializer,
    ReadingSerializer,
    StatsSerializer,
    StatusTrendQuerySerializer,
    StatusTrendSerializer,
    TimeseriesQuerySerializer,
    TimeseriesSerializer,
)

MAX_QUERY_VALUE_LENGTH = 2000

ERRORS_400_404 = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid or unknown query parameters."),
    401: OpenApiResponse(ErrorSerializer, description="Missing or invalid credentials."),
    404: OpenApiResponse(
        ErrorSerializer, description="Unknown or malformed id, or another customer's object."
    ),
    429: OpenApiResponse(
        ErrorSerializer, description="Too many requests; retry after `Retry-After` seconds."
    ),
    503: OpenApiResponse(ErrorSerializer, description="The database is unreachable."),
}
ERRORS_400 = {k: v for k, v in ERRORS_400_404.items() if k != 404}


def _path_id(name: str, what: str) -> OpenApiParameter:
    """An ObjectId path parameter for the schema."""
    return OpenApiParameter(
        name, OBJECT_ID_SCHEMA, OpenApiParameter.PATH, description=f"The {what}'s id (24-hex)."
    )


MACHINE_ID = _path_id("machine_id", "machine")
READING_ID = _path_id("reading_id", "reading")
# FilterSet class -> its form class (see ApiViewMixin.get_filter_data).
_FILTER_FORMS: dict = {}


class ApiViewMixin:
    """Customer scope, strict query parameters and validated query serializers."""

    # action (or None for plain API views) -> serializer validating its query parameters
    query_serializer_classes: dict = {}
    blank_allowed_params = frozenset({"q"})
    not_found_message = "Not found."

    def get_customer_scope(self) -> list[str] | None:
        """Customers this request may see: None (all) for staff, else the user's customers."""
        if not hasattr(self, "_customer_scope"):
            self._customer_scope = customer_scope(self.request.user)
        return self._customer_scope

    def cached_answer(self, name: str, query: dict, compute) -> dict:
        """The serialized answer, from the cache while neither data nor time moved on.

        For answers that read rollups or other state ingestion writes (dashboards, stats). The
        key holds the data version ingestion bumps on every change, so a run makes fresh
        numbers visible at once; the short timeout bounds how far the sliding time windows
        ("last 24 h") may lag. Redis shares the cache between app servers (REDIS_URL).
        """
        timeout = settings.DASHBOARD_CACHE_SECONDS
        if timeout <= 0:
            return compute()
        parts = [name, sorted(query.items()), self.get_customer_scope()]
        parts.append(selectors.data_version_get())
        key = "dashboard:" + hashlib.sha256(repr(parts).encode()).hexdigest()
        data = cache.get(key)
        if data is None:
            data = compute()
            cache.set(key, data, timeout)
        return data

    @property
    def _action(self):
        return getattr(self, "action", None)

    def get_allowed_query_params(self) -> set[str]:
        """Every query parameter name this action understands."""
        allowed = {"format"}
        for backend in getattr(self, "filter_backends", ()):
            get_class = getattr(backend(), "get_filterset_class", None)
            filterset = get_class(self, None) if get_class and hasattr(self, "queryset") else None
            if filterset is not None:
                allowed |= set(filterset.base_filters)
        if self._action in ("list", "search") and getattr(self, "pagination_class", None):
            paginator = self.pagination_class
            for attr in ("page_query_param", "page_size_query_param", "cursor_query_param"):
                if getattr(paginator, attr, None):
                    allowed.add(getattr(paginator, attr))
        query_class = self.query_serializer_classes.get(self._action)
        if query_class is not None:
            allowed |= set(query_class().fields)
        return allowed

    def check_query_params(self, request) -> None:
        """400 for unknown parameter names or absurdly long values."""
        unknown = sorted(set(request.query_params) - self.get_allowed_query_params())
        if unknown:
            raise ValidationError({name[:100]: ["Unknown query parameter."] for name in unknown})
        # "?start=" is a mistake, not "no start": only free text may be empty.
        blank = sorted(
            name
            for name, values in request.query_params.lists()
            if name not in self.blank_allowed_params and any(v == "" for v in values)
        )
        if blank:
            raise ValidationError({name: ["May not be blank."] for name in blank})
        too_long = sorted(
            name
            for name, values in request.query_params.lists()
            if any(len(v) > MAX_QUERY_VALUE_LENGTH for v in values)
        )
        if too_long:
            raise ValidationError(
                {n: [f"At most {MAX_QUERY_VALUE_LENGTH} characters."] for n in too_long}
            )

    def initial(self, request, *args, **kwargs):
        """Check query parameter names before any work is done."""
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        # A method the view does not serve answers 405, whatever its parameters.
        if method in self.http_method_names and hasattr(self, method):
            self.check_query_params(request)

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

    def get_query(self) -> dict:
        """The validated query parameters of this action (400 on invalid ones)."""
        serializer = self.query_serializer_classes[self._action](data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def get_filter_data(self) -> dict:
        """This action's filters, validated (400 naming bad parameters): their cleaned data.

        Validates with the filterset's form alone (its class built once): a FilterSet per
        request deep-copies its filters and rebuilds its form class, ~0.6 ms of a 3 ms request.
        """
        filterset_class = ActionFilterBackend().get_filterset_class(self)
        form_class = _FILTER_FORMS.get(filterset_class)
        if form_class is None:
            none = filterset_class._meta.model.objects.none()
            form_class = _FILTER_FORMS[filterset_class] = filterset_class(
                queryset=none
            ).get_form_class()
        form = form_class(data=self.request.query_params)
        if not form.is_valid():
            raise filter_utils.translate_validation(form.errors)
        return form.cleaned_data

    def object_id_or_404(self, value) -> ObjectId:
        """A path id as an ObjectId; malformed ids are simply not found."""
        if not is_object_id(value):
            raise NotFound(self.not_found_message)
        return ObjectId(value)

    def get_object(self):
        """The object named by the URL within the customer scope, else 404."""
        pk = self.object_id_or_404(self.kwargs[self.lookup_url_kwarg])
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise NotFound(self.not_found_message)
        return obj


@extend_schema(tags=["machines"])
class MachineViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Machines with their denormalized latest state; never sorts or counts readings."""

    queryset = Machine.objects.all()
    serializer_class = MachineSerializer
    filterset_class = MachineFilterSet
    filterset_classes = {"list": MachineFilterSet, "search": MachineSearchFilterSet}
    pagination_class = StandardPagination
    lookup_url_kwarg = "machine_id"
    not_found_message = "No machine with this id."
    query_serializer_classes = {"timeseries": TimeseriesQuerySerializer}

    def get_queryset(self):
        """Machines in scope."""
        return selectors.machines_list(customers=self.get_customer_scope())

    def get_machine_document(self) -> dict:
        """The machine named in the URL, as a stored document, within the scope; else 404."""
        pk = self.object_id_or_404(self.kwargs[self.lookup_url_kwarg])
        machine = selectors.machine_document_get(machine_id=pk, customers=self.get_customer_scope())
        if machine is None:
            raise NotFound(self.not_found_message)
        return machine

    def get_serializer_class(self):
        """Detail (with bearings) for retrieve, the list item otherwise."""
        return MachineDetailSerializer if self.action == "retrieve" else MachineSerializer

    @extend_schema(
        summary="List machines", responses={200: MachineSerializer(many=True), **ERRORS_400}
    )
    def list(self, request, *args, **kwargs):
        """Machines in scope, filtered, ordered and paginated: two finds, plain documents."""
        data = self.get_filter_data()
        filters = {name: data.get(name) for name in MachineFilterSet.Meta.fields}
        machines = selectors.machine_documents(
            customers=self.get_customer_scope(),
            filters={name: values for name, values in filters.items() if values},
            ordering=data.get("ordering") or (),
        )
        page = self.paginate_queryset(machines)
        return self.get_paginated_response([MachineSerializer.from_document(m) for m in page])

    @extend_schema(
        summary="Search machines",
        description="The list filters plus free text `q` and `has_alert`.",
        responses={200: MachineSerializer(many=True), **ERRORS_400},
    )
    @action(detail=False, url_path="search")
    def search(self, request, *args, **kwargs):
        """The list with free-text and alert filters."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One machine with its bearings",
        parameters=[MACHINE_ID],
        responses={200: MachineDetailSerializer, **ERRORS_400_404},
    )
    def retrieve(self, request, *args, **kwargs):
        """One machine with its bearings: two finds, plain documents."""
        machine = self.get_machine_document()
        machine["bearing_list"] = selectors.machine_bearing_documents(machine_id=machine["_id"])
        return Response(MachineDetailSerializer.from_document(machine))

    @extend_schema(
        summary="Latest reading of each bearing",
        description="One item per bearing of the machine; `reading` is null before the first.",
        # Not paginated: one item per bearing.
        parameters=[
            MACHINE_ID,
            OpenApiParameter("page", exclude=True),
            OpenApiParameter("page_size", exclude=True),
        ],
        responses={200: LatestReadingSerializer(many=True), **ERRORS_400_404},
    )
    @action(detail=True, url_path="latest-readings", pagination_class=None)
    def latest_readings(self, request, *args, **kwargs):
        """Each bearing with its latest reading: three finds, no sort over readings."""
        machine = self.get_machine_document()
        rows = selectors.latest_reading_documents(
            machine_id=machine["_id"], customers=self.get_customer_scope()
        )
        return Response([LatestReadingSerializer.from_documents(b, r) for b, r in rows])

    @extend_schema(
        summary="Time series of a machine's bearings",
        description=(
            "One series per bearing and metric, points `[timestamp, value]` oldest first. "
            "Buckets (hour, day; UTC) come from the hourly rollups and include every bucket "
            "starting in the range; raw points are the readings in [start, end]."
        ),
        parameters=[MACHINE_ID, TimeseriesQuerySerializer],
        responses={200: TimeseriesSerializer, **ERRORS_400_404},
    )
    @action(detail=True, url_path="timeseries", pagination_class=None)
    def timeseries(self, request, *args, **kwargs):
        """Series per bearing and metric from readings (raw) or rollups (hour, day)."""
        machine = self.get_machine_document()
        query = self.get_query()
        bearing_id = None
        if "bearing_id" in query:
            bearing_id = query["bearing_id"]
            if not is_object_id(bearing_id):
                raise NotFound("No bearing with this id on this machine.")
            bearing_id = ObjectId(bearing_id)
        try:
            data = selectors.timeseries_get(
                machine_id=machine["_id"],
                start=query["start"],
                end=query["end"],
                bearing_id=bearing_id,
                metrics=query["metrics"],
                interval=query.get("interval"),
                agg=query["agg"],
            )
        except Bearing.DoesNotExist:
            raise NotFound("No bearing with this id on this machine.") from None
        except selectors.PointLimitExceeded as exc:
            message = (
                f"The range holds {exc.points} {exc.interval} points per series, more than "
                f"the limit of {selectors.MAX_POINTS}; narrow the range or use a coarser "
                "interval."
            )
            raise ValidationError({"interval": [message]}) from None
        return Response(TimeseriesSerializer(data).data)


@extend_schema(tags=["bearings"])
class BearingViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Bearings, of one machine (``machine_id``) or all of them, paginated."""

    queryset = Bearing.objects.all()
    serializer_class = BearingSerializer
    filterset_class = BearingFilterSet
    pagination_class = StandardPagination
    not_found_message = "No machine with this id."

    def get_queryset(self):
        """Bearings in scope."""
        return selectors.bearings_list(customers=self.get_customer_scope())

    @extend_schema(
        summary="List bearings", responses={200: BearingSerializer(many=True), **ERRORS_400_404}
    )
    def list(self, request, *args, **kwargs):
        """Bearings, of one machine (unknown machine: 404) or all: plain documents."""
        self.get_filter_data()
        machine_id = request.query_params.get("machine_id")
        pk = None if machine_id is None else self.object_id_or_404(machine_id)
        customers = self.get_customer_scope()
        bearings = selectors.bearing_documents(customers=customers, machine_id=pk)

        # Bearings "of a machine": an unknown machine is a 404, not an empty list. Bearings
        # found prove their machine exists in scope, so only an empty answer needs the check.
        def machine_missing() -> bool:
            return pk is not None and (
                selectors.machine_document_get(machine_id=pk, customers=customers) is None
            )

        try:
            page = self.paginate_queryset(bearings)
        except ValidationError:
            if machine_missing():
                raise NotFound("No machine with this id.") from None
            raise
        if not page and machine_missing():
            raise NotFound("No machine with this id.")
        return self.get_paginated_response([BearingSerializer.from_document(b) for b in page])


@extend_schema(tags=["data"])
class ReadingViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Readings, newest first, by cursor; never their spectra.

    The filterset validates the filters (and documents them); the query itself is built by
    :func:`monitoring.selectors.readings_page`, in a shape the readings' indexes serve.
    """

    queryset = Reading.objects.all()
    serializer_class = ReadingSerializer
    filterset_class = ReadingFilterSet
    pagination_class = ReadingCursorPagination
    query_serializer_classes = {"list": ReadingQuerySerializer}

    def get_queryset(self):
        """Readings in scope, newest first (the browsable API's filter form reads it)."""
        return selectors.readings_list(customers=self.get_customer_scope())

    def get_serializer_context(self):
        """Pass the validated `fields` choice to the serializer."""
        context = super().get_serializer_context()
        if getattr(self, "action", None) == "list" and self.request is not None:
            context["fields"] = self.get_query().get("fields")
        return context

    def get_filters(self) -> dict:
        """The validated filters as :func:`~monitoring.selectors.readings_page` arguments."""
        filterset = self.filterset_class(
            self.request.query_params, queryset=Reading.objects.none(), request=self.request
        )
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        return filterset.criteria()

    @extend_schema(
        summary="Query readings",
        description="Filtered readings, newest first, with a cursor that stays stable while "
        "new readings arrive. `fields` picks the returned fields.",
        parameters=[ReadingQuerySerializer],
        responses={200: ReadingFieldsSerializer(many=True), **ERRORS_400},
    )
    def list(self, request, *args, **kwargs):
        """Readings matching the filters, by cursor (one query per page)."""
        filters = self.get_filters()
        self.get_query()  # `fields`: a 400 before any reading is read
        customers = self.get_customer_scope()

        def fetch(*, position, newer, limit):
            return selectors.readings_page(
                customers=customers, position=position, newer=newer, limit=limit, **filters
            )

        page = self.paginator.paginate_readings(fetch, request)
        serializer = self.get_serializer(page, many=True)
        return self.paginator.get_paginated_response(serializer.data)


@extend_schema(tags=["data"])
class SpectrumViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """The spectrum of one reading, with peaks and bearing fault frequencies."""

    queryset = Spectrum.objects.all()
    serializer_class = FftSerializer
    lookup_url_kwarg = "reading_id"
    not_found_message = "No spectrum for this reading id."

    @extend_schema(
        summary="Spectrum (FFT) of a reading",
        parameters=[READING_ID],
        responses={200: FftSerializer, **ERRORS_400_404},
    )
    def retrieve(self, request, *args, **kwargs):
        """The spectrum of the reading named in the URL."""
        pk = self.object_id_or_404(self.kwargs[self.lookup_url_kwarg])
        data = selectors.fft_get(reading_id=pk, customers=self.get_customer_scope())
        if data is None:
            raise NotFound(self.not_found_message)
        return Response(FftSerializer.from_document(data))


@extend_schema(tags=["dashboard"])
class DashboardViewSet(ApiViewMixin, viewsets.ViewSet):
    """KPIs and trends, read from the denormalized state and the hourly rollups."""

    query_serializer_classes = {
        "kpis": DashboardQuerySerializer,
        "hourly_trends": HourlyTrendQuerySerializer,
        "status_trends": StatusTrendQuerySerializer,
    }

    def _filters(self, query: dict) -> dict:
        """Selector keyword arguments for the scope and customer/area filters."""
        return {
            "customers": self.get_customer_scope(),
            "customer": query.get("customer") or None,
            "area": query.get("area") or None,
        }

    @extend_schema(
        summary="Fleet KPIs",
        parameters=[DashboardQuerySerializer],
        responses={200: KpiSerializer, **ERRORS_400},
    )
    @action(detail=False)
    def kpis(self, request):
        """Machines by status, bearings, readings in the last 24 h, last ingestion run."""
        query = self.get_query()

        def compute():
            return KpiSerializer(selectors.kpis_get(**self._filters(query))).data

        return Response(self.cached_answer("kpis", query, compute))

    @extend_schema(
        summary="Hourly trend",
        description="Per local hour (current one included): readings, average and maximum "
        "velocity RMS, average temperature, Alert/Unacceptable readings. Empty hours have "
        "count 0. Hours follow the zone's DST changes.",
        parameters=[HourlyTrendQuerySerializer],
        responses={200: HourlyTrendSerializer, **ERRORS_400},
    )
    @action(detail=False, url_path="trends/hourly")
    def hourly_trends(self, request):
        """Per local hour: readings, velocity RMS, temperature, alerts."""
        query = self.get_query()

        def compute():
            data = selectors.hourly_trends_get(
                hours=query["hours"], tz=query["tz"], **self._filters(query)
            )
            return HourlyTrendSerializer(data).data

        return Response(self.cached_answer("hourly", query, compute))

    @extend_schema(
        summary="Daily status trend",
        description="Readings per status for each local day (today included).",
        parameters=[StatusTrendQuerySerializer],
        responses={200: StatusTrendSerializer, **ERRORS_400},
    )
    @action(detail=False, url_path="trends/status")
    def status_trends(self, request):
        """Per local day: readings in each status."""
        query = self.get_query()

        def compute():
            data = selectors.status_trends_get(
                days=query["days"], tz=query["tz"], **self._filters(query)
            )
            return StatusTrendSerializer(data).data

        return Response(self.cached_answer("status", query, compute))


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
            200: HealthSerializer,
            503: OpenApiResponse(HealthSerializer, description="The database is unreachable."),
        },
    )
    def get(self, request):
        """200 when the database answers a ping within 2 s, else 503."""
        data = selectors.health_get()
        code = status.HTTP_200_OK if data["database"] == "ok" else 503
        return Response(HealthSerializer(data).data, status=code)


class StatsView(ApiViewMixin, APIView):
    """Collection sizes, reading time range, last ingestion run and versions."""

    @extend_schema(
        tags=["utility"],
        summary="System statistics",
        responses={200: StatsSerializer, **ERRORS_400},
    )
    def get(self, request):
        """Collection counts, storage, reading time range, last run, versions."""

        def compute() -> dict:
            return StatsSerializer(selectors.stats_get(customers=self.get_customer_scope())).data

        # All-time figures read every area rollup: once per cache period, not per request.
        return Response(self.cached_answer("stats", {}, compute))
