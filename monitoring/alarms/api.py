"""The alarm API: serializers and declarative viewsets, wired in ``monitoring/api/urls.py``.

Reads are customer-scoped like every endpoint (another customer's alarm is a 404). Actions are
POSTs carrying the alarm's ``version``: a compare-and-set, so a step from a state that moved on
answers 409. Plant users act on their customers' alarms when their role is engineer; staff on
all. Rules and the audit trail are staff-only.
"""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from monitoring.access import role_for
from monitoring.alarms import lifecycle, rules
from monitoring.alarms.models import Alarm, AlarmRule, AuditEvent
from monitoring.api.fields import OBJECT_ID_SCHEMA, AwareDateTimeField, ObjectIdField
from monitoring.api.fields import ObjectIdParamField as IdParam
from monitoring.api.pagination import ReadingCursorPagination
from monitoring.api.render import DocumentSerializer
from monitoring.api.serializers import ErrorSerializer, _multi
from monitoring.api.views import ERRORS_400, ERRORS_400_404, ApiView
from monitoring.permissions import AlarmActionPermission
from monitoring.selectors import alarms as selectors

STATES = ["open", "active", "cleared", "closed"]


class _JsonTyped:
    """A body field that takes only its JSON type (DRF would coerce "1" to 1, 0 to "0")."""

    json_types: tuple = ()

    def to_internal_value(self, data):
        if isinstance(data, bool) != (bool in self.json_types) or not isinstance(
            data, self.json_types
        ):
            self.fail("invalid")
        return super().to_internal_value(data)


class BodyChar(_JsonTyped, serializers.CharField):
    json_types = (str,)


class BodyChoice(_JsonTyped, serializers.ChoiceField):
    json_types = (str,)
    default_error_messages = {"invalid": "Not a valid string."}


class BodyInt(_JsonTyped, serializers.IntegerField):
    json_types = (int,)


class BodyFloat(_JsonTyped, serializers.FloatField):
    json_types = (int, float)


class BodyBool(_JsonTyped, serializers.BooleanField):
    json_types = (bool,)


# --- Responses ---------------------------------------------------------------------------------


class EvidenceSerializer(DocumentSerializer):
    """What the rule saw: the value against its threshold (and baseline, zone) with the unit."""

    indicator = serializers.CharField(required=False, allow_null=True)
    value = serializers.FloatField(required=False, allow_null=True)
    threshold = serializers.FloatField(required=False, allow_null=True)
    baseline = serializers.FloatField(required=False, allow_null=True)
    zone = serializers.CharField(required=False, allow_null=True)
    unit = serializers.CharField(required=False, allow_null=True)
    at = serializers.CharField(required=False, allow_null=True, help_text="Reading time (UTC).")
    projected_at = serializers.CharField(
        required=False, allow_null=True, help_text="Trend: when the C/D boundary is reached."
    )
    error = serializers.CharField(required=False, allow_null=True, help_text="Ingestion alarms.")


class StepSerializer(DocumentSerializer):
    """One step of an alarm's history."""

    at = serializers.CharField(help_text="ISO 8601, UTC (Z).")
    step = serializers.CharField(help_text="raised, escalated, deescalated, cleared, ...")
    severity = serializers.CharField()
    by = serializers.CharField()


class CommentSerializer(DocumentSerializer):
    """A comment on an alarm."""

    at = serializers.CharField(help_text="ISO 8601, UTC (Z).")
    by = serializers.CharField()
    text = serializers.CharField()


