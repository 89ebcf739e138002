"""Exact reading counts over time ranges: full hours from rollups, edge hours from readings."""

from __future__ import annotations

import datetime as dt

from monitoring.models import BearingHourlyRollup, Reading
from monitoring.mongo import aggregate, ceil_hour, floor_hour, reading_stages, rollup_stages


def rollup_counts(model, hours: dict, match: dict, group_key: str | None) -> dict:
    """Readings the rollups hold in an hour range, per ``group_key`` (or under ``None``)."""
    rows = aggregate(
        model,
        [
            *rollup_stages(model, hours, match),
            {"$group": {"_id": f"${group_key}" if group_key else None, "n": {"$sum": "$count"}}},
        ],
    )
    return {row["_id"]: row["n"] for row in rows}


def reading_counts(
    *,
    match: dict,
    group_key: str | None,
    start: dt.datetime,
    end: dt.datetime,
    rollup_model=BearingHourlyRollup,
) -> dict:
    """Exact reading counts in [start, end] per ``group_key`` (or under ``None`` overall).

    ``match`` is already scoped by the caller. Full hours come from rollups (cost grows with
    hours); the partial hours at either edge are counted from readings (at most two hours).
    """
    first_full, last_full = ceil_hour(start), floor_hour(end)
    key = f"${group_key}" if group_key else None
    counts: dict = {}
    if first_full < last_full:
        counts = rollup_counts(
            rollup_model, {"$gte": first_full, "$lt": last_full}, match, group_key
        )
        # One query per edge (no index range holds both); both even when the first is empty
        # (an aligned start), so the round trips depend only on whether a full hour exists.
        edges = [{"$gte": start, "$lt": first_full}, {"$gte": last_full, "$lte": end}]
    else:
        edges = [{"$gte": start, "$lte": end}]
    for edge in edges:
        pipeline = [*reading_stages(edge, match), {"$group": {"_id": key, "n": {"$sum": 1}}}]
        for row in aggregate(Reading, pipeline):
            counts[row["_id"]] = counts.get(row["_id"], 0) + row["n"]
    return counts
