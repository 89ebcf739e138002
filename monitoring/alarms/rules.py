"""Alarm rules as pure functions: zone with hysteresis, baseline, trend, stale sensor.

Nothing here touches the database: each rule takes the values it needs (a bearing's recent
velocities, its baseline, a series of points) and answers the severity it calls for, so the
rules are tested exhaustively without storage and evaluated the same way at ingestion, by the
stale check and by a rule preview.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from monitoring.vibration.zones import ISO10816_3_BOUNDARIES_MM_S

#: Severities, in increasing order; None means "no alarm".
WARNING, ALERT, DANGER = "warning", "alert", "danger"
SEVERITIES = (WARNING, ALERT, DANGER)
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES, start=1)}

#: Rule types.
ZONE, BASELINE, TREND, STALE, INGESTION = "zone", "baseline", "trend", "stale", "ingestion"
RULE_TYPES = (ZONE, BASELINE, TREND, STALE, INGESTION)

#: Parameters every rule works with when staff configured nothing.
DEFAULT_PARAMS: Mapping[str, Mapping] = {
    ZONE: {"raise_alert_after": 2, "raise_danger_after": 1, "clear_after": 3,
           "hysteresis": 0.10},
    BASELINE: {"samples": 10, "velocity_factor": 0.25, "velocity_cap": 1.25,
               "warning_ratio": 2.0, "alert_ratio": 4.0,
               "ratio_indicators": ["acceleration.kurtosis", "envelope.rms", "envelope.peak"]},
    TREND: {"window_days": 14, "horizon_days": 30, "min_points": 10, "every_hours": 6},
    STALE: {"warning_hours": 36, "alert_hours": 72},
    INGESTION: {},
}  # fmt: skip

#: Readings captured longer than this before they arrive are stored but raise nothing.
BACKFILL_LIMIT = dt.timedelta(days=7)


def worse(a: str | None, b: str | None) -> str | None:
    """The more severe of two severities (None is no alarm)."""
    return max((a, b), key=lambda s: SEVERITY_RANK.get(s, 0))


def boundaries(group: int, foundation: str) -> tuple[float, float, float]:
    """ISO zone boundaries A/B, B/C, C/D (mm/s) of a machine; group 2 rigid when unknown."""
    key = (group, (foundation or "").strip().lower())
    return ISO10816_3_BOUNDARIES_MM_S.get(key, ISO10816_3_BOUNDARIES_MM_S[(2, "rigid")])


# --- Zone ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneDecision:
    """What the zone rule asks for after one reading: a severity, or None to clear/stay quiet."""

    severity: str | None
    threshold: float
    zone: str


def zone_step(
    recent: Sequence[float],
    *,
    active: str | None,
    limits: tuple[float, float, float],
    params: Mapping = DEFAULT_PARAMS[ZONE],
) -> ZoneDecision:
    """The zone rule after the newest of ``recent`` (oldest first) given the active severity.

    Raise: D on ``raise_danger_after`` readings at or over C/D, C on ``raise_alert_after``
    readings at or over B/C. While active, the alarm holds until ``clear_after`` readings lie
    under its boundary minus the hysteresis (de-escalating D to C the same way), so a value
    dithering around a boundary does not flap.
    """
    _, bc, cd = limits
    margin = 1.0 - float(params["hysteresis"])
    value = recent[-1]
    zone = "D" if value >= cd else "C" if value >= bc else "B" if value >= limits[0] else "A"

    def last(n: int, test) -> bool:
        n = int(n)
        return len(recent) >= n and all(test(v) for v in recent[-n:])

    raised = None
    if last(params["raise_danger_after"], lambda v: v >= cd):
        raised = DANGER
    elif last(params["raise_alert_after"], lambda v: v >= bc):
        raised = ALERT
    if active is None:
        return ZoneDecision(raised, cd if raised == DANGER else bc, zone)
    held = active
    clear = params["clear_after"]
    if active == DANGER and last(clear, lambda v: v < cd * margin):
        held = ALERT
    if last(clear, lambda v: v < bc * margin):
        held = None
    severity = worse(raised, held)
    return ZoneDecision(severity, cd if severity == DANGER else bc, zone)


# --- Baseline --------------------------------------------------------------------------------


def baseline_median(values: Sequence[float]) -> float | None:
    """The median of finite values (None when there are none)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.median(finite)) if finite else None


