"""What ingestion stores about how a reading was measured: the bearing's shaft speed and sensor
direction, the ISO velocity band chosen by that speed, and the envelope's defect scores."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics

import pytest

from ingestion.client import _parse_bearing
from ingestion.run import ingestion_run
from ingestion.simulator.fleet import (
    OUTER_RACE_BEARING_ID,
    Fleet,
    bearing_to_wire,
    build_fleet,
)
from monitoring.models import Bearing, Reading
from monitoring.mongo import collection
from tests.ingestion.support import DAY, simulator_start, vendor_client

pytestmark = pytest.mark.django_db

GEARBOX = "MCH-BPP-008"  # 1480 rpm motor, output shaft at 1480 / 4.2 = 352.4 rpm
OUTPUT_BEARING = "BRG-BPP-008-5"  # Gearbox output shaft DE
PULP = "Baltic Pulp & Paper"


def _ingest(server, *, customer: str, date_from=DAY, date_to=DAY):
    with vendor_client(server) as client:
        return ingestion_run(date_from=date_from, date_to=date_to, customer=customer, client=client)


def _readings(bearing_external_id: str) -> list[dict]:
    bearing = collection(Bearing).find_one({"external_id": bearing_external_id})
    return list(collection(Reading).find({"bearing_id": bearing["_id"]}).sort("timestamp", 1))


def _bearing_replaced(server, external_id: str, **changes) -> None:
    """Serve the fleet with one bearing's synthesis parameters changed."""
    fleet = server.dataset.fleet
    machines = tuple(
        dataclasses.replace(
            m,
            bearings=tuple(
                dataclasses.replace(b, **changes) if b.external_id == external_id else b
                for b in m.bearings
            ),
        )
        for m in fleet.machines
    )
    server.dataset.fleet = Fleet(machines)


# -- the vendor contract ------------------------------------------------------------------------


def test_the_simulator_sends_the_output_shaft_speed_and_direction():
    server = simulator_start()
    try:
        bearing = server.dataset.fleet.bearing(OUTPUT_BEARING)
        wire = bearing_to_wire(bearing)
    finally:
        server.stop()
    assert wire["shaft_speed_rpm"] == pytest.approx(352.4)
    assert server.dataset.fleet.machine(GEARBOX).running_speed_rpm == 1480.0
    assert wire["measurement_direction"] == "horizontal"
    parsed = _parse_bearing(wire)
    assert parsed.shaft_speed_rpm == pytest.approx(352.4)
    assert parsed.measurement_direction == "horizontal"


def test_direction_is_optional_in_the_contract():
    wire = bearing_to_wire(build_fleet(7).bearing(OUTPUT_BEARING))
    del wire["measurement_direction"]
    assert _parse_bearing(wire).measurement_direction is None
    wire["measurement_direction"] = 3
    assert _parse_bearing(wire).measurement_direction is None


# -- catalogue sync -----------------------------------------------------------------------------


def test_catalogue_sync_stores_shaft_speed_and_direction():
    server = simulator_start()
    try:
        _ingest(server, customer=PULP)
    finally:
        server.stop()
    output = collection(Bearing).find_one({"external_id": OUTPUT_BEARING})
    assert output["shaft_speed_rpm"] == pytest.approx(352.4)
    assert output["measurement_direction"] == "horizontal"
    nde = collection(Bearing).find_one({"external_id": "BRG-BPP-008-2"})
    assert nde["shaft_speed_rpm"] == 1480.0 and nde["measurement_direction"] == "vertical"


def test_an_unknown_direction_is_stored_as_none(monkeypatch):
    from ingestion.simulator import fleet

    monkeypatch.setitem(fleet._DIRECTIONS, "DE", "diagonal")
    server = simulator_start()
    try:
        _ingest(server, customer=PULP)
    finally:
        server.stop()
    assert (
        collection(Bearing).find_one({"external_id": OUTPUT_BEARING})["measurement_direction"]
        is None
    )


# -- the ISO band by the bearing's speed --------------------------------------------------------


