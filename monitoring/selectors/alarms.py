"""Alarms, their summary, rules and the audit trail: reads, the scope always required.

Alarm pages are index-led like readings: a first ``$match`` with the ``raised_at`` range and at
most one customer equality ((customer, -raised_at) or (-raised_at, -_id)), then the rest.
Alarms do not grow with readings (one per problem), so these reads stay flat as history grows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from monitoring.alarms.models import Alarm, AlarmRule, AuditEvent
from monitoring.mongo import (
    TIME_MAX,
    TIME_MIN,
    aggregate,
    collection,
    index_led_stages,
    windowed_page,
)
from monitoring.scope import Scope

ALARM_INDEX_KEYS = ("customer",)
#: Alarms are sparse (a few a day per plant): page windows of a day, then 2, 4, 8, ... days
#: (measured on SecantusDB: the first page as fast at 72 days of alarms as at 7).
SPARSE_WINDOWS = (dt.timedelta(days=1), 2)


def _conditions(scope: Scope, filters: dict) -> dict[str, Any]:
    def any_of(name):
        values = filters.get(name)
        return {"$in": list(values)} if values else None

    state = filters.get("state") or []
    conditions: dict[str, Any] = {
        "customer": scope.condition(filters.get("customer")),
        "severity": any_of("severity"),
        "rule_type": any_of("rule_type"),
        "machine_id": filters.get("machine_id"),
        "bearing_id": filters.get("bearing_id"),
    }
    # "open" is not closed; active/cleared are the condition's state; closed is closed.
    states = {s for s in state if s in ("active", "cleared")}
    if states:
        conditions["state"] = {"$in": sorted(states)}
    if "open" in state and "closed" not in state:
        conditions["closed"] = False
    elif "closed" in state and "open" not in state:
        conditions["closed"] = True
    return conditions


def alarm_page(*, scope: Scope, limit: int, position=None, newer: bool = False,
               filters: dict | None = None) -> list[dict]:  # fmt: skip
    """Up to ``limit`` alarms past a (raised_at, id) position, newest first (or oldest first
    with ``newer``), matching the filters (state, severity, rule_type, customer, machine_id,
    bearing_id, since)."""
    filters = filters or {}
    conditions = _conditions(scope, filters)
    low, high = filters.get("since") or TIME_MIN, TIME_MAX
    if position is not None:
        at, pk = position
        if newer:
            low = max(low, at)
            conditions["$or"] = [{"raised_at": {"$gt": at}}, {"_id": {"$gt": pk}}]
        else:
            high = min(high, at)
            conditions["$or"] = [{"raised_at": {"$lt": at}}, {"_id": {"$lt": pk}}]
    return windowed_page(
        Alarm,
        "raised_at",
        low=low,
        high=high,
        newer=newer,
        conditions=conditions,
        index_keys=ALARM_INDEX_KEYS,
        limit=limit,
        windows=SPARSE_WINDOWS,
    )


def alarm_get(*, scope: Scope, alarm_id) -> dict | None:
    """One alarm in scope (with history and comments), or None."""
    doc = collection(Alarm).find_one({"_id": alarm_id})
    return doc if doc is not None and scope.allows(doc.get("customer")) else None


def open_alarm_counts(
    *, scope: Scope, by: Sequence[str], customer: list[str] | None = None
) -> list[dict]:
    """Open (not closed) alarms counted per combination of the ``by`` keys (some of
    customer, severity, state, acknowledged): ``[{<key>: ..., "n"}]`` (the (closed, ...) index).
    Grouping by fewer keys sends fewer rows back."""
    stages = index_led_stages("closed", False, {"customer": scope.condition(customer)}, ())
    group = {"_id": {key: f"${key}" for key in by}, "n": {"$sum": 1}}
    rows = aggregate(Alarm, [*stages, {"$group": group}])
    return [{**row["_id"], "n": row["n"]} for row in rows]


def alarm_summary(*, scope: Scope, customer: list[str] | None = None) -> dict:
    """Open (not closed) alarms by severity and state, and unacknowledged ones."""
    severity = dict.fromkeys(("warning", "alert", "danger"), 0)
    state = {"active": 0, "cleared": 0, "unacknowledged": 0}
    rows = open_alarm_counts(
        scope=scope, customer=customer, by=("severity", "state", "acknowledged")
    )
    for row in rows:
        state[row["state"]] = state.get(row["state"], 0) + row["n"]
        if row["state"] == "active":
            severity[row["severity"]] = severity.get(row["severity"], 0) + row["n"]
        if not row["acknowledged"]:
            state["unacknowledged"] += row["n"]
    return {"active_by_severity": severity, "open_by_state": state,
            "open": state["active"] + state["cleared"]}  # fmt: skip


def rule_list(*, scope: Scope) -> list[dict]:
    """Rule overrides (staff only: the view refuses others)."""
    return list(collection(AlarmRule).find({}).sort([("rule_type", 1), ("scope", 1)]))


def rule_get(*, scope: Scope, rule_id) -> dict | None:
    """One rule override, or None."""
    return collection(AlarmRule).find_one({"_id": rule_id})


def audit_page(*, scope: Scope, limit: int, position=None, newer: bool = False) -> list[dict]:
    """Up to ``limit`` audit entries past an (at, id) position, newest first (oldest first with
    ``newer``): one range on the (-at, -_id) index per page, however long the trail grows."""
    low, high, conditions = TIME_MIN, TIME_MAX, {"customer": scope.condition()}
    if position is not None:
        at, pk = position
        if newer:
            low = at
            conditions["$or"] = [{"at": {"$gt": at}}, {"_id": {"$gt": pk}}]
        else:
            high = at
            conditions["$or"] = [{"at": {"$lt": at}}, {"_id": {"$lt": pk}}]
    return windowed_page(
        AuditEvent,
        "at",
        low=low,
        high=high,
        newer=newer,
        conditions=conditions,
        index_keys=(),
        limit=limit,
        windows=SPARSE_WINDOWS,
    )


def rule_preview(*, scope: Scope, rule: dict, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """The zone or baseline alarms ``rule`` would have raised on stored readings in [start, end].

    Replays each covered bearing's readings in capture order through the pure rule, from no
    alarm; raises ValueError for rule types that need live state (trend, stale, ingestion).
    """
    from monitoring.alarms import rules
    from monitoring.models import Bearing, Machine, Reading

    if rule["rule_type"] not in (rules.ZONE, rules.BASELINE):
        raise ValueError("Preview replays zone and baseline rules only.")
    params = rules.params_for(rule["rule_type"], rule.get("params"))
    machines = {m["_id"]: m for m in collection(Machine).find(
        {}, {"iso_group": 1, "foundation": 1, "machine_type": 1, "customer": 1}
    )}  # fmt: skip
    bearings = [b for b in collection(Bearing).find({}, {"machine_id": 1})
                if _covers(rule, machines.get(b["machine_id"], {}), b)][:200]  # fmt: skip
    found = []
    for bearing in bearings:
        machine = machines.get(bearing["machine_id"], {})
        if not scope.allows(machine.get("customer")):
            continue
        docs = collection(Reading).find(
            {"bearing_id": bearing["_id"], "timestamp": {"$gte": start, "$lte": end}},
            {"timestamp": 1, "velocity.rms": 1},
        )
        series = sorted((d["timestamp"], d["velocity"]["rms"]) for d in docs)
        found += _replay(rule["rule_type"], params, bearing["_id"], machine, series)
    return found


def _covers(rule: dict, machine: dict, bearing: dict) -> bool:
    scope, target = rule["scope"], rule.get("target", "")
    return (scope == "fleet" or (scope == "machine_type" and machine.get("machine_type") == target)
            or (scope == "machine" and str(bearing["machine_id"]) == target)
            or (scope == "bearing" and str(bearing["_id"]) == target))  # fmt: skip


def _replay(rule_type: str, params: dict, bearing_id, machine: dict, series: list) -> list[dict]:
    from monitoring.alarms import rules

    limits = rules.boundaries(machine.get("iso_group", 2), machine.get("foundation", "rigid"))
    base = rules.baseline_median([v for _, v in series[: int(params.get("samples", 10))]])
    out, active, recent = [], None, []
    for at, value in series:
        recent = [*recent, value][-5:]
        if rule_type == rules.ZONE:
            severity = rules.zone_step(recent, active=active, limits=limits, params=params).severity
        else:
            threshold = rules.velocity_baseline_threshold(base, limits=limits, params=params)
            severity = rules.WARNING if value > threshold else None
        if severity and not active:
            out.append({"bearing_id": bearing_id, "subject": f"{bearing_id}:{rule_type}",
                        "severity": severity, "raised_at": at, "cleared_at": None})  # fmt: skip
        elif severity and out:
            out[-1]["severity"] = rules.worse(out[-1]["severity"], severity)
        elif active and not severity and out:
            out[-1]["cleared_at"] = at
        active = severity
    return out
