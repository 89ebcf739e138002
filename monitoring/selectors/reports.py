"""The printable machine report: a machine, its bearings' latest state, alarms and 30-day trend."""

from __future__ import annotations

import datetime as dt

from monitoring import clock, indicators
from monitoring.scope import Scope
from monitoring.selectors import catalogue, timeseries
from monitoring.vibration.zones import ISO10816_3_BOUNDARIES_MM_S

REPORT_DAYS = 30
#: The indicators shown as "latest" per bearing, in catalogue order.
REPORT_INDICATORS = indicators.INDICATORS


def machine_open_alarms(*, scope: Scope, machine_id) -> list[dict]:
    """HOOK for the alarm system: the machine's open alarms, newest first.

    Alarms do not exist yet, so this returns ``[]`` and the report says "no alarm system data".
    Each item is expected as ``{"raised_at": datetime, "severity": str, "bearing": str,
    "message": str}``; the template (templates/monitoring/report.html) shows those keys.
    """
    return []


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
    key = (machine.get("iso_group"), str(machine.get("foundation") or "").lower())
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
    return {
        "machine": machine,
        "bearings": bearings,
        "alarms": machine_open_alarms(scope=scope, machine_id=machine_id),
        "boundaries": ISO10816_3_BOUNDARIES_MM_S.get(key),
        "start": start,
        "end": end,
        "days": REPORT_DAYS,
    }