def test_a_352_rpm_output_shaft_reads_its_1x_in_the_low_speed_band():
    """3 mm/s RMS at 1x (5.9 Hz) on the output shaft reads ~3 mm/s end to end; in the
    10-1000 Hz band of the machine's 1480 rpm it read under 0.5 mm/s."""
    server = simulator_start(n_samples=4096)
    _bearing_replaced(server, OUTPUT_BEARING, v1x_mm_s=3.0, v2x_mm_s=0.0)
    try:
        _ingest(server, customer=PULP)
    finally:
        server.stop()
    readings = _readings(OUTPUT_BEARING)
    assert len(readings) == 6
    for r in readings:
        assert r["velocity_band_hz"] == [2.0, 1000.0]
        assert r["band_limited"] is False
        assert r["zone_standard"] == "ISO 20816-3:2022"
        # The simulator varies levels with process conditions (lognormal, ~8 %).
        assert r["velocity"]["rms"] == pytest.approx(3.0, rel=0.2)
    assert statistics.mean(r["velocity"]["rms"] for r in readings) == pytest.approx(3.0, rel=0.1)
    # The machine's own bearings run above 600 rpm: 10-1000 Hz.
    assert {tuple(r["velocity_band_hz"]) for r in _readings("BRG-BPP-008-1")} == {(10.0, 1000.0)}


def test_a_low_sample_rate_is_flagged_band_limited():
    server = simulator_start(sample_rate_hz=1024.0)  # Nyquist 512 Hz < 1000 Hz
    try:
        _ingest(server, customer=PULP)
    finally:
        server.stop()
    reading = _readings(OUTPUT_BEARING)[0]
    assert reading["velocity_band_hz"] == [2.0, 512.0]
    assert reading["band_limited"] is True


# -- envelope -----------------------------------------------------------------------------------


def test_envelope_is_stored_with_the_output_shaft_fault_frequencies():
    server = simulator_start()
    try:
        _ingest(server, customer=PULP)
    finally:
        server.stop()
    envelope = _readings(OUTPUT_BEARING)[0]["envelope"]
    assert envelope["rms"] > 0 and envelope["peak"] >= envelope["rms"]
    assert envelope["band_hz"] == [500.0, 2048.0]
    assert set(envelope["defects"]) == {"bpfo", "bpfi", "bsf", "ftf"}
    # 22220 (18 rollers, 20.5 mm, pitch 140 mm, 10 deg) at 352.4 rpm, not at 1480 rpm.
    ftf = envelope["defects"]["ftf"]["frequency_hz"]
    assert ftf == pytest.approx(0.5 * 352.4 / 60 * (1 - 20.5 / 140 * 0.98481), rel=1e-3)
    for name, defect in envelope["defects"].items():
        assert len(defect["harmonics"]) == 3
        assert envelope[f"{name}_score"] > 0


def test_bpfo_score_finds_the_outer_race_defect_on_day_one_while_velocity_is_in_zone_a():
    """The simulator's defect timeline: the faulty bearing's BPFO score stands out from the
    first defect day, while its status is still Normal (zone A)."""
    onset = DAY
    server = simulator_start(anchor_date=onset + dt.timedelta(days=7))  # defect from DAY 00:00
    try:
        _ingest(server, customer="Rhine Valley Chemicals", date_from=onset - dt.timedelta(1))
    finally:
        server.stop()
    # Bearings where no strike is felt (the defect machine's neighbours feel them attenuated).
    healthy_ids = [
        b.external_id
        for m in server.dataset.fleet.machines
        if m.customer == "Rhine Valley Chemicals"
        for b in m.bearings
        if b.outer_race_gain == 0.0
    ]
    faulty = _readings(OUTER_RACE_BEARING_ID)

    def day(readings, d):
        # The first record of the defect day is taken at onset (severity 0): left out.
        return [r for r in readings if r["timestamp"].date() == d and r["timestamp"].hour > 0]

    before = [r["envelope"]["bpfo_score"] for r in day(faulty, onset - dt.timedelta(1))]
    day_one = day(faulty, onset)
    scores = [r["envelope"]["bpfo_score"] for r in day_one]
    healthy = [
        r["envelope"]["bpfo_score"] for bid in healthy_ids for r in day(_readings(bid), onset)
    ]
    assert len(healthy) > 100 and len(scores) == 5
    assert {r["status"] for r in day_one} == {"Normal"}
    assert statistics.median(scores) > 3 * max(statistics.median(before), 1.0)
    assert statistics.median(scores) > 2.5 * statistics.quantiles(healthy, n=20)[-1]
    assert min(scores[1:]) > max(healthy)  # from the second record of the day on
