"""The machine report (latest state, alarms, 30-day trend) and the admin's velocity trend."""

from __future__ import annotations

import datetime as dt

from monitoring import clock, indicators
from monitoring.alarms.models import Baseline
from monitoring.mongo import collection
from monitoring.scope import Scope
from monitoring.selectors import alarms, catalogue, timeseries
from monitoring.vibration.zones import ISO10816_3_BOUNDARIES_MM_S

REPORT_DAYS = 30
#: The indicators shown as "latest" per bearing, in catalogue order.
REPORT_INDICATORS = indicators.INDICATORS


#: Open alarms listed on one page at most (a machine has one per bearing and rule).
REPORT_ALARMS = 50


def _alarm_message(alarm: dict) -> str:
    """One line of what an alarm saw: rule, indicator, value against threshold, projection."""
    evidence = alarm.get("evidence") or {}
    text = [alarm["rule_type"], evidence.get("indicator") or ""]
    if evidence.get("value") is not None and evidence.get("threshold") is not None:
        unit = evidence.get("unit") or ""
        text.append(f"{evidence['value']:.3g} {unit} > {evidence['threshold']:.3g} {unit}")
    if evidence.get("projected_at"):
        text.append(f"projected to cross {evidence['threshold']:.3g} mm/s "
                    f"by {evidence['projected_at'][:10]}")  # fmt: skip
    state = "" if alarm["state"] == "active" else " (cleared, not closed)"
    return " ".join(t for t in text if t).strip() + state


def machine_open_alarms(*, scope: Scope, machine_id, locations: dict) -> list[dict]:
    """The machine's open (not closed) alarms, newest first: ``{"raised_at", "severity",
    "bearing", "message"}`` each (``locations``: bearing id -> its location)."""
    rows = alarms.alarm_page(scope=scope, limit=REPORT_ALARMS,
                             filters={"machine_id": machine_id, "state": ["open"]})  # fmt: skip
    return [
        {
            "raised_at": row["raised_at"],
            "severity": row["severity"],
            "bearing": locations.get(row.get("bearing_id"), "-"),
            "message": _alarm_message(row),
        }
        for row in rows
    ]


def _zone_boundaries(machine: dict) -> tuple[float, float, float] | None:
    """The A/B, B/C, C/D limits (mm/s) of a machine document; None for an unknown class."""
    key = (machine.get("iso_group"), str(machine.get("foundation") or "").lower())
    return ISO10816_3_BOUNDARIES_MM_S.get(key)


def _daily_velocity(scope: Scope, machine_id, start: dt.datetime, end: dt.datetime) -> dict:
    """Per bearing id: {"avg": [(day, value)], "max": [(day, value)]} from the rollups."""
    series: dict = {}
    for agg in ("avg", "max"):
        data = timeseries.timeseries_get(
            scope=scope, machine_id=machine_id, start=start, end=end,
            metrics=("velocity.rms",), interval="day", agg=agg,
        )  # fmt: skip
        for item in data["series"]:
            series.setdefault(item["bearing_id"], {})[agg] = item["points"]
    return series


def machine_report_get(*, scope: Scope, machine_id) -> dict | None:
    """Everything the report shows for a machine in scope, or None (unknown or not in scope)."""
    machine = catalogue.machine_get(scope=scope, machine_id=machine_id)
    if machine is None:
        return None
    end = clock.now()
    start = end - dt.timedelta(days=REPORT_DAYS)
    trend = _daily_velocity(scope, machine_id, start, end)
    bearings = []
    for row in catalogue.latest_readings(scope=scope, machine_id=machine_id):
        bearing, reading = row["bearing"], row["reading"]
        bearings.append(
            {
                "bearing": bearing,
                "reading": reading,
                "trend": trend.get(bearing["_id"], {"avg": [], "max": []}),
            }
        )
    locations = {b["bearing"]["_id"]: b["bearing"].get("bearing_location") for b in bearings}
    return {
        "machine": machine,
        "bearings": bearings,
        "alarms": machine_open_alarms(scope=scope, machine_id=machine_id, locations=locations),
        "boundaries": _zone_boundaries(machine),
        "start": start,
        "end": end,
        "days": REPORT_DAYS,
    }


def _baseline_velocities(bearing_ids: list) -> dict:
    """Bearing id -> its established baseline velocity RMS (mm/s); absent when none is."""
    # The bearing ids come from a scoped read; baselines are one per bearing (unique index).
    docs = collection(Baseline).find(
        {"bearing_id": {"$in": bearing_ids}}, {"bearing_id": 1, "values": 1}
    )
    values = {doc["bearing_id"]: (doc.get("values") or {}).get("velocity.rms") for doc in docs}
    return {bearing_id: v for bearing_id, v in values.items() if v is not None}


def velocity_trend_get(*, scope: Scope, machine_id, days: int = REPORT_DAYS) -> dict | None:
    """Per bearing: hourly mean velocity RMS of the last ``days`` (rollups) and its baseline."""
    machine = catalogue.machine_get(scope=scope, machine_id=machine_id)
    if machine is None:
        return None
    end = clock.now()
    start = end - dt.timedelta(days=days)
    data = timeseries.timeseries_get(
        scope=scope, machine_id=machine_id, start=start, end=end,
        metrics=("velocity.rms",), interval="hour", agg="avg",
    )  # fmt: skip
    baselines = _baseline_velocities([item["bearing_id"] for item in data["series"]])
    bearings = [
        {
            "bearing_id": item["bearing_id"],
            "bearing_location": item["bearing_location"],
            "points": item["points"],
            "baseline": baselines.get(item["bearing_id"]),
        }
        for item in data["series"]
    ]
    return {
        "machine": machine,
        "boundaries": _zone_boundaries(machine),
        "start": start,
        "end": end,
        "days": days,
        "bearings": bearings,
    }
