"""The negotiation's shortcut for the dashboard's Accept header picks what DRF's would."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from monitoring.renderers import CSVRenderer, JsonFirstNegotiation, ORJSONRenderer

API = [ORJSONRenderer(), BrowsableAPIRenderer()]
CSV_FIRST = [CSVRenderer(), ORJSONRenderer()]


def _request(path: str, accept: str | None) -> Request:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return Request(APIRequestFactory().get(path, **headers))


@pytest.mark.parametrize(
    "path, accept, renderers",
    [
        ("/api/machines", "application/json", API),
        ("/api/machines", None, API),
        ("/api/machines", "*/*", API),
        ("/api/machines", "text/html,application/xhtml+xml,*/*;q=0.8", API),
        ("/api/machines", "application/json; indent=2", API),
        ("/api/machines?format=api", "application/json", API),
        ("/api/export/readings.csv", "application/json", CSV_FIRST),
    ],
)
def test_the_same_choice_as_drfs_negotiation(path, accept, renderers):
    def choice(negotiation):
        try:
            renderer, media_type = negotiation.select_renderer(_request(path, accept), renderers)
        except NotAcceptable:
            return "406"
        return type(renderer), media_type

    assert choice(JsonFirstNegotiation()) == choice(DefaultContentNegotiation())


def test_the_dashboards_request_is_answered_without_parsing(monkeypatch):
    def parsing(*args, **kwargs):
        raise AssertionError("parsed the Accept header")

    monkeypatch.setattr(DefaultContentNegotiation, "select_renderer", parsing)
    request = _request("/api/machines", "application/json")
    renderer, media_type = JsonFirstNegotiation().select_renderer(request, API)
    assert isinstance(renderer, ORJSONRenderer) and media_type == "application/json"
    with pytest.raises(AssertionError):
        JsonFirstNegotiation().select_renderer(_request("/api/machines", "*/*"), API)
