"""Tests of the vendor-API simulator: determinism, physics, contract and fault injection."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from ingestion.simulator import (
    IMBALANCE_BEARING_ID,
    IMBALANCE_MACHINE_ID,
    MALFORMED_KINDS,
    OUTER_RACE_BEARING_ID,
    OUTER_RACE_MACHINE_ID,
    SimulatorConfig,
    SimulatorServer,
    VendorDataset,
)
from ingestion.simulator.fleet import BEARING_GEOMETRIES, MACHINE_TYPES
from ingestion.wire import decode_waveform
from monitoring.vibration.kinematics import bearing_fault_frequencies
from monitoring.vibration.measurement import compute_measurement

ANCHOR = dt.date(2025, 11, 20)
NOW = dt.datetime(2025, 11, 21, 12, 0, tzinfo=dt.UTC)
KEY = {"X-API-Key": "dev-key"}


def config(**overrides: object) -> SimulatorConfig:
    """A reproducible config: fixed anchor date and clock."""
    base: dict[str, object] = {"seed": 11, "anchor_date": ANCHOR, "clock": lambda: NOW}
    base.update(overrides)
    return SimulatorConfig(**base)  # type: ignore[arg-type]


def measurements_path(machine_id: str) -> str:
    """Path of a machine's measurement listing."""
    return f"/v1/machines/{machine_id}/measurements"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A bare httpx client (the VendorClient has its own tests)."""
    with httpx.Client(timeout=5.0) as client:
        yield client


def analyse(dataset: VendorDataset, machine_id: str, bearing_id: str, day: dt.date) -> list[dict]:
    """compute_measurement for every record of one bearing on a day, through the wire format."""
    machine = dataset.fleet.machine(machine_id)
    assert machine is not None
    out = []
    for item in dataset.schedule(machine, day):
        if item.bearing.external_id != bearing_id:
            continue
        record, kind = dataset.record(item)
        assert kind is None
        wf = record["waveform"]
        samples = decode_waveform(
            wf["data"], encoding=wf["encoding"], scale=wf["scale"], n_samples=wf["n_samples"]
        )
        out.append(
            compute_measurement(
                samples,
                wf["sample_rate_hz"],
                group=machine.iso_group,
                foundation=machine.foundation,
                running_speed_hz=item.bearing.shaft_speed_rpm / 60.0,
            )
        )
    return out


# -- determinism and the catalogue -----------------------------------------------------------


def test_same_seed_and_date_give_identical_bytes(http: httpx.Client) -> None:
    params = {"date": "2025-11-18", "page_size": 20}
    bodies = []
    for _ in range(2):
        with SimulatorServer(config()) as sim:
            r = http.get(sim.url + measurements_path("MCH-BPP-001"), params=params, headers=KEY)
            assert r.status_code == 200
            bodies.append(r.content)
    assert bodies[0] == bodies[1]
    with SimulatorServer(config()) as sim:
        other_day = http.get(
            sim.url + measurements_path("MCH-BPP-001"),
            params={**params, "date": "2025-11-17"},
            headers=KEY,
        )
    with SimulatorServer(config(seed=12)) as sim:
        other_seed = http.get(
            sim.url + measurements_path("MCH-BPP-001"), params=params, headers=KEY
        )
    assert other_day.content != bodies[0]
    assert other_seed.content != bodies[0]
    # Measurement ids identify the physical measurement, so they do not depend on the seed.
    ids = [m["measurement_id"] for m in other_seed.json()["items"]]
    assert ids == [
        m["measurement_id"] for m in httpx.Response(200, content=bodies[0]).json()["items"]
    ]


def test_fleet_shape(http: httpx.Client) -> None:
    with SimulatorServer(config()) as sim:
        r = http.get(sim.url + "/v1/machines", params={"page_size": 200}, headers=KEY)
    machines = r.json()["items"]
    assert r.json()["next_page_token"] is None
    assert 20 <= len(machines) <= 24
    assert len({m["customer"] for m in machines}) == 3
    assert {m["machine_type"] for m in machines} == set(MACHINE_TYPES)
    assert {m["running_speed_rpm"] for m in machines} >= {990, 1480, 2960}
    assert {(m["iso_group"], m["foundation"]) for m in machines} == {
        (1, "rigid"),
        (1, "flexible"),
        (2, "rigid"),
        (2, "flexible"),
    }
    bearing_ids = set()
    for m in machines:
        assert 2 <= len(m["bearings"]) <= 6
        for b in m["bearings"]:
            assert b["machine_id"] == m["id"]
            assert b["type"] in BEARING_GEOMETRIES
            g = b["geometry"]
            assert 0 < g["ball_diameter_mm"] < g["pitch_diameter_mm"]
            bearing_ids.add(b["id"])
    assert len(bearing_ids) == sum(len(m["bearings"]) for m in machines)
    assert {OUTER_RACE_BEARING_ID, IMBALANCE_BEARING_ID} <= bearing_ids


def test_customer_filter_and_paging(http: httpx.Client) -> None:
    with SimulatorServer(config()) as sim:
        url = sim.url + "/v1/machines"
        one = http.get(url, params={"customer": "Sierra Water Authority"}, headers=KEY).json()
        assert one["items"] and {m["customer"] for m in one["items"]} == {"Sierra Water Authority"}
        none = http.get(url, params={"customer": "Nobody"}, headers=KEY).json()
        assert none == {"items": [], "next_page_token": None}
        ids, token = [], None
        while True:
            params = {"page_size": 7, **({"page_token": token} if token else {})}
            page = http.get(url, params=params, headers=KEY).json()
            ids += [m["id"] for m in page["items"]]
            token = page["next_page_token"]
            if token is None:
                break
        assert len(ids) == len(set(ids)) == len(sim.dataset.fleet.machines)
        bad = http.get(url, params={"page_token": "garbage"}, headers=KEY)
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "invalid_page_token"


def test_today_only_up_to_now_and_future_empty(http: httpx.Client) -> None:
    with SimulatorServer(config()) as sim:
        url = sim.url + measurements_path("MCH-BPP-001")  # 4 bearings, measured 30 s apart
        today = http.get(url, params={"date": "2025-11-21", "page_size": 200}, headers=KEY)
        future = http.get(url, params={"date": "2025-11-22"}, headers=KEY)
        past = http.get(url, params={"date": "2025-11-20", "page_size": 200}, headers=KEY)
    stamps = [m["timestamp"] for m in today.json()["items"]]
    # Slots 00:00 ... 11:00 complete, and at 12:00 only the first bearing has been measured.
    assert len(stamps) == 12 * 4 + 1
    assert stamps[-1] == "2025-11-21T12:00:00Z"
    assert future.json()["items"] == []
    assert len(past.json()["items"]) == 24 * 4


def test_errors_for_unknown_machine_bad_date_and_page_size(http: httpx.Client) -> None:
    with SimulatorServer(config()) as sim:
        missing = http.get(
            sim.url + measurements_path("MCH-NOPE"), params={"date": "2025-11-20"}, headers=KEY
        )
        bad_date = http.get(
            sim.url + measurements_path("MCH-BPP-001"), params={"date": "20.11.2025"}, headers=KEY
        )
        bad_size = http.get(sim.url + "/v1/machines", params={"page_size": 0}, headers=KEY)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert bad_date.status_code == 400
    assert bad_size.status_code == 400
    assert bad_size.json()["error"]["request_id"] == bad_size.headers["X-Request-Id"]


def test_api_key_required(http: httpx.Client) -> None:
    with SimulatorServer(config(api_key="s3cret")) as sim:
        without = http.get(sim.url + "/v1/machines")
        wrong = http.get(sim.url + "/v1/machines", headers=KEY)
        right = http.get(sim.url + "/v1/machines", headers={"X-API-Key": "s3cret"})
        assert sim.stats.snapshot()["faults"] == {"unauthorized": 2}
    assert without.status_code == wrong.status_code == 401
    assert without.json()["error"]["code"] == "unauthorized"
    assert right.status_code == 200


# -- physics ---------------------------------------------------------------------------------


def test_healthy_machines_are_normal_or_satisfactory() -> None:
    dataset = VendorDataset(config(interval_minutes=480))
    statuses: Counter[str] = Counter()
    for machine in dataset.fleet.machines:
        if machine.external_id in (OUTER_RACE_MACHINE_ID, IMBALANCE_MACHINE_ID):
            continue
        for bearing in machine.bearings:
            for result in analyse(dataset, machine.external_id, bearing.external_id, ANCHOR):
                statuses[result["status"]] += 1
                assert 2.0 < result["acceleration"]["kurtosis"] < 4.0
    assert set(statuses) <= {"Normal", "Satisfactory"}
    assert statuses["Normal"] > 0.9 * sum(statuses.values())


def test_outer_race_defect_trends_to_alert() -> None:
    dataset = VendorDataset(config(interval_minutes=360))
    days = [ANCHOR - dt.timedelta(days=d) for d in range(8, -1, -1)]  # onset is ANCHOR - 7
    per_day = [analyse(dataset, OUTER_RACE_MACHINE_ID, OUTER_RACE_BEARING_ID, d) for d in days]
    velocity = [np.mean([r["velocity"]["rms"] for r in rs]) for rs in per_day]
    kurtosis = [np.mean([r["acceleration"]["kurtosis"] for r in rs]) for rs in per_day]
    assert {r["status"] for r in per_day[0]} == {"Normal"}
    assert kurtosis[0] < 3.3
    assert {r["status"] for r in per_day[-1]} == {"Alert"}
    # Velocity climbs day by day once the defect has started; kurtosis jumps early and stays.
    assert all(b > a for a, b in itertools.pairwise(velocity[1:]))
    assert velocity[-1] > 3.0 * velocity[0]
    assert min(kurtosis[3:]) > kurtosis[0] + 1.5
    # The defect shows at BPFO (with ~1 % slip) among the spectral peaks on the anchor day.
    bearing = dataset.fleet.bearing(OUTER_RACE_BEARING_ID)
    assert bearing is not None
    g = bearing.geometry
    bpfo = bearing_fault_frequencies(
        shaft_hz=bearing.shaft_speed_rpm / 60.0,
        rolling_elements=g.rolling_elements,
        ball_diameter_mm=g.ball_diameter_mm,
        pitch_diameter_mm=g.pitch_diameter_mm,
    )["bpfo"]
    peaks = [p["frequency_hz"] for p in per_day[-1][0]["peaks"]]
    assert any(abs(f - bpfo) < 0.03 * bpfo for f in peaks)


def test_imbalance_machine_peaks_at_running_speed() -> None:
    dataset = VendorDataset(config(interval_minutes=240))
    results = analyse(dataset, IMBALANCE_MACHINE_ID, IMBALANCE_BEARING_ID, ANCHOR)
    assert results
    for result in results:
        top = result["peaks"][0]
        assert top["order"] == pytest.approx(1.0, abs=0.03)
        assert result["status"] in ("Alert", "Unacceptable")


# -- fault injection ---------------------------------------------------------------------------


def statuses_of(http: httpx.Client, sim: SimulatorServer, n: int) -> list[int]:
    """Status codes of n distinct requests (distinct customer filters)."""
    return [
        http.get(sim.url + "/v1/machines", params={"customer": f"c{i}"}, headers=KEY).status_code
        for i in range(n)
    ]


def test_error_rate_injects_5xx_at_the_configured_share_deterministically(
    http: httpx.Client,
) -> None:
    runs = []
    for _ in range(2):
        with SimulatorServer(config(error_rate=0.3)) as sim:
            runs.append(statuses_of(http, sim, 200))
            faults = sim.stats.snapshot()["faults"]
    assert runs[0] == runs[1]
    failed = [s for s in runs[0] if s != 200]
    assert set(failed) == {500, 503}
    assert 0.2 < len(failed) / 200 < 0.4
    assert faults["error_500"] + faults["error_503"] == len(failed)


def test_rate_limit_sends_429_with_retry_after(http: httpx.Client) -> None:
    with SimulatorServer(config(rate_limit_rate=1.0, retry_after_seconds=7)) as sim:
        r = http.get(sim.url + "/v1/machines", headers=KEY)
        assert sim.stats.snapshot()["faults"] == {"rate_limited": 1}
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "7"
    assert r.json()["error"]["code"] == "rate_limited"


def test_slow_rate_exceeds_client_timeout(http: httpx.Client) -> None:
    with SimulatorServer(config(slow_rate=1.0, slow_seconds=2.0)) as sim:
        with pytest.raises(httpx.ReadTimeout):
            http.get(sim.url + "/v1/machines", headers=KEY, timeout=httpx.Timeout(5.0, read=0.2))
        assert sim.stats.snapshot()["faults"] == {"slow": 1}


def test_fail_first_n_attempts_of_every_distinct_request(http: httpx.Client) -> None:
    with SimulatorServer(config(fail_first_n=2, fail_first_status=502)) as sim:
        for path in ("/v1/machines", "/v1/machines/MCH-BPP-001"):
            codes = [http.get(sim.url + path, headers=KEY).status_code for _ in range(4)]
            assert codes == [502, 502, 200, 200]
        assert sim.stats.snapshot()["faults"] == {"fail_first_error": 4}


def test_malformed_records_at_the_configured_share(http: httpx.Client) -> None:
    cfg = config(malformed_rate=0.2, n_samples=256)
    kinds: Counter[str] = Counter()
    total = 0
    with SimulatorServer(cfg) as sim:
        known_bearings = {b.external_id for m in sim.dataset.fleet.machines for b in m.bearings}
        for machine in sim.dataset.fleet.machines:
            params = {"date": "2025-11-19", "page_size": 200}
            url = sim.url + measurements_path(machine.external_id)
            body = http.get(url, params=params, headers=KEY).json()
            assert body["next_page_token"] is None
            for record in body["items"]:
                total += 1
                kind = classify(record, known_bearings)
                if kind:
                    kinds[kind] += 1
        served = sim.stats.snapshot()
    assert served["records_served"] == total
    assert served["malformed"] == dict(kinds)
    assert set(kinds) == set(MALFORMED_KINDS)
    assert 0.17 < sum(kinds.values()) / total < 0.23


def classify(record: dict, known_bearings: set[str]) -> str | None:
    """Which kind of breakage a served record shows, judged from the record alone."""
    if not {"timestamp", "waveform", "bearing_id"} <= set(record):
        return "missing_field"
    if record["bearing_id"] not in known_bearings:
        return "unknown_bearing"
    wf = record["waveform"]
    samples = decode_waveform(
        wf["data"], encoding=wf["encoding"], scale=wf["scale"], n_samples=wf["n_samples"]
    )
    if samples.size == 0:
        return "empty_waveform"
    if np.isnan(samples).any():
        return "nan_samples"
    return None
