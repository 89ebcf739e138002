"""The vendor moves a machine to another customer and area: the next run moves all its data.

Before the fix the catalogue sync set the machine's customer and the bearings' copy only: the
old owner kept the readings (``/api/data/query?machine_id=``), spectra, trends and stats
counts, and the new owner saw none of the history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ingestion.run import IngestionFailedError, ingestion_run
from ingestion.simulator.fleet import Fleet
from monitoring import services
from monitoring.models import AreaHourlyRollup, BearingHourlyRollup, Machine, Reading
from monitoring.mongo import collection
from monitoring.services import rollups_rebuild
from tests.ingestion.support import (
    CUSTOMER,
    DAY,
    assert_rollups_equal,
    rollup_snapshot,
    simulator_start,
    vendor_client,
)
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db

MOVED = "MCH-SWA-001"
NEW_CUSTOMER, NEW_AREA = "Northwind Foods", "Plant 2"
BEFORE = DAY - dt.timedelta(days=1)


@pytest.fixture
def simulator():
    server = simulator_start()
    yield server
    server.stop()


def _ingest(server, *, day, customer):
    with vendor_client(server) as client:
        return ingestion_run(date_from=day, date_to=day, customer=customer, client=client)


def _vendor_moves(server, external_id: str, **owner) -> None:
    """The vendor's catalogue now lists the machine under another owner."""
    fleet = server.dataset.fleet
    server.dataset.fleet = Fleet(
        tuple(
            dataclasses.replace(m, **owner) if m.external_id == external_id else m
            for m in fleet.machines
        )
    )


def _history(server):
    """Ingest a day for the old owner, then the vendor moves MOVED; returns its stored state."""
    _ingest(server, day=BEFORE, customer=CUSTOMER)
    machine = Machine.objects.get(external_id=MOVED)
    old_reading = Reading.objects.filter(machine=machine).order_by("timestamp").first()
    _vendor_moves(server, MOVED, customer=NEW_CUSTOMER, area=NEW_AREA)
    return machine, old_reading


def _api(client, url):
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.content)
    return response


def _view(user: TokenClient, machine, reading) -> dict:
    mid = machine.pk
    everything = _api(user, "/api/data/query?page_size=500").json()["results"]
    bearings = _api(user, f"/api/bearings?machine_id={mid}")
    hourly = _api(user, "/api/dashboard/trends/hourly?hours=720").json()["buckets"]
    return {
        "machine": _api(user, f"/api/machines/{mid}").status_code,
        "timeseries": _api(user, f"/api/machines/{mid}/timeseries").status_code,
        "fft": _api(user, f"/api/readings/{reading.pk}/fft").status_code,
        "bearings": len(bearings.json()["results"]) if bearings.status_code == 200 else 0,
        "readings": len(
            _api(user, f"/api/data/query?machine_id={mid}&page_size=500").json()["results"]
        ),
        "in_all_readings": sum(r["machine_id"] == str(mid) for r in everything),
        "all_readings": len(everything),
        "machines": _api(user, "/api/dashboard/kpis").json()["machines_total"],
        "hourly": sum(b["count"] for b in hourly),
        "stats": _api(user, "/api/stats").json()["collections"]["readings"],
    }


def _assert_moved(machine, reading) -> None:
    """Every endpoint: the old owner has none of the machine, the new owner all of it."""
    machine.refresh_from_db()
    assert (machine.customer, machine.area, machine.pending_owners) == (
        NEW_CUSTOMER, NEW_AREA, [],
    )  # fmt: skip
    mover = Reading.objects.filter(machine=machine).count()
    old_owner_total = Reading.objects.filter(customer=CUSTOMER).count()
    assert mover == 4 * 6 * 2  # 4 bearings, 6 a day, both days
    assert Reading.objects.count() == old_owner_total + mover
    old = TokenClient("sierra", is_staff=False, customers=[CUSTOMER])
    new = TokenClient("northwind", is_staff=False, customers=[NEW_CUSTOMER])
    assert _view(old, machine, reading) == {
        "machine": 404, "timeseries": 404, "fft": 404, "bearings": 0, "readings": 0,
        "in_all_readings": 0, "all_readings": old_owner_total, "machines": 7,
        "hourly": old_owner_total, "stats": old_owner_total,
    }  # fmt: skip
    assert _view(new, machine, reading) == {
        "machine": 200, "timeseries": 200, "fft": 200, "bearings": 4, "readings": mover,
        "in_all_readings": mover, "all_readings": mover, "machines": 1,
        "hourly": mover, "stats": mover,
    }  # fmt: skip
    # The new owner's hourly trend holds the hours stored before the move.
    hourly = new.get("/api/dashboard/trends/hourly?hours=720").json()["buckets"]
    before_move = [b for b in hourly if b["count"] and b["start"].startswith(BEFORE.isoformat())]
    assert sum(b["count"] for b in before_move) == mover // 2
    # Rollups as a rebuild from the (moved) readings would make them.
    kept = {m: rollup_snapshot(m) for m in (BearingHourlyRollup, AreaHourlyRollup)}
    rollups_rebuild()
    for model, docs in kept.items():
        assert_rollups_equal(docs, rollup_snapshot(model))


def test_the_next_run_moves_the_machines_history_to_the_new_owner(simulator):
    machine, reading = _history(simulator)
    run = _ingest(simulator, day=DAY, customer=NEW_CUSTOMER)
    assert run.outcome == "succeeded" and run.stored == 4 * 6
    _assert_moved(machine, reading)


def test_a_run_that_fails_half_way_through_the_move_is_completed_by_the_next(
    simulator, monkeypatch
):
    machine, reading = _history(simulator)

    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "area_rollups_recompute", fail)
    with pytest.raises(IngestionFailedError, match="database went away"):
        _ingest(simulator, day=DAY, customer=NEW_CUSTOMER)
    machine.refresh_from_db()
    assert machine.customer == CUSTOMER and machine.pending_owners  # the move is unfinished

    monkeypatch.undo()
    run = _ingest(simulator, day=DAY, customer=NEW_CUSTOMER)
    assert run.outcome == "succeeded"
    _assert_moved(machine, reading)


def test_a_dry_run_moves_nothing(simulator):
    machine, _ = _history(simulator)
    with vendor_client(simulator) as client:
        run = ingestion_run(
            date_from=DAY, date_to=DAY, customer=NEW_CUSTOMER, client=client, dry_run=True
        )
    assert run.stored == 4 * 6
    machine.refresh_from_db()
    assert (machine.customer, machine.pending_owners) == (CUSTOMER, [])
    assert set(collection(Reading).distinct("customer")) == {CUSTOMER}
