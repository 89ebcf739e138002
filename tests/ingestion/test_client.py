"""VendorClient against the simulator served for real on a loopback port."""

from __future__ import annotations

import datetime as dt
import random
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from ingestion.client import (
    FetchFailure,
    Machine,
    MeasurementPage,
    VendorAuthError,
    VendorClient,
    VendorNotFound,
    VendorUnavailable,
)
from ingestion.simulator import SimulatorConfig, SimulatorServer
from ingestion.wire import decode_waveform
from monitoring.vibration.measurement import compute_measurement

ANCHOR = dt.date(2025, 11, 20)
DAY = dt.date(2025, 11, 19)
NOW = dt.datetime(2025, 11, 21, 12, 0, tzinfo=dt.UTC)


class Sleeps(list):
    """Injected sleep: records requested waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        """Record one wait."""
        self.append(seconds)


@pytest.fixture
def serve() -> Iterator[Callable[..., SimulatorServer]]:
    """Start simulators with small, fast waveforms; stop them after the test."""
    started: list[SimulatorServer] = []

    def start(**overrides: object) -> SimulatorServer:
        options: dict[str, object] = {
            "seed": 3,
            "anchor_date": ANCHOR,
            "clock": lambda: NOW,
            "interval_minutes": 240,
            "n_samples": 512,
        }
        options.update(overrides)
        sim = SimulatorServer(SimulatorConfig(**options)).start()  # type: ignore[arg-type]
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    """A fresh sleep recorder."""
    return Sleeps()


def make_client(sim: SimulatorServer, sleeps: Sleeps, **kwargs: object) -> VendorClient:
    """Client with deterministic jitter and recorded sleeps."""
    options: dict[str, object] = {"sleep": sleeps, "rng": random.Random(0)}
    options.update(kwargs)
    return VendorClient(sim.url, sim.config.api_key, **options)  # type: ignore[arg-type]


def fetch_all(client: VendorClient, machine_ids: list[str]) -> list[MeasurementPage]:
    """Every page for DAY, failing the test on a FetchFailure."""
    pages = []
    for item in client.iter_measurements(DAY, machine_ids):
        assert isinstance(item, MeasurementPage), item
        pages.append(item)
    return pages


# -- happy paths -----------------------------------------------------------------------------


def test_machines_with_bearings_and_customer_filter(serve, sleeps) -> None:
    sim = serve()
    with make_client(sim, sleeps, page_size=5) as client:
        machines = client.list_machines()
        customer = machines[0].customer
        subset = client.list_machines(customer=customer)
        bearings = client.list_bearings(machines[0].external_id)
        one = client.get_machine(machines[0].external_id)
    assert len(machines) == len(sim.dataset.fleet.machines)
    assert len({m.external_id for m in machines}) == len(machines)
    assert all(isinstance(m, Machine) and 2 <= len(m.bearings) <= 6 for m in machines)
    assert subset and all(m.customer == customer for m in subset)
    assert len(subset) < len(machines)
    assert tuple(bearings) == machines[0].bearings == one.bearings
    pages = -(-len(machines) // 5) + -(-len(subset) // 5) + 1  # ceil divisions, then bearings
    assert client.stats.snapshot()["pages"] == pages


def test_pagination_returns_every_measurement_exactly_once(serve, sleeps) -> None:
    sim = serve()
    machines = [m.external_id for m in sim.dataset.fleet.machines[:6]]
    with make_client(sim, sleeps, page_size=7, max_concurrency=3) as client:
        pages = fetch_all(client, machines)
    ids = [m.measurement_id for p in pages for m in p.measurements]
    expected = {
        item.measurement_id
        for machine in sim.dataset.fleet.machines[:6]
        for item in sim.dataset.schedule(machine, DAY)
    }
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    assert all(len(p.measurements) <= 7 for p in pages)
    # Pages of one machine arrive in order even though machines interleave.
    for machine_id in machines:
        numbers = [p.page_number for p in pages if p.machine_external_id == machine_id]
        assert numbers == list(range(1, len(numbers) + 1))
    first = pages[0].measurements[0]
    assert first.timestamp.tzinfo is not None and first.timestamp.date() == DAY
    samples = decode_waveform(
        first.waveform.data_b64,
        encoding=first.waveform.encoding,
        scale=first.waveform.scale,
        n_samples=first.waveform.n_samples,
    )
    assert samples.size == 512
    assert sleeps == [] and client.stats.retries == 0


def test_malformed_records_are_rejected_not_fatal(serve, sleeps) -> None:
    sim = serve(malformed_rate=0.3)
    machines = [m.external_id for m in sim.dataset.fleet.machines]
    with make_client(sim, sleeps) as client:
        pages = fetch_all(client, machines)
    rejected = [r for p in pages for r in p.rejected]
    accepted = [m for p in pages for m in p.measurements]
    served = sim.stats.snapshot()["malformed"]
    # Missing fields fail parsing; the other kinds are well-formed JSON and surface later (an
    # unknown bearing in the database lookup, NaN/empty when the vibration code rejects them).
    assert len(rejected) == served["missing_field"]
    assert all(r.reason.startswith("missing field") and r.measurement_id for r in rejected)
    failures = 0
    for m in accepted:
        wf = m.waveform
        try:
            samples = decode_waveform(
                wf.data_b64, encoding=wf.encoding, scale=wf.scale, n_samples=wf.n_samples
            )
            compute_measurement(samples, wf.sample_rate_hz, group=2, foundation="rigid")
        except ValueError:
            failures += 1
    assert failures == served["nan_samples"] + served["empty_waveform"]


# -- retries ---------------------------------------------------------------------------------


def test_retries_5xx_then_succeeds(serve, sleeps) -> None:
    sim = serve(fail_first_n=2, fail_first_status=503, retry_after_seconds=0)
    with make_client(sim, sleeps, backoff_base=0.5) as client:
        machines = client.list_machines()
    assert machines
    assert client.stats.retries == 2
    assert client.stats.snapshot()["retry_causes"] == {"server_error": 2}
    assert sim.stats.snapshot()["by_status"] == {503: 2, 200: 1}
    # 503 here carries Retry-After: 0, which is honoured as "retry now".
    assert sleeps == [0.0, 0.0]


def test_backoff_is_exponential_with_full_jitter(serve, sleeps) -> None:
    sim = serve(fail_first_n=4, fail_first_status=500)
    with make_client(sim, sleeps, backoff_base=0.5, backoff_max=1.5) as client:
        client.list_machines()
    ceilings = [0.5, 1.0, 1.5, 1.5]  # base * 2^(n-1), capped by backoff_max
    assert len(sleeps) == 4
    assert all(0.0 <= s <= c for s, c in zip(sleeps, ceilings, strict=True))
    assert len(set(sleeps)) == 4  # jittered, not a fixed schedule


def test_429_honours_retry_after(serve, sleeps) -> None:
    sim = serve(fail_first_n=1, fail_first_kind="rate_limit", retry_after_seconds=3)
    with make_client(sim, sleeps) as client:
        client.list_machines()
    assert sleeps == [3.0]
    assert client.stats.snapshot()["retry_causes"] == {"rate_limited": 1}
    assert client.stats.snapshot()["backoff_seconds"] == 3.0


def test_retry_after_is_capped(serve, sleeps) -> None:
    sim = serve(rate_limit_rate=1.0, retry_after_seconds=3600)
    client = make_client(sim, sleeps, backoff_max=10.0, max_attempts=3)
    with client, pytest.raises(VendorUnavailable, match="429"):
        client.list_machines()
    assert sleeps == [10.0, 10.0]


def test_timeout_is_retried(serve, sleeps) -> None:
    sim = serve(fail_first_n=1, fail_first_kind="slow", slow_seconds=2.0)
    timeout = httpx.Timeout(5.0, read=0.2)
    with make_client(sim, sleeps, timeout=timeout) as client:
        assert client.list_machines()
    assert client.stats.snapshot()["retry_causes"] == {"timeout": 1}


def test_timeouts_exhaust_attempts_into_vendor_unavailable(serve, sleeps) -> None:
    sim = serve(slow_rate=1.0, slow_seconds=2.0)
    timeout = httpx.Timeout(5.0, read=0.2)
    client = make_client(sim, sleeps, timeout=timeout, max_attempts=3)
    with client, pytest.raises(VendorUnavailable) as excinfo:
        client.list_machines()
    error = excinfo.value
    assert error.attempts == 3
    assert f"{sim.url}/v1/machines" in str(error)
    assert "timeout" in str(error) and "ReadTimeout" in error.last_cause
    assert client.stats.snapshot()["requests"] == 3
    assert len(sleeps) == 2


def test_connection_refused_is_vendor_unavailable(sleeps) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        client = VendorClient(f"http://127.0.0.1:{port}", "k", sleep=sleeps, max_attempts=2)
        with client, pytest.raises(VendorUnavailable, match="connection error"):
            client.list_machines()
    assert len(sleeps) == 1


# -- errors that must not be retried ---------------------------------------------------------


def test_401_raises_auth_error_without_retry(serve, sleeps) -> None:
    sim = serve()
    client = VendorClient(sim.url, "wrong-key", sleep=sleeps)
    with client, pytest.raises(VendorAuthError, match="401"):
        client.list_machines()
    assert sim.stats.snapshot()["requests"] == 1
    assert client.stats.retries == 0 and sleeps == []


def test_404_raises_not_found_without_retry(serve, sleeps) -> None:
    sim = serve()
    with make_client(sim, sleeps) as client, pytest.raises(VendorNotFound, match="MCH-NOPE"):
        client.get_machine("MCH-NOPE")
    assert sim.stats.snapshot()["requests"] == 1


def test_auth_error_aborts_a_concurrent_download(serve, sleeps) -> None:
    sim = serve()
    machines = [m.external_id for m in sim.dataset.fleet.machines]
    client = VendorClient(sim.url, "wrong-key", sleep=sleeps, max_concurrency=2)
    with client, pytest.raises(VendorAuthError):
        list(client.iter_measurements(DAY, machines))
    assert sim.stats.snapshot()["requests"] <= 2 + 2  # in flight when the first one failed


# -- concurrency -----------------------------------------------------------------------------


def test_concurrency_is_bounded(serve, sleeps) -> None:
    sim = serve(latency_seconds=0.05)
    machines = [m.external_id for m in sim.dataset.fleet.machines[:9]]
    with make_client(sim, sleeps, max_concurrency=3, page_size=10) as client:
        pages = fetch_all(client, machines)
    assert {p.machine_external_id for p in pages} == set(machines)
    peak = sim.stats.snapshot()["max_measurement_in_flight"]
    assert 2 <= peak <= 3


def test_failed_machine_yields_failure_and_others_continue(serve, sleeps) -> None:
    sim = serve()
    machines = ["MCH-BPP-001", "MCH-NOPE", "MCH-BPP-002"]
    with make_client(sim, sleeps) as client:
        items = list(client.iter_measurements(DAY, machines))
        failures = [i for i in items if isinstance(i, FetchFailure)]
        assert [f.machine_external_id for f in failures] == ["MCH-NOPE"]
        assert isinstance(failures[0].error, VendorNotFound)
        got = {i.machine_external_id for i in items if isinstance(i, MeasurementPage)}
        assert got == {"MCH-BPP-001", "MCH-BPP-002"}
        with pytest.raises(VendorNotFound):
            list(client.iter_measurements(DAY, machines, fail_fast=True))


def test_leaving_the_iteration_early_stops_the_workers(serve, sleeps) -> None:
    sim = serve()
    machines = [m.external_id for m in sim.dataset.fleet.machines]
    with make_client(sim, sleeps, max_concurrency=4, page_size=2) as client:
        stream = client.iter_measurements(DAY, machines)
        first = next(stream)
        stream.close()
    assert isinstance(first, MeasurementPage)
    assert not [t for t in threading.enumerate() if t.name.startswith("vendor-fetch")]
    # Bounded buffering: nowhere near every page was downloaded.
    total_pages = len(machines) * 12  # 24 records per machine, 2 per page
    assert sim.stats.snapshot()["by_route"]["measurements"] < total_pages / 4
