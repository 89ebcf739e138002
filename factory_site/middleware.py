"""Middleware of our own besides the request log (factory_site.observability)."""

from django.contrib.messages.middleware import MessageMiddleware

API_PREFIX = "/api/"


class PageMessageMiddleware(MessageMiddleware):
    """Django's messages ("The machine was changed") for the admin and pages only.

    No API answer shows messages, and building the cookie and session message stores cost an
    API request more than its throttle; API requests skip them (``get_messages`` then reads
    an empty list, as for a request without the middleware).
    """

    def process_request(self, request):
        if not request.path_info.startswith(API_PREFIX):
            super().process_request(request)
