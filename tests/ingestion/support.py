"""Shared helpers of the ingestion tests: a small simulator served for real, run snapshots."""

from __future__ import annotations

import datetime as dt

import pytest

from ingestion.client import VendorClient
from ingestion.simulator import SimulatorConfig, SimulatorServer
from monitoring.models import (
    AreaHourlyRollup,
    Bearing,
    BearingHourlyRollup,
    IngestionRun,
    Machine,
    Reading,
    Waveform,
)
from monitoring.mongo import collection

#: A fully elapsed UTC day, so every scheduled measurement exists.
DAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)
#: Small and fast: 6 measurements per bearing a day, short waveforms.
FAST = {"interval_minutes": 240, "n_samples": 1024, "anchor_date": DAY}
CUSTOMER = "Sierra Water Authority"


def simulator_start(**overrides) -> SimulatorServer:
    """A simulator on a free loopback port, serving in a background thread."""
    return SimulatorServer(SimulatorConfig(**{**FAST, **overrides})).start()


def vendor_client(server: SimulatorServer, **overrides) -> VendorClient:
    """A client of that simulator with test-friendly retries (no real backoff sleeps)."""
    options = {"max_attempts": 4, "backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0}
    options.update(overrides)
    return VendorClient(server.url, server.config.api_key, **options)


def expected_ids(server: SimulatorServer, *, days, customer=None, intact_only=True) -> set[str]:
    """The vendor's measurement ids for some days (without malformed ones by default)."""
    ds = server.dataset
    ids = set()
    for machine in ds.machines(customer):
        for day in days:
            for item in ds.schedule(machine, day):
                if intact_only and ds.malformed_kind(item):
                    continue
                ids.add(item.measurement_id)
    return ids


def counts() -> dict[str, int]:
    """Documents per collection the ingestion writes."""
    models = (Machine, Bearing, Reading, Waveform, BearingHourlyRollup, AreaHourlyRollup)
    return {m.__name__: collection(m).count_documents({}) for m in models}


def rollup_snapshot(model) -> list[dict]:
    """A rollup collection's documents without _id, in a stable order."""
    docs = list(collection(model).find({}, {"_id": 0}))
    return sorted(
        docs, key=lambda d: tuple(str(d.get(k)) for k in ("bearing_id", "customer", "area", "hour"))
    )


def assert_rollups_equal(left: list[dict], right: list[dict]) -> None:
    """Rollup documents equal up to float rounding of the sums."""
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], dict):
                assert a[key] == pytest.approx(b[key], rel=1e-9), key
            else:
                assert a[key] == b[key], key


def last_run() -> IngestionRun:
    """The most recently started run."""
    return IngestionRun.objects.order_by("-started_at").first()
