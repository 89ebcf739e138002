"""The envelope indicators of the catalogue reach every derived place: the reading's answer,
time series (raw and from rollups), rollups and the admin's indicator rows."""

import datetime as dt

import pytest
from django.urls import reverse

from monitoring import indicators
from monitoring.models import BearingHourlyRollup, Envelope
from monitoring.mongo import collection
from monitoring.services import rollups_rebuild
from tests.factories import BearingFactory, ReadingFactory

pytestmark = pytest.mark.django_db

ENVELOPE = ("envelope.rms", "envelope.peak", *(f"envelope.{d}_score" for d in ("bpfo", "bpfi",
            "bsf", "ftf")))  # fmt: skip
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def test_the_catalogue_declares_the_envelope_indicators():
    assert set(ENVELOPE) <= set(indicators.BY_NAME)
    assert all(indicators.BY_NAME[name].nullable for name in ENVELOPE)


def _envelope(score: float) -> Envelope:
    return Envelope(
        rms=0.05, peak=0.4, bpfo_score=score, bpfi_score=1.5, bsf_score=2.0, ftf_score=None,
        band_hz=[500.0, 2048.0],
    )  # fmt: skip


@pytest.fixture
def bearing():
    bearing = BearingFactory()
    ReadingFactory(bearing=bearing, timestamp=T0, envelope=_envelope(12.0))
    ReadingFactory(bearing=bearing, timestamp=T0 + dt.timedelta(minutes=10), envelope=_envelope(18))
    ReadingFactory(bearing=bearing, timestamp=T0 + dt.timedelta(minutes=20))  # stored before
    rollups_rebuild()
    return bearing


def test_readings_answer_with_their_envelope(client, bearing):
    body = client.get(f"/api/data/query?bearing_id={bearing.pk}").json()
    old, newest, oldest = body["results"]
    assert old["envelope"] is None
    assert newest["envelope"] == {
        "rms": 0.05, "peak": 0.4, "bpfo_score": 18.0, "bpfi_score": 1.5, "bsf_score": 2.0,
        "ftf_score": None, "band_hz": [500.0, 2048.0],
    }  # fmt: skip
    assert oldest["velocity_band_hz"] == [10.0, 1000.0]
    assert oldest["band_limited"] is False and oldest["zone_standard"] == "ISO 20816-3:2022"


def test_rollups_aggregate_the_envelope_scores(bearing):
    [rollup] = collection(BearingHourlyRollup).find({"bearing_id": bearing.pk})
    assert rollup["envelope_bpfo_score"] == {"count": 2, "sum": 30.0, "min": 12.0, "max": 18.0}
    assert rollup["envelope_ftf_score"]["count"] == 0


@pytest.mark.parametrize("interval", ["raw", "hour"])
def test_timeseries_serves_the_envelope_scores(client, bearing, interval):
    start, end = "2026-03-10T09:00:00Z", "2026-03-10T12:00:00Z"
    body = client.get(
        f"/api/machines/{bearing.machine_id}/timeseries?metrics=envelope.bpfo_score"
        f"&interval={interval}&start={start}&end={end}&agg=max"
    ).json()
    [series] = body["series"]
    assert body["units"] == {"envelope.bpfo_score": "1"}
    values = [value for _, value in series["points"]]
    assert values == ([12.0, 18.0] if interval == "raw" else [18.0])


def test_admin_reading_page_lists_the_envelope(admin_client, bearing):
    reading = ReadingFactory(bearing=bearing, envelope=_envelope(15.0))
    html = (
        admin_client.get(reverse("admin:monitoring_reading_change", args=[reading.pk]))
        .content.decode()
        .lower()
    )
    assert "envelope rms" in html and "bpfo match score" in html and "0.05 ge" in html
