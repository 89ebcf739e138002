"""Alarms at ingestion: the store evaluates each batch; an unreachable vendor is one alarm."""

import pytest

from ingestion.run import IngestionFailedError, ingestion_run
from monitoring.alarms.models import Alarm, Baseline
from monitoring.models import Bearing, Reading
from monitoring.mongo import collection
from tests.ingestion.support import DAY, simulator_start, vendor_client

pytestmark = pytest.mark.django_db


def test_a_run_evaluates_every_stored_reading():
    server = simulator_start()
    try:
        with vendor_client(server) as client:
            ingestion_run(date_from=DAY, date_to=DAY, client=client)
    finally:
        server.stop()
    bearings = collection(Bearing).count_documents({})
    assert bearings and collection(Baseline).count_documents({}) == bearings
    state = collection(Baseline).find_one({})
    read = collection(Reading).count_documents({"bearing_id": state["bearing_id"]})
    assert len(state["reading_ids"]) == min(read, 10)


def test_an_unreachable_vendor_raises_one_ingestion_alarm(settings):
    settings.INGEST_API_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.INGEST_MAX_ATTEMPTS = 1
    for _ in range(2):
        with pytest.raises(IngestionFailedError):
            ingestion_run(date_from=DAY, date_to=DAY)
    (alarm,) = collection(Alarm).find({"rule_type": "ingestion"})
    assert alarm["state"] == "active" and alarm["bearing_id"] is None
    assert "Vendor" in alarm["evidence"]["error"] or "vendor" in alarm["evidence"]["error"]


def test_readings_stored_by_a_run_that_died_before_evaluating_them_are_evaluated_next_run(
    monkeypatch,
):
    import ingestion.store

    evaluate = ingestion.store.alarms_evaluate
    calls = []

    def dies_on_the_second_batch(*, readings):
        calls.append(len(readings))
        if len(calls) == 2:  # the batch is committed; the process dies before evaluating it
            raise SystemExit("simulated crash")
        return evaluate(readings=readings)

    server = simulator_start()
    try:
        monkeypatch.setattr(ingestion.store, "alarms_evaluate", dies_on_the_second_batch)
        with vendor_client(server) as client, pytest.raises(SystemExit):
            ingestion_run(date_from=DAY, date_to=DAY, client=client, batch_size=40)
        monkeypatch.setattr(ingestion.store, "alarms_evaluate", evaluate)
        with vendor_client(server) as client:
            ingestion_run(date_from=DAY, date_to=DAY, client=client, batch_size=40)
    finally:
        server.stop()
    behind = []
    for bearing in collection(Bearing).find({}, {"last_reading_at": 1}):
        state = collection(Baseline).find_one({"bearing_id": bearing["_id"]}) or {}
        stored = collection(Reading).count_documents({"bearing_id": bearing["_id"]})
        if (state.get("evaluated_until") != bearing["last_reading_at"]
                or len(state.get("reading_ids", [])) != min(stored, 10)):  # fmt: skip
            behind.append(bearing["_id"])
    assert behind == []
