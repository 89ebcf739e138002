"""Small site-level views."""

from django.http import HttpResponse
from django.views.decorators.cache import cache_control

# A bearing ring, in the admin's header colour: browsers ask every page's origin for an icon.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<circle cx="16" cy="16" r="13" fill="none" stroke="#417690" stroke-width="5"/>'
    '<circle cx="16" cy="16" r="4" fill="#417690"/></svg>'
)


@cache_control(public=True, max_age=86400)
def favicon(request):
    """``/favicon.ico``: the site icon (SVG), so no page's load logs a 404."""
    return HttpResponse(FAVICON_SVG, content_type="image/svg+xml")