class AlarmSerializer(DocumentSerializer):
    """An alarm as listed."""

    id = ObjectIdField(source="_id")
    customer = serializers.CharField()
    area = serializers.CharField()
    machine_id = ObjectIdField(allow_null=True)
    bearing_id = ObjectIdField(allow_null=True)
    rule_type = serializers.ChoiceField(choices=list(rules.RULE_TYPES))
    rule_id = serializers.CharField(help_text="The override applied; empty for the defaults.")
    severity = serializers.ChoiceField(choices=list(rules.SEVERITIES))
    state = serializers.ChoiceField(choices=["active", "cleared"])
    acknowledged = serializers.BooleanField()
    closed = serializers.BooleanField()
    resolution = serializers.CharField()
    raised_at = AwareDateTimeField()
    updated_at = AwareDateTimeField()
    acknowledged_at = AwareDateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField()
    cleared_at = AwareDateTimeField(allow_null=True)
    cleared_by = serializers.CharField()
    closed_at = AwareDateTimeField(allow_null=True)
    closed_by = serializers.CharField()
    assignee = serializers.CharField()
    trigger_reading_id = ObjectIdField(allow_null=True)
    worst_reading_id = ObjectIdField(allow_null=True)
    worst_value = serializers.FloatField(allow_null=True)
    evidence = EvidenceSerializer()
    occurrences = serializers.IntegerField()
    version = serializers.IntegerField(help_text="Send it back with an action (409 if stale).")


class AlarmDetailSerializer(AlarmSerializer):
    """An alarm with its history and comments."""

    history = StepSerializer(many=True)
    comments = CommentSerializer(many=True)


class CountsBySeveritySerializer(DocumentSerializer):
    warning = serializers.IntegerField()
    alert = serializers.IntegerField()
    danger = serializers.IntegerField()


class CountsByStateSerializer(DocumentSerializer):
    active = serializers.IntegerField()
    cleared = serializers.IntegerField()
    unacknowledged = serializers.IntegerField()


class AlarmSummarySerializer(DocumentSerializer):
    """Open (not closed) alarms: active ones by severity, all by state."""

    open = serializers.IntegerField()
    active_by_severity = CountsBySeveritySerializer()
    open_by_state = CountsByStateSerializer()


class AlarmRuleSerializer(DocumentSerializer):
    """A staff override of a rule's parameters."""

    id = ObjectIdField(source="_id", read_only=True)
    rule_type = BodyChoice(choices=list(rules.RULE_TYPES))
    scope = BodyChoice(choices=AlarmRule.Scope.values)
    target = BodyChar(allow_blank=True, required=False, default="")
    enabled = BodyBool(required=False, default=True)
    params = serializers.DictField(child=BodyFloat(), required=False, default=dict)

    def validate(self, attrs):
        unknown = set(attrs.get("params", {})) - set(rules.DEFAULT_PARAMS[attrs["rule_type"]])
        if unknown:
            raise ValidationError(
                {"params": [f"Unknown parameter(s): {', '.join(sorted(unknown))}."]}
            )
        return attrs


class AuditEventSerializer(DocumentSerializer):
    """One audit entry."""

    id = ObjectIdField(source="_id")
    at = AwareDateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    customer = serializers.CharField()


# --- Input ---------------------------------------------------------------------------------------


class AlarmQuerySerializer(serializers.Serializer):
    """Filters of ``/api/alarms``."""

    state = _multi("open (not closed), active, cleared, closed; repeat or comma-separate.",
                   choices=STATES)  # fmt: skip
    severity = _multi("warning, alert, danger.", choices=list(rules.SEVERITIES))
    rule_type = _multi("zone, baseline, trend, stale, ingestion.", choices=list(rules.RULE_TYPES))
    customer = _multi("Customer name(s).")
    machine_id = IdParam(required=False, help_text="Only this machine's alarms.")
    bearing_id = IdParam(required=False, help_text="Only this bearing's alarms.")
    since = AwareDateTimeField(required=False, help_text="Raised at or after (with offset).")


class SummaryQuerySerializer(serializers.Serializer):
    customer = _multi("Customer name(s).")


class ActionSerializer(serializers.Serializer):
    """The alarm's version as read (compare-and-set) and the action's own field."""

    version = BodyInt(min_value=1, help_text="The version last read.")


class CloseSerializer(ActionSerializer):
    resolution = BodyChoice(choices=Alarm.Resolution.values)


class AssignSerializer(ActionSerializer):
    assignee = BodyChar(max_length=150, help_text="A username (empty: nobody).",
                                     allow_blank=True)  # fmt: skip


