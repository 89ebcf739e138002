"""Request ids, structured logs and one access-log line per request.

:class:`RequestMiddleware` (first in MIDDLEWARE) takes the proxy's ``X-Request-Id`` when it is
sane or makes one, returns it on every response, keeps the request in a context variable for
the logging filter, records the request's metrics and writes the access-log line.
:class:`ContextFilter` (on every handler) adds request id, user, route and the ingestion run id
to each record; :class:`JsonFormatter` (``LOG_FORMAT=json``) writes one JSON object per line.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty

from factory_site import metrics

REQUEST_ID_HEADER = "X-Request-Id"
# An incoming id is kept only if it cannot forge log lines or grow without bound.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
UNMATCHED_ROUTE = "<unmatched>"
STATIC_ROUTE = "<static>"

_current_request: contextvars.ContextVar = contextvars.ContextVar("request", default=None)
access_logger = logging.getLogger("factory_site.access")


def request_id_for(incoming: str | None) -> str:
    """The proxy's request id when it is sane (bounded, safe characters), else a new one."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def route_of(request) -> str:
    """The URL pattern that served the request (bounded cardinality), never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.route or match.view_name or UNMATCHED_ROUTE
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    if request.path.startswith(static_url):
        return STATIC_ROUTE
    return UNMATCHED_ROUTE


def user_of(request) -> str | None:
    """The authenticated user's id, only if authentication already ran (no extra query)."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return str(user.pk) if getattr(user, "is_authenticated", False) else None


class RequestMiddleware:
    """Request id, metrics and the access-log line of every request (first middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_for(request.META.get("HTTP_X_REQUEST_ID"))
        token = _current_request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = request.request_id
            route = route_of(request)
            metrics.request_observe(request.method, route, response.status_code, duration)
            access_logger.info(
                "%s %s %s %.1fms", request.method, request.path, response.status_code,
                duration * 1000,
                extra={"status": response.status_code, "duration_ms": round(duration * 1000, 2),
                       "method": request.method, "route": route},
            )  # fmt: skip
            return response
        finally:
            _current_request.reset(token)


def _ingestion_run_id() -> str | None:
    # Imported late: settings configure logging before the apps are loaded.
    from ingestion.logcontext import current_run_id

    return current_run_id()


class ContextFilter(logging.Filter):
    """Adds request_id, user, route and run_id to every record (None when not known)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Every handler runs its filters: the first one to see the record did the work.
        if record.__dict__.get("_context_added"):
            return True
        record._context_added = True
        request = _current_request.get()
        if request is not None:
            record.request_id = getattr(record, "request_id", None) or request.request_id
            record.user = getattr(record, "user", None) or user_of(request)
            if getattr(record, "route", None) is None and request.resolver_match is not None:
                record.route = route_of(request)
        record.run_id = getattr(record, "run_id", None) or _ingestion_run_id()
        # For the text format: " [request_id=... run_id=...]" when there is any context.
        present = [
            f"{key}={getattr(record, key)}"
            for key in ("request_id", "run_id")
            if getattr(record, key, None) is not None
        ]
        record.context = f" [{' '.join(present)}]" if present else ""
        return True


class OnceFormatter(logging.Formatter):
    """Formats each record once, however many handlers share the formatter.

    The console and the log file both write every record, and the rotating file handler
    formats it a second time to see whether it still fits: three formats per access line.
    """

    def format(self, record: logging.LogRecord) -> str:
        done = record.__dict__.get("_formatted")
        if done is not None and done[0] is self:
            return done[1]
        text = self.format_record(record)
        record._formatted = (self, text)
        return text

    def format_record(self, record: logging.LogRecord) -> str:
        return super().format(record)


class TextFormatter(OnceFormatter):
    """``LOG_FORMAT=text``: the format string's line."""


class JsonFormatter(OnceFormatter):
    """One JSON object per line: time, level, logger, message and the request's context."""

    CONTEXT_FIELDS = ("request_id", "user", "route", "method", "status", "duration_ms", "run_id")

    def format_record(self, record: logging.LogRecord) -> str:
        doc = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key in self.CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                doc[key] = value
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        # Newlines in messages are escaped by json: a line is always one record.
        return json.dumps(doc, default=str, ensure_ascii=False)
