"""A machine that changes owner takes all its data along (object-level authorization).

Customer and area are copied from the machine onto bearings, readings and bearing rollups, and
key the area rollups; ``machine_owner_propagate`` moves every copy. Invariant checked on every
endpoint: a plant user sees exactly the machines of their customers and all their data.
"""

import datetime as dt

import pytest

from ingestion.lock import holder_describe, lock_acquire
from monitoring import services
from monitoring.models import (
    AreaHourlyRollup,
    Bearing,
    BearingHourlyRollup,
    DataVersion,
    Machine,
    Reading,
)
from monitoring.mongo import collection
from monitoring.services import (
    IngestionLockRequiredError,
    latest_state_rebuild,
    machine_owner_propagate,
    rollups_rebuild,
)
from tests.factories import BearingFactory, MachineFactory, ReadingFactory, SpectrumFactory
from tests.ingestion.support import assert_rollups_equal, rollup_snapshot
from tests.monitoring.conftest import TokenClient
from tests.monitoring.test_api_index_use import _plan

pytestmark = pytest.mark.django_db

HOURS = 6


@pytest.fixture
def plant():
    """Acme/Utilities: the mover (2 bearings) and a neighbour; Globex/Press shop: one machine.

    Every machine has a reading each hour of the last HOURS hours, so the old and the new
    owner's area rollups share their hours with the mover's.
    """
    start = dt.datetime.now(dt.UTC).replace(minute=10, second=0, microsecond=0)
    start -= dt.timedelta(hours=HOURS)
    mover = MachineFactory(customer="Acme", area="Utilities", machine_name="Mover")
    neighbour = MachineFactory(customer="Acme", area="Utilities", machine_name="Neighbour")
    other = MachineFactory(customer="Globex", area="Press shop", machine_name="Press")
    bearings = [BearingFactory(machine=m) for m in (mover, mover, neighbour, other)]
    readings = [
        ReadingFactory(bearing=b, timestamp=start + dt.timedelta(hours=h), status=status)
        for h in range(HOURS)
        for b, status in zip(bearings, ["Alert", "Normal", "Normal", "Normal"], strict=True)
    ]
    spectrum = SpectrumFactory(reading=readings[0])  # an old reading of the mover
    rollups_rebuild()
    latest_state_rebuild()
    lock_acquire(holder=holder_describe(run_id="test"), ttl=dt.timedelta(minutes=5))
    return mover, spectrum


def _version() -> int:
    return (collection(DataVersion).find_one({"_id": DataVersion.DASHBOARD}) or {}).get(
        "version", 0
    )


def _copies(machine) -> set[tuple]:
    """Every (customer, area) the machine's data carries (bearings carry the customer only)."""
    owners = {(b.customer, None) for b in Bearing.objects.filter(machine=machine)}
    for model in (Reading, BearingHourlyRollup):
        owners |= {
            (d["customer"], d["area"])
            for d in collection(model).find({"machine_id": machine.pk}, {"customer": 1, "area": 1})
        }
    return owners


def _assert_area_rollups_equal_a_rebuild() -> None:
    kept = {m: rollup_snapshot(m) for m in (BearingHourlyRollup, AreaHourlyRollup)}
    rollups_rebuild()
    for model, docs in kept.items():
        assert_rollups_equal(docs, rollup_snapshot(model))


def _get(client, url):
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.content)
    return response


def _sees(client, machine, spectrum) -> dict:
    """What a user gets of the machine, and its readings in their aggregates."""
    mid = machine.pk
    bearings = _get(client, f"/api/bearings?machine_id={mid}")
    query = _get(client, f"/api/data/query?machine_id={mid}&page_size=500").json()["results"]
    everything = _get(client, "/api/data/query?page_size=500").json()["results"]
    hourly = _get(client, f"/api/dashboard/trends/hourly?hours={HOURS + 2}").json()["buckets"]
    status = _get(client, "/api/dashboard/trends/status?days=2").json()["days"]
    return {
        "machine": _get(client, f"/api/machines/{mid}").status_code,
        "latest": _get(client, f"/api/machines/{mid}/latest-readings").status_code,
        "timeseries": _get(client, f"/api/machines/{mid}/timeseries").status_code,
        "fft": _get(client, f"/api/readings/{spectrum.reading_id}/fft").status_code,
        "bearings": len(bearings.json()["results"]) if bearings.status_code == 200 else 0,
        "readings": len(query),
        "in_all_readings": sum(r["machine_id"] == str(mid) for r in everything),
        "all_readings": len(everything),
        "machines": _get(client, "/api/dashboard/kpis").json()["machines_total"],
        "hourly": sum(b["count"] for b in hourly),
        "status": sum(sum(d["counts"].values()) for d in status),
        "stats": _get(client, "/api/stats").json()["collections"]["readings"],
    }


ACME_BEFORE = {
    "machine": 200, "latest": 200, "timeseries": 200, "fft": 200, "bearings": 2,
    "readings": 2 * HOURS, "in_all_readings": 2 * HOURS, "all_readings": 3 * HOURS,
    "machines": 2, "hourly": 3 * HOURS, "status": 3 * HOURS, "stats": 3 * HOURS,
}  # fmt: skip
#: After the move Acme keeps only the neighbour; Globex has the press and the mover's history.
ACME_AFTER = {
    "machine": 404, "latest": 404, "timeseries": 404, "fft": 404, "bearings": 0,
    "readings": 0, "in_all_readings": 0, "all_readings": HOURS,
    "machines": 1, "hourly": HOURS, "status": HOURS, "stats": HOURS,
}  # fmt: skip
GLOBEX_AFTER = {
    "machine": 200, "latest": 200, "timeseries": 200, "fft": 200, "bearings": 2,
    "readings": 2 * HOURS, "in_all_readings": 2 * HOURS, "all_readings": 3 * HOURS,
    "machines": 2, "hourly": 3 * HOURS, "status": 3 * HOURS, "stats": 3 * HOURS,
}  # fmt: skip