class CommentInputSerializer(ActionSerializer):
    text = BodyChar(max_length=4000)


class PreviewSerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()


class PreviewAlarmSerializer(DocumentSerializer):
    """An alarm a rule would have raised over stored history."""

    bearing_id = ObjectIdField()
    subject = serializers.CharField()
    severity = serializers.CharField()
    raised_at = AwareDateTimeField()
    cleared_at = AwareDateTimeField(allow_null=True)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The alarm moved on."
    default_code = "conflict"


ALARM_ID = OpenApiParameter("alarm_id", OBJECT_ID_SCHEMA, OpenApiParameter.PATH,
                            description="The alarm's id (24-hex).")  # fmt: skip
RULE_ID = OpenApiParameter("rule_id", OBJECT_ID_SCHEMA, OpenApiParameter.PATH,
                           description="The rule's id (24-hex).")  # fmt: skip
RULE_CONFLICT = OpenApiResponse(
    ErrorSerializer, description="An override for this rule type, scope and target exists."
)
# A write whose body is neither JSON nor form data (e.g. no content type at all).
UNSUPPORTED_BODY = {
    415: OpenApiResponse(ErrorSerializer, description="The body is not JSON or form data.")
}
ACTION_ERRORS = {
    **ERRORS_400_404,
    **UNSUPPORTED_BODY,
    403: OpenApiResponse(ErrorSerializer, description="A viewer, or CSRF missing (session)."),
    409: OpenApiResponse(ErrorSerializer, description="The alarm moved on (version or state)."),
}


def _action_doc(summary: str, body) -> dict:
    """The schema of an alarm action."""
    return {"summary": summary, "parameters": [ALARM_ID], "request": body,
            "responses": {200: AlarmDetailSerializer, **ACTION_ERRORS}}  # fmt: skip


class AlarmCursorPagination(ReadingCursorPagination):
    """The readings' cursor over (raised_at, id)."""

    def _link(self, newer: bool, alarm: dict) -> str:
        return super()._link(newer, {"timestamp": alarm["raised_at"], "_id": alarm["_id"]})


class AuditCursorPagination(ReadingCursorPagination):
    """The readings' cursor over (at, id): no count, so a page costs the same at any depth."""

    def _link(self, newer: bool, event: dict) -> str:
        return super()._link(newer, {"timestamp": event["at"], "_id": event["_id"]})


# --- Views ---------------------------------------------------------------------------------------