def velocity_baseline_threshold(
    baseline: float,
    *,
    limits: tuple[float, float, float],
    params: Mapping = DEFAULT_PARAMS[BASELINE],
) -> float:
    """ISO 10816-3 annex: baseline + 0.25 x the B upper limit, capped at 1.25 x that limit."""
    b_upper = limits[1]
    return min(baseline + params["velocity_factor"] * b_upper, params["velocity_cap"] * b_upper)


def ratio_severity(
    value: float, baseline: float, params: Mapping = DEFAULT_PARAMS[BASELINE]
) -> tuple[str | None, float]:
    """Warning at 2x, alert at 4x the baseline (kurtosis, envelope); with the threshold met."""
    if baseline <= 0 or not math.isfinite(value):
        return None, params["warning_ratio"] * baseline
    if value >= params["alert_ratio"] * baseline:
        return ALERT, params["alert_ratio"] * baseline
    return (WARNING if value >= params["warning_ratio"] * baseline else None), (
        params["warning_ratio"] * baseline
    )


# --- Trend -----------------------------------------------------------------------------------


def theil_sen(t: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """Theil-Sen slope and intercept: medians of pairwise slopes, robust to outliers."""
    t_arr, y_arr = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    i, j = np.triu_indices(len(t_arr), k=1)
    dt_ = t_arr[j] - t_arr[i]
    keep = dt_ != 0
    if not keep.any():
        return 0.0, float(np.median(y_arr)) if len(y_arr) else 0.0
    slope = float(np.median((y_arr[j] - y_arr[i])[keep] / dt_[keep]))
    return slope, float(np.median(y_arr - slope * t_arr))


def trend_crossing(
    points: Sequence[tuple[dt.datetime, float]],
    *,
    limit: float,
    now: dt.datetime,
    params: Mapping = DEFAULT_PARAMS[TREND],
) -> dt.datetime | None:
    """When the Theil-Sen line through ``points`` crosses ``limit``, if within the horizon.

    None when there are too few points, the slope is not rising, the line is already past the
    limit (the zone rule speaks then) or the crossing lies beyond ``horizon_days``.
    """
    if len(points) < params["min_points"]:
        return None
    t0 = points[0][0]
    days = [(p[0] - t0).total_seconds() / 86400.0 for p in points]
    slope, intercept = theil_sen(days, [p[1] for p in points])
    if slope <= 0:
        return None
    now_days = (now - t0).total_seconds() / 86400.0
    if intercept + slope * now_days >= limit:
        return None
    crossing = (limit - intercept) / slope
    if crossing - now_days > params["horizon_days"]:
        return None
    return t0 + dt.timedelta(days=crossing)


# --- Stale sensor ----------------------------------------------------------------------------


def stale_severity(
    last_reading_at: dt.datetime | None,
    *,
    now: dt.datetime,
    params: Mapping = DEFAULT_PARAMS[STALE],
) -> str | None:
    """Warning past 36 h without a reading, alert past 72 h; None for a bearing never read."""
    if last_reading_at is None:
        return None
    silent = now - last_reading_at
    if silent >= dt.timedelta(hours=params["alert_hours"]):
        return ALERT
    if silent >= dt.timedelta(hours=params["warning_hours"]):
        return WARNING
    return None


def params_for(rule_type: str, overrides: Mapping | None) -> dict:
    """A rule's parameters: the defaults with staff overrides on top (unknown keys ignored)."""
    base = dict(DEFAULT_PARAMS[rule_type])
    for key, value in (overrides or {}).items():
        if key in base:
            base[key] = value
    return base
