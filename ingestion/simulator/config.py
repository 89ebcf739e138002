"""Configuration of the vendor-API simulator (one frozen dataclass, validated on creation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

FAIL_FIRST_KINDS = ("error", "rate_limit", "slow")


def utc_now() -> dt.datetime:
    """Current time as an aware UTC datetime (the default simulator clock)."""
    return dt.datetime.now(dt.UTC)


def _check_rate(name: str, value: float) -> None:
    """Raise unless `value` is a probability."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that shapes the simulated vendor: data, paging, auth and injected faults.

    Data are a pure function of (seed, anchor_date, sample_rate_hz, n_samples, interval_minutes,
    date), and every injected fault a pure function of (seed, request, attempt number), so runs
    are reproducible.
    """

    seed: int = 7
    api_key: str = "dev-key"
    # The outer-race defect starts `defect_lead_days` before this date, so a demo of the last
    # week shows the whole trend. None means "today (UTC) when the server starts".
    anchor_date: dt.date | None = None
    defect_lead_days: float = 7.0
    interval_minutes: int = 60
    sample_rate_hz: float = 5120.0
    n_samples: int = 4096
    # int16 with a per-record scale is the compact default; float32 is also in the contract.
    encoding: str = "int16"
    default_page_size: int = 50
    max_page_size: int = 200
    # Fault injection, all off by default.
    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 5.0
    rate_limit_rate: float = 0.0
    retry_after_seconds: int = 1
    malformed_rate: float = 0.0
    # Fail the first N attempts of every distinct request (method + path + query) in the way
    # named by fail_first_kind, so tests can assert retry behaviour exactly.
    fail_first_n: int = 0
    fail_first_kind: str = "error"
    fail_first_status: int = 503
    # Latency added to every response; lets tests observe concurrent requests.
    latency_seconds: float = 0.0
    # Injectable clock: measurements later than "now" do not exist yet.
    clock: Callable[[], dt.datetime] = field(default=utc_now, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Reject settings that would make the simulator misbehave instead of failing late."""
        if not self.api_key:
            raise ValueError("api_key must not be empty")
        if not 5 <= self.interval_minutes <= 1440:
            # Bearings of one machine are measured 30 s apart, so shorter cycles would overlap.
            raise ValueError(f"interval_minutes must be 5..1440, got {self.interval_minutes!r}")
        if not self.sample_rate_hz >= 1000.0:
            raise ValueError(f"sample_rate_hz must be >= 1000, got {self.sample_rate_hz!r}")
        if not 256 <= self.n_samples <= 65536:
            raise ValueError(f"n_samples must be 256..65536, got {self.n_samples!r}")
        if self.encoding not in ("int16", "float32"):
            raise ValueError(f"encoding must be 'int16' or 'float32', got {self.encoding!r}")
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise ValueError("need 1 <= default_page_size <= max_page_size")
        if self.defect_lead_days <= 0.0:
            raise ValueError("defect_lead_days must be positive")
        for name in ("error_rate", "slow_rate", "rate_limit_rate", "malformed_rate"):
            _check_rate(name, getattr(self, name))
        if self.slow_seconds < 0.0 or self.latency_seconds < 0.0:
            raise ValueError("slow_seconds and latency_seconds must not be negative")
        if self.retry_after_seconds < 0:
            raise ValueError("retry_after_seconds must not be negative")
        if self.fail_first_n < 0:
            raise ValueError("fail_first_n must not be negative")
        if self.fail_first_kind not in FAIL_FIRST_KINDS:
            raise ValueError(f"fail_first_kind must be one of {FAIL_FIRST_KINDS}")
        if not 500 <= self.fail_first_status <= 599:
            raise ValueError("fail_first_status must be a 5xx status")

    def resolved_anchor_date(self) -> dt.date:
        """The anchor date, defaulting to today's UTC date by the configured clock."""
        return self.anchor_date if self.anchor_date is not None else self.clock().date()