@extend_schema(tags=["alarms"])
class AlarmViewSet(ApiView, viewsets.GenericViewSet):
    """Alarms in scope: list, one with its history, a summary, and people's actions."""

    # JSON bodies only: form encodings cannot tell null from the text "null".
    parser_classes = [JSONParser]

    queryset = Alarm.objects.none()
    serializer_class = ActionSerializer  # what OPTIONS describes for the actions
    pagination_class = AlarmCursorPagination
    permission_classes = [IsAuthenticated, AlarmActionPermission]
    not_found_message = "No alarm with this id."
    query_serializer_classes = {"list": AlarmQuerySerializer, "summary": SummaryQuerySerializer}

    def alarm(self) -> dict:
        """The alarm named in the URL, within the scope; else 404."""
        pk = self.object_id_or_404(self.kwargs["alarm_id"])
        doc = selectors.alarm_get(scope=self.scope, alarm_id=pk)
        if doc is None:
            raise NotFound(self.not_found_message)
        return doc

    @extend_schema(summary="List alarms", parameters=[AlarmQuerySerializer],
                   responses={200: AlarmSerializer(many=True), **ERRORS_400})  # fmt: skip
    def list(self, request, *args, **kwargs):
        """Alarms newest first by cursor, filtered."""
        filters = dict(self.query)

        def fetch(*, position, newer, limit):
            return selectors.alarm_page(scope=self.scope, position=position, newer=newer,
                                        limit=limit, filters=filters)  # fmt: skip

        page = self.paginator.paginate_readings(fetch, request)
        return self.paginator.get_paginated_response([AlarmSerializer.render(d) for d in page])

    @extend_schema(summary="One alarm with its history and comments", parameters=[ALARM_ID],
                   responses={200: AlarmDetailSerializer, **ERRORS_400_404})  # fmt: skip
    def retrieve(self, request, *args, **kwargs):
        """The alarm, its history and comments."""
        return Response(AlarmDetailSerializer.render(self.alarm()))

    @extend_schema(summary="Alarm counts", parameters=[SummaryQuerySerializer],
                   responses={200: AlarmSummarySerializer, **ERRORS_400})  # fmt: skip
    @action(detail=False, pagination_class=None)
    def summary(self, request, *args, **kwargs):
        """Open alarms by severity and state."""
        data = selectors.alarm_summary(scope=self.scope, customer=self.query.get("customer"))
        return Response(AlarmSummarySerializer.render(data))

    def _act(self, request, name: str, input_class) -> Response:
        alarm = self.alarm()
        if not request.user.is_staff and role_for(request.user) != "engineer":
            raise PermissionDenied("Only engineers of this customer and staff may act on alarms.")
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        args = {k: v for k, v in data.validated_data.items() if k != "version"}
        try:
            updated = lifecycle.alarm_act(
                alarm_id=alarm["_id"], action=name, actor=request.user.get_username(),
                expected_version=data.validated_data["version"], **args,
            )  # fmt: skip
        except lifecycle.Conflict as exc:
            raise Conflict(str(exc)) from None
        except LookupError:
            raise NotFound(self.not_found_message) from None
        return Response(AlarmDetailSerializer.render(updated))

    @extend_schema(**_action_doc("Acknowledge an alarm", ActionSerializer))
    @action(detail=True, methods=["post"])
    def ack(self, request, *args, **kwargs):
        """Acknowledge: someone owns it."""
        return self._act(request, "ack", ActionSerializer)

    @extend_schema(**_action_doc("Clear an alarm by hand", ActionSerializer))
    @action(detail=True, methods=["post"])
    def clear(self, request, *args, **kwargs):
        """Clear an active alarm (its condition may raise it again)."""
        return self._act(request, "clear", ActionSerializer)

    @extend_schema(**_action_doc("Close an alarm with a resolution", CloseSerializer))
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):
        """Close: repaired, false alarm or accepted."""
        return self._act(request, "close", CloseSerializer)

    @extend_schema(**_action_doc("Assign an alarm", AssignSerializer))
    @action(detail=True, methods=["post"])
    def assign(self, request, *args, **kwargs):
        """Set the assignee."""
        return self._act(request, "assign", AssignSerializer)

    @extend_schema(**_action_doc("Comment on an alarm", CommentInputSerializer))
    @action(detail=True, methods=["post"])
    def comments(self, request, *args, **kwargs):
        """Add a comment."""
        return self._act(request, "comment", CommentInputSerializer)


