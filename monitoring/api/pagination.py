"""Pagination: page numbers for lists, a (timestamp, id) cursor for the reading stream.

Both refuse a ``page_size`` over the maximum with 400 instead of silently clamping it, so a client
never believes it received everything when it did not.
"""

from __future__ import annotations

import datetime as dt
from base64 import b64decode, urlsafe_b64encode

from bson import ObjectId
from django.template import loader
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from monitoring.api.fields import is_object_id, parse_aware_datetime

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


class PageSizeMixin:
    """``page_size``: 50 by default, at most 500; anything else is a 400."""

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


class StandardPagination(PageSizeMixin, pagination.PageNumberPagination):
    """``?page=&page_size=``: 50 per page by default, at most 500."""

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


class ReadingCursorPagination(PageSizeMixin, pagination.BasePagination):
    """Newest first, by an opaque cursor: pages stay stable while new readings arrive.

    A cursor is the base64 of a direction and the (timestamp, id) of the reading the page
    starts after: ``n`` for older readings (``next``), ``p`` for newer ones (``previous``). The
    view passes a ``fetch(position, newer, limit)`` that reads readings strictly beyond the
    position in that direction: one query on an index range per page, whatever its depth (DRF's
    CursorPagination queries through the ORM, in a shape no readings index serves on SecantusDB).
    """

    cursor_query_param = "cursor"
    cursor_query_description = "The pagination cursor value."
    template = "rest_framework/pagination/previous_and_next.html"
    display_page_controls = True

    def paginate_readings(self, fetch, request) -> list:
        """One page of readings, newest first; remembers the links to the pages around it."""
        self.base_url = request.build_absolute_uri()
        size = self.get_page_size(request)
        cursor = self.decode_cursor(request)
        position, newer = (cursor[1:], cursor[0]) if cursor else (None, False)
        rows = list(fetch(position=position, newer=newer, limit=size + 1))
        more = len(rows) > size
        rows = rows[:size]
        if newer:
            rows.reverse()
        # A forward page has older readings after it if the fetch overflowed, and newer ones
        # before it if a cursor led to it; a backward page the reverse (its cursor came from an
        # older page, and newer readings remain if its fetch overflowed).
        has_next = more if not newer else True
        has_previous = more if newer else cursor is not None
        self.next_url = self.previous_url = None
        if rows:
            if has_next:
                self.next_url = self._link(False, rows[-1])
            if has_previous:
                self.previous_url = self._link(True, rows[0])
        elif cursor is not None:
            # Nothing beyond the cursor: the way back is the first page.
            self.previous_url = remove_query_param(self.base_url, self.cursor_query_param)
        return rows

    def _link(self, newer: bool, reading: dict) -> str:
        """The URL of the page next to a reading document in one direction."""
        timestamp = reading["timestamp"]
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=dt.UTC)
        text = f"{'p' if newer else 'n'}|{timestamp.isoformat()}|{reading['_id']}"
        encoded = urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def decode_cursor(self, request) -> tuple[bool, dt.datetime, ObjectId] | None:
        """(newer, timestamp, id) from the cursor parameter; 400 for anything else."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            raw = encoded.encode("ascii")
            text = b64decode(raw + b"=" * (-len(raw) % 4), altchars=b"-_", validate=True)
            direction, timestamp, pk = text.decode("utf-8").split("|")
            if direction not in ("n", "p") or not is_object_id(pk):
                raise ValueError(direction)
            # The position feeds a timestamp comparison: nothing but an aware datetime.
            at = parse_aware_datetime(timestamp)
        except ValueError:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None
        return direction == "p", at, ObjectId(pk)

    def get_paginated_response(self, data):
        return Response({"next": self.next_url, "previous": self.previous_url, "results": data})

    def get_html_context(self):
        return {"previous_url": self.previous_url, "next_url": self.next_url}

    def to_html(self):
        return loader.get_template(self.template).render(self.get_html_context())

    def get_paginated_response_schema(self, schema):
        # Real cursors: the pages after and before a reading at 2026-03-10T12:25:00Z.
        url = "http://api.example.org/api/data/query?cursor="
        tail = "MDI2LTAzLTEwVDEyOjI1OjAwKzAwOjAwfDY2NTBmMWMyYTFiMmMzZDRlNWY2MDcxOA"
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {**link, "example": f"{url}bnwy{tail}"},
                "previous": {**link, "example": f"{url}cHwy{tail}"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (default {self.page_size}, at most "
                f"{self.max_page_size}; more is refused with 400).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]
