"""Pagination: page numbers for lists, a cursor for the reading stream.

Both refuse a ``page_size`` over the maximum with 400 instead of silently clamping it, so a client
never believes it received everything when it did not.
"""

from __future__ import annotations

from base64 import b64decode

from django.utils.dateparse import parse_datetime
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size_from(request, *, param: str, default: int, maximum: int) -> int:
    """The requested page size, validated: an integer from 1 to ``maximum``, else 400."""
    raw = request.query_params.get(param)
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError:
        raise ValidationError({param: ["A whole number is required."]}) from None
    if size < 1:
        raise ValidationError({param: ["Must be at least 1."]})
    if size > maximum:
        raise ValidationError({param: [f"Must be at most {maximum}."]})
    return size


class StandardPagination(pagination.PageNumberPagination):
    """``?page=&page_size=``: 50 per page by default, at most 500."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return page_size_from(
            request,
            param=self.page_size_query_param,
            default=self.page_size,
            maximum=self.max_page_size,
        )

    def paginate_queryset(self, queryset, request, view=None):
        """A page past the end is a bad ``page`` parameter (400), like any other bad input."""
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ValidationError({self.page_query_param: [str(exc.detail)]}) from exc

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings:
            return paginator.num_pages
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({self.page_query_param: ["A whole number from 1 is required."]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
                param["description"] = f"Results per page (default {self.page_size}, at most "
                param["description"] += f"{self.max_page_size}; more is refused with 400)."
            elif param["name"] == self.page_query_param:
                param["schema"] = {"type": "integer", "minimum": 1}
        return params


class ReadingCursorPagination(pagination.CursorPagination):
    """Newest first, by an opaque cursor: pages stay stable while new readings arrive."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    # The id breaks ties between readings taken at the same instant, so pages never overlap.
    ordering = ("-timestamp", "-id")

    def get_page_size(self, request):
        return page_size_from(
            request,
            param=self.page_size_query_param,
            default=self.page_size,
            maximum=self.max_page_size,
        )

    def decode_cursor(self, request):
        invalid = ValidationError({self.cursor_query_param: ["Invalid cursor."]})
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None:
            # DRF's decoder silently drops non-base64 characters; a mangled cursor is an error.
            try:
                b64decode(encoded.encode("ascii"), validate=True)
            except (ValueError, UnicodeError):
                raise invalid from None
        try:
            cursor = super().decode_cursor(request)
        except (NotFound, UnicodeError):
            raise invalid from None
        # The position is fed to a timestamp lookup: accept nothing but a datetime.
        if cursor is not None and cursor.position is not None:
            try:
                valid = parse_datetime(cursor.position) is not None
            except ValueError:
                valid = False
            if not valid:
                raise invalid
        return cursor

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
                param["description"] = f"Results per page (default {self.page_size}, at most "
                param["description"] += f"{self.max_page_size}; more is refused with 400)."
        return params