@extend_schema(tags=["alarms"])
class AlarmRuleViewSet(ApiView, viewsets.GenericViewSet):
    """Staff: rule overrides by machine type, machine or bearing, and their backtest."""

    # JSON bodies only: form encodings cannot tell null from the text "null".
    parser_classes = [JSONParser]

    queryset = AlarmRule.objects.none()
    serializer_class = AlarmRuleSerializer  # what OPTIONS describes
    pagination_class = None
    permission_classes = [IsAdminUser]
    not_found_message = "No alarm rule with this id."

    def get_object(self) -> dict:
        """The rule in the URL (what OPTIONS asks DRF's metadata for)."""
        return self.rule()

    def rule(self) -> dict:
        pk = self.object_id_or_404(self.kwargs["rule_id"])
        doc = selectors.rule_get(scope=self.scope, rule_id=pk)
        if doc is None:
            raise NotFound(self.not_found_message)
        return doc

    @extend_schema(summary="List alarm rule overrides",
                   responses={200: AlarmRuleSerializer(many=True), **ERRORS_400})  # fmt: skip
    def list(self, request, *args, **kwargs):
        """Every override (rules without one run with the defaults)."""
        return Response(
            [AlarmRuleSerializer.render(r) for r in selectors.rule_list(scope=self.scope)]
        )

    @extend_schema(summary="Create an alarm rule override", request=AlarmRuleSerializer,
                   responses={201: AlarmRuleSerializer, **ERRORS_400, **UNSUPPORTED_BODY,
                              409: RULE_CONFLICT})  # fmt: skip
    def create(self, request, *args, **kwargs):
        """A new override (one per rule type, scope and target)."""
        data = AlarmRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        doc = lifecycle_rule_save(actor=request.user.get_username(), fields=data.validated_data)
        return Response(AlarmRuleSerializer.render(doc), status=status.HTTP_201_CREATED)

    @extend_schema(summary="One alarm rule override", parameters=[RULE_ID],
                   responses={200: AlarmRuleSerializer, **ERRORS_400_404})  # fmt: skip
    def retrieve(self, request, *args, **kwargs):
        return Response(AlarmRuleSerializer.render(self.rule()))

    @extend_schema(summary="Change an alarm rule override", parameters=[RULE_ID],
                   request=AlarmRuleSerializer,
                   responses={200: AlarmRuleSerializer, **ERRORS_400_404, **UNSUPPORTED_BODY,
                              409: RULE_CONFLICT})  # fmt: skip
    def update(self, request, *args, **kwargs):
        """Replace an override's fields."""
        rule = self.rule()
        data = AlarmRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        doc = lifecycle_rule_save(actor=request.user.get_username(), fields=data.validated_data,
                                  rule_id=rule["_id"])  # fmt: skip
        return Response(AlarmRuleSerializer.render(doc))

    @extend_schema(summary="Backtest a rule on stored history", parameters=[RULE_ID],
                   request=PreviewSerializer,
                   responses={200: PreviewAlarmSerializer(many=True),
                              **ERRORS_400_404, **UNSUPPORTED_BODY})  # fmt: skip
    @action(detail=True, methods=["post"])
    def preview(self, request, *args, **kwargs):
        """The alarms the rule would have raised between start and end."""
        rule = self.rule()
        data = PreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        start, end = data.validated_data["start"], data.validated_data["end"]
        if not start < end <= start + dt.timedelta(days=90):
            raise ValidationError({"end": ["Must be after start, at most 90 days later."]})
        try:
            rows = selectors.rule_preview(scope=self.scope, rule=rule, start=start, end=end)
        except ValueError as exc:
            raise ValidationError({"rule_id": [str(exc)]}) from None
        return Response([PreviewAlarmSerializer.render(r) for r in rows])


@extend_schema(tags=["alarms"])
class AuditViewSet(ApiView, viewsets.GenericViewSet):
    """Staff: the append-only audit trail, newest first."""

    queryset = AuditEvent.objects.none()
    pagination_class = AuditCursorPagination
    permission_classes = [IsAdminUser]

    @extend_schema(summary="Audit trail", responses={200: AuditEventSerializer(many=True),
                                                     **ERRORS_400})  # fmt: skip
    def list(self, request, *args, **kwargs):
        """Who did what to which alarm, rule, baseline, machine or bearing, and when."""

        def fetch(*, position, newer, limit):
            return selectors.audit_page(scope=self.scope, position=position, newer=newer,
                                        limit=limit)  # fmt: skip

        page = self.paginator.paginate_readings(fetch, request)
        return self.paginator.get_paginated_response([AuditEventSerializer.render(d) for d in page])


def lifecycle_rule_save(*, actor: str, fields: dict, rule_id=None) -> dict:
    """Create or replace a rule override, audited (409-free: staff only, last write wins)."""
    from monitoring.alarms.services import rule_save

    try:
        return rule_save(actor=actor, fields=fields, rule_id=rule_id)
    except lifecycle.Conflict as exc:
        raise Conflict(str(exc)) from None
