"""What the simulated vendor knows: machines, the measurement schedule and wire records.

HTTP-free so tests can reason about the data directly; `server.py` only adds transport,
paging tokens and faults on top.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingestion.simulator.config import SimulatorConfig
from ingestion.simulator.fleet import (
    BearingSpec,
    Fleet,
    MachineSpec,
    build_fleet,
    machine_to_wire,
    stable_int,
    stable_unit,
)
from ingestion.simulator.synth import synthesize
from ingestion.wire import encode_waveform

#: Ways a served record can be broken when malformed_rate > 0.
MALFORMED_KINDS = ("missing_field", "nan_samples", "empty_waveform", "unknown_bearing")
#: Fields dropped by the "missing_field" kind; each makes the record unusable.
_DROPPABLE_FIELDS = ("timestamp", "waveform", "bearing_id")
#: Bearings of one machine are measured one after another by the same data collector.
BEARING_STAGGER = dt.timedelta(seconds=30)


def format_timestamp(ts: dt.datetime) -> str:
    """ISO 8601 UTC with a Z suffix, as the vendor sends it."""
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def measurement_id(bearing_id: str, timestamp: dt.datetime) -> str:
    """Globally unique, stable measurement id derived from bearing and time."""
    key = f"{bearing_id}|{format_timestamp(timestamp)}".encode()
    return "msr_" + hashlib.blake2b(key, digest_size=12).hexdigest()


@dataclass(frozen=True)
class ScheduledMeasurement:
    """One measurement that exists (or will) at the vendor."""

    measurement_id: str
    timestamp: dt.datetime
    machine: MachineSpec
    bearing: BearingSpec


class VendorDataset:
    """Deterministic vendor data for one configuration."""

    def __init__(self, config: SimulatorConfig, *, anchor_date: dt.date | None = None) -> None:
        """Build the fleet and fix the anchor date once, so a server spanning midnight is stable."""
        self.config = config
        self.fleet: Fleet = build_fleet(config.seed)
        self.anchor_date = anchor_date or config.resolved_anchor_date()

    def machines(self, customer: str | None = None) -> list[MachineSpec]:
        """Machines in catalogue order, optionally of one customer (case-insensitive)."""
        if customer is None:
            return list(self.fleet.machines)
        wanted = customer.strip().casefold()
        return [m for m in self.fleet.machines if m.customer.casefold() == wanted]

    def machine_wire(self, machine: MachineSpec) -> dict[str, Any]:
        """A machine with embedded bearings in wire format."""
        return machine_to_wire(machine)

    def schedule(
        self, machine: MachineSpec, day: dt.date, now: dt.datetime | None = None
    ) -> list[ScheduledMeasurement]:
        """Measurements of `machine` on UTC `day` that exist at `now` (default: config clock)."""
        now = self.config.clock() if now is None else now
        start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
        step = dt.timedelta(minutes=self.config.interval_minutes)
        out: list[ScheduledMeasurement] = []
        slot = start
        while slot.date() == day:
            for i, bearing in enumerate(machine.bearings):
                ts = slot + i * BEARING_STAGGER
                if ts > now:
                    # Later slots are later still: nothing more exists yet.
                    return out
                out.append(
                    ScheduledMeasurement(
                        measurement_id(bearing.external_id, ts), ts, machine, bearing
                    )
                )
            slot += step
        return out

    def waveform(self, item: ScheduledMeasurement) -> tuple[np.ndarray, float]:
        """The clean acceleration waveform (g) and temperature (deg C) of a measurement."""
        cfg = self.config
        return synthesize(
            item.machine,
            item.bearing,
            item.timestamp,
            seed=cfg.seed,
            anchor_date=self.anchor_date,
            lead_days=cfg.defect_lead_days,
            sample_rate_hz=cfg.sample_rate_hz,
            n_samples=cfg.n_samples,
        )

    def malformed_kind(self, item: ScheduledMeasurement) -> str | None:
        """Which way this record is broken, or None; a pure function of seed and id."""
        rate = self.config.malformed_rate
        if rate <= 0.0 or stable_unit(self.config.seed, item.measurement_id, "malformed") >= rate:
            return None
        pick = stable_int(f"{self.config.seed}|{item.measurement_id}|kind")
        return MALFORMED_KINDS[pick % len(MALFORMED_KINDS)]

    def record(self, item: ScheduledMeasurement) -> tuple[dict[str, Any], str | None]:
        """The wire record of a measurement and its malformation kind (None when intact)."""
        cfg = self.config
        kind = self.malformed_kind(item)
        samples, temperature = self.waveform(item)
        encoding = cfg.encoding
        if kind == "nan_samples":
            # A dropout: a block of NaN, which only float32 can carry.
            samples = samples.copy()
            start = stable_int(item.measurement_id) % (samples.size - 64)
            samples[start : start + 64] = np.nan
            encoding = "float32"
        elif kind == "empty_waveform":
            samples = samples[:0]
        data, scale = encode_waveform(samples, encoding=encoding)
        record: dict[str, Any] = {
            "measurement_id": item.measurement_id,
            "machine_id": item.machine.external_id,
            "bearing_id": item.bearing.external_id,
            "timestamp": format_timestamp(item.timestamp),
            "temperature_c": temperature,
            "waveform": {
                "sample_rate_hz": cfg.sample_rate_hz,
                "n_samples": int(samples.size),
                "unit": "g",
                "encoding": encoding,
                "scale": scale,
                "data": data,
            },
        }
        if kind == "unknown_bearing":
            record["bearing_id"] = f"BRG-UNKNOWN-{stable_int(item.measurement_id) % 10**6:06d}"
        elif kind == "missing_field":
            pick = stable_int(f"{item.measurement_id}|field") % len(_DROPPABLE_FIELDS)
            del record[_DROPPABLE_FIELDS[pick]]
        return record, kind