def test_the_old_owner_loses_and_the_new_owner_gets_all_of_the_machines_data(plant):
    mover, spectrum = plant
    acme = TokenClient("acme-user", is_staff=False, customers=["Acme"])
    globex = TokenClient("globex-user", is_staff=False, customers=["Globex"])
    assert _sees(acme, mover, spectrum) == ACME_BEFORE
    before = _version()

    assert machine_owner_propagate(machine_id=mover.pk, customer="Globex", area="Press shop")

    mover.refresh_from_db()
    assert (mover.customer, mover.area, mover.pending_owners) == ("Globex", "Press shop", [])
    assert _copies(mover) == {("Globex", None), ("Globex", "Press shop")}
    assert _version() > before  # cached dashboards refresh
    _assert_area_rollups_equal_a_rebuild()
    assert _sees(acme, mover, spectrum) == ACME_AFTER
    assert _sees(globex, mover, spectrum) == GLOBEX_AFTER
    # The new owner's hourly trend holds the hours stored before the move, per hour.
    hourly = globex.get(f"/api/dashboard/trends/hourly?hours={HOURS + 2}").json()["buckets"]
    assert [b["count"] for b in hourly if b["count"]] == [3] * HOURS


def test_a_move_within_the_customer_moves_the_area_rollups(plant):
    mover, _ = plant
    assert machine_owner_propagate(machine_id=mover.pk, customer="Acme", area="Boiler house")
    assert _copies(mover) == {("Acme", None), ("Acme", "Boiler house")}
    _assert_area_rollups_equal_a_rebuild()
    areas = {d["area"] for d in collection(AreaHourlyRollup).find({"customer": "Acme"})}
    assert areas == {"Utilities", "Boiler house"}


def test_a_second_call_changes_nothing(plant):
    mover, _ = plant
    machine_owner_propagate(machine_id=mover.pk, customer="Globex", area="Press shop")
    state = {m: rollup_snapshot(m) for m in (BearingHourlyRollup, AreaHourlyRollup)}
    version = _version()
    assert not machine_owner_propagate(machine_id=mover.pk, customer="Globex", area="Press shop")
    assert {m: rollup_snapshot(m) for m in state} == state
    assert _version() == version


def test_refused_without_the_ingestion_lock(plant):
    mover, _ = plant
    collection(services.IngestionLock).delete_many({})
    with pytest.raises(IngestionLockRequiredError):
        machine_owner_propagate(machine_id=mover.pk, customer="Globex", area="Press shop")
    assert _copies(mover) == {("Acme", None), ("Acme", "Utilities")}
    assert Machine.objects.get(pk=mover.pk).pending_owners == []


@pytest.mark.parametrize("then", ["Globex", "Acme"], ids=["rerun", "vendor-moved-it-back"])
def test_a_move_interrupted_half_way_is_completed_by_the_next_call(plant, monkeypatch, then):
    """Crash after the copies moved, before the area rollups and the machine itself.

    The next call (the catalogue sync makes it for the vendor's current owner, which may be
    the old one again) completes it: copies, both owners' area rollups and the machine agree.
    """
    mover, spectrum = plant
    real = services.area_rollups_recompute

    def crash(**kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr(services, "area_rollups_recompute", crash)
    with pytest.raises(SystemExit):
        machine_owner_propagate(machine_id=mover.pk, customer="Globex", area="Press shop")
    mover.refresh_from_db()
    assert (mover.customer, mover.area) == ("Acme", "Utilities")  # the machine moves last
    assert sorted(map(tuple, mover.pending_owners)) == [
        ("Acme", "Utilities"),
        ("Globex", "Press shop"),
    ]
    assert _copies(mover) == {("Globex", None), ("Globex", "Press shop")}

    monkeypatch.setattr(services, "area_rollups_recompute", real)
    area = {"Globex": "Press shop", "Acme": "Utilities"}[then]
    assert machine_owner_propagate(machine_id=mover.pk, customer=then, area=area)
    mover.refresh_from_db()
    assert (mover.customer, mover.area, mover.pending_owners) == (then, area, [])
    assert _copies(mover) == {(then, None), (then, area)}
    _assert_area_rollups_equal_a_rebuild()
    acme = TokenClient("acme-user", is_staff=False, customers=["Acme"])
    assert _sees(acme, mover, spectrum) == (ACME_AFTER if then == "Globex" else ACME_BEFORE)


def test_the_copies_are_moved_with_indexed_filters(plant, recorder):
    """The reads of a move use indexes (the updates share their machine_id-led filters)."""
    mover, _ = plant
    machine_owner_propagate(machine_id=mover.pk, customer="Globex", area="Press shop")
    scans = [
        c
        for c in recorder.commands
        if c.get("find") in ("readings", "rollups_bearing_hourly", "rollups_area_hourly")
        and "COLLSCAN" in _plan(c)
    ]
    assert scans == []
    # The updates' filter (machine_id alone), explained as the equivalent find.
    for coll in ("readings", "rollups_bearing_hourly", "bearings"):
        plan = _plan({"find": coll, "filter": {"machine_id": mover.pk}})
        assert "IXSCAN" in plan and "COLLSCAN" not in plan, coll
