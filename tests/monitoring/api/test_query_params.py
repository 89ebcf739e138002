"""A request without query parameters skips building its query serializer only where the
answer cannot depend on when it is asked."""

import pytest

from monitoring.alarms import api as alarm_api
from monitoring.api import serializers as s
from monitoring.api import views
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "serializer_class, expected",
    [
        (alarm_api.SummaryQuerySerializer, {}),
        (s.FftQuerySerializer, {"units": "acceleration"}),
        (s.HourlyTrendQuerySerializer, {"hours": 24, "tz": "UTC"}),
        # validate() fills the range from the clock: validated on every request.
        (s.TimeseriesQuerySerializer, None),
        (s.ReadingExportQuerySerializer, None),
    ],
)
def test_only_a_clock_free_query_is_remembered(serializer_class, expected):
    assert views._empty_query(serializer_class) == expected


class CheckedSummaryQuery(alarm_api.SummaryQuerySerializer):
    def validate_customer(self, value):
        return value


def test_a_query_with_a_field_check_of_its_own_is_validated_every_time():
    assert views._empty_query(CheckedSummaryQuery) is None


def test_a_plain_request_does_not_build_its_query_serializer(monkeypatch):
    built = []
    original = alarm_api.SummaryQuerySerializer.__init__

    def counting_init(self, *args, **kwargs):
        if "data" in kwargs:  # validating (not reading the parameter names)
            built.append(kwargs["data"])
        original(self, *args, **kwargs)

    monkeypatch.setattr(alarm_api.SummaryQuerySerializer, "__init__", counting_init)
    views._empty_query.cache_clear()
    client = TokenClient()
    answers = [client.get("/api/alarms/summary") for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert len(built) == 1  # once, to learn the empty query's defaults
    assert client.get("/api/alarms/summary?customer=Acme").status_code == 200
    assert len(built) == 2  # a query with parameters is validated
    assert client.get("/api/alarms/summary?customer=").status_code == 400
