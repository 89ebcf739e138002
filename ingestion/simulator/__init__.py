"""Vendor-API simulator: a deterministic fleet, physical waveforms and injectable faults.

Serves the contract in docs/vendor-api.md for tests, demos and local development. Imports numpy,
the standard library, the vibration domain (`monitoring.vibration`) and the wire codec
(`ingestion.wire`) only: no Django, no ingestion services, client or storage
(tests/test_architecture.py).
"""

from ingestion.simulator.config import SimulatorConfig
from ingestion.simulator.dataset import MALFORMED_KINDS, VendorDataset
from ingestion.simulator.fleet import (
    IMBALANCE_BEARING_ID,
    IMBALANCE_MACHINE_ID,
    OUTER_RACE_BEARING_ID,
    OUTER_RACE_MACHINE_ID,
    build_fleet,
)
from ingestion.simulator.server import API_KEY_HEADER, SimulatorServer, SimulatorStats

__all__ = [
    "API_KEY_HEADER",
    "IMBALANCE_BEARING_ID",
    "IMBALANCE_MACHINE_ID",
    "MALFORMED_KINDS",
    "OUTER_RACE_BEARING_ID",
    "OUTER_RACE_MACHINE_ID",
    "SimulatorConfig",
    "SimulatorServer",
    "SimulatorStats",
    "VendorDataset",
    "build_fleet",
]
