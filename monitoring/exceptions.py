"""One error format for the whole API: ``{"detail": "...", "errors": {"field": ["..."]}}``.

Every 4xx and the 503 for an unreachable database come out of :func:`exception_handler` (DRF's
``EXCEPTION_HANDLER``); the Django-level 404/500 handlers below give the same shape to URLs DRF
never sees, so a client parses one format whatever went wrong.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from pymongo.errors import PyMongoError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from factory_site.errors import is_database_unreachable

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unreachable; try again shortly."


class ServiceUnavailable(exceptions.APIException):
    """503: the database did not answer in time."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DATABASE_UNAVAILABLE
    default_code = "database_unavailable"


def database_is_down(exc: BaseException) -> bool:
    """True for errors that mean the database is away or too slow, not that a query is wrong."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # pymongo flags every timeout (server selection, socket, timeoutMS) with .timeout.
        if isinstance(current, PyMongoError) and current.timeout:
            return True
        current = current.__cause__ or current.__context__
    return is_database_unreachable(exc)


def _flatten(detail) -> list[str]:
    """Messages of a DRF error detail (string, list or dict) as a flat list of strings."""
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def _errors(detail) -> dict[str, list[str]]:
    """A validation error's detail as ``{field: [messages]}``."""
    if isinstance(detail, dict):
        return {str(field): _flatten(value) for field, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def error_body(detail: str, errors: dict | None = None) -> dict:
    """The API's error document."""
    return {"detail": detail, "errors": errors or {}}


def exception_handler(exc, context):
    """DRF's handler, reshaped into the API's one error format; database outages become 503."""
    if database_is_down(exc):
        logger.warning("database unreachable: %s", type(exc).__name__)
        exc = ServiceUnavailable()
    elif isinstance(exc, DjangoValidationError):
        # Raised by model fields (e.g. a malformed ObjectId reaching a lookup): bad input.
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django log it and answer 500
    response = drf_exception_handler(exc, context)
    if response is None:  # pragma: no cover - DRF handles every APIException
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _errors(exc.detail)
        body = error_body(f"Invalid input: {', '.join(sorted(errors))}.", errors)
    else:
        body = error_body("; ".join(_flatten(exc.detail)))
    response.data = body
    return response


def _is_api_path(request) -> bool:
    """Whether a request is for the API (JSON errors) rather than the site (HTML pages)."""
    return request.path.startswith("/api/") or request.path.rstrip("/") == "/health"


def json_not_found(request, exception=None):
    """Django's 404 handler: the API format for API paths, the default page elsewhere."""
    if _is_api_path(request):
        return JsonResponse(error_body("Not found."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_server_error(request):
    """Django's 500 handler: the API format for API paths, the default page elsewhere."""
    if _is_api_path(request):
        return JsonResponse(error_body("Internal server error."), status=500)
    from django.views.defaults import server_error

    return server_error(request)
