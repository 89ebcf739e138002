"""The root URLconf tries the API first, and the routes after it still resolve."""

from django.urls import get_resolver, resolve


def test_the_api_is_tried_before_any_other_route():
    first = get_resolver().url_patterns[0]
    assert str(first.pattern) == "api/"
    assert resolve("/api/alarms/summary").url_name == "alarm-summary"


def test_routes_after_the_api_still_resolve():
    # /api/schema lives in the root URLconf: the API's include must not swallow it.
    assert resolve("/api/schema").url_name == "schema"
    assert resolve("/health").url_name == "health"
    assert resolve("/").url_name == "home"
