"""Alarm writes: evaluate stored readings against the rules, the stale check, baseline resets.

Ingestion calls :func:`alarms_evaluate` once per committed batch. A batch costs a handful of
queries whatever its size: the bearings' baselines (evaluation state), their machines, the
rule overrides and their active alarms, the hourly rollups of the bearings due a trend check,
one bulk write of the state, and one write per lifecycle step (rare). Readings are evaluated
per bearing in capture order; a reading older than one already evaluated, or captured more
than 7 days before it arrived, is stored but raises nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

from bson import ObjectId
from pymongo import UpdateOne

from monitoring import clock, indicators
from monitoring.alarms import rules
from monitoring.alarms.lifecycle import (
    Change,
    Signal,
    alarm_signal,
    audit_record,
    iso,
    machine_alarm_counts_refresh,
    subject_key,
)
from monitoring.alarms.models import Alarm, AlarmRule, AuditEvent, Baseline
from monitoring.models import Bearing, BearingHourlyRollup, Machine, Reading
from monitoring.mongo import collection, path_value, utc

VELOCITY = "velocity.rms"
#: Recent velocities kept per bearing: enough for the longest zone window.
RECENT_KEPT = 5


def rules_resolve(rule_type: str, *, machine: Mapping, bearing_id, overrides: list[dict]):
    """(rule id, parameters, enabled) of a rule type for a bearing: the most specific override."""
    targets = {
        AlarmRule.Scope.BEARING: str(bearing_id),
        AlarmRule.Scope.MACHINE: str(machine.get("_id")),
        AlarmRule.Scope.MACHINE_TYPE: machine.get("machine_type", ""),
        AlarmRule.Scope.FLEET: "",
    }
    for scope, target in targets.items():
        for rule in overrides:
            if (
                rule["rule_type"] == rule_type
                and rule["scope"] == scope
                and rule["target"] == target
            ):
                params = rules.params_for(rule_type, rule.get("params"))
                return str(rule["_id"]), params, rule.get("enabled", True)
    return "", rules.params_for(rule_type, None), True


def _limits(machine: Mapping) -> tuple[float, float, float]:
    return rules.boundaries(machine.get("iso_group", 2), machine.get("foundation", "rigid"))


def _ratio_indicators(params: Mapping) -> list[str]:
    """The ratio indicators the catalogue has (envelope ones join when ingestion stores them)."""
    return [name for name in params["ratio_indicators"] if name in indicators.BY_NAME]


class _BearingEvaluation:
    """One bearing's readings of a batch, in capture order, against its rules and state."""

    def __init__(self, *, bearing_id, machine: Mapping, state: dict, active: dict,
                 overrides: list[dict], now: dt.datetime) -> None:  # fmt: skip
        self.bearing_id, self.machine, self.state = bearing_id, machine, state
        self.active, self.overrides, self.now = active, overrides, now
        self.limits = _limits(machine)
        self.signals: list[Signal] = []
        self.worst: dict[str, Signal] = {}  # subject -> its batch's worst value, same severity
        self._rules: dict[str, tuple] = {}

    def rule(self, rule_type: str):
        """The bearing's rule of a type (resolved once per batch: rules do not change in one)."""
        if rule_type not in self._rules:
            self._rules[rule_type] = rules_resolve(
                rule_type, machine=self.machine, bearing_id=self.bearing_id,
                overrides=self.overrides,
            )  # fmt: skip
        return self._rules[rule_type]

    def owner(self) -> dict:
        m = self.machine
        return {"customer": m.get("customer", ""), "area": m.get("area", ""),
                "machine_id": m.get("_id"), "bearing_id": self.bearing_id}  # fmt: skip

    def emit(self, rule_type: str, rule_key: str, rule_id: str, severity, reading, *,
             value=None, evidence: Mapping) -> None:  # fmt: skip
        """Queue a verdict when it changes something (a raise, a move, a clear, a worse value).

        The evidence gets the reading's time ("at") only here, for a verdict that is queued:
        most readings of a healthy bearing change nothing, and every reading is evaluated.
        """
        subject = subject_key(self.bearing_id, rule_key)
        current = self.active.get(subject)
        if severity is None and current is None:
            return
        same = severity is not None and current is not None and severity == current["severity"]
        if same:
            worst = current.get("worst_value")
            if value is None or (worst is not None and value <= worst):
                return
        signal = Signal(
            subject=subject, rule_type=rule_type, rule_id=rule_id, severity=severity,
            at=utc(reading["timestamp"]), owner=self.owner(),
            evidence={**evidence, "at": iso(reading["timestamp"])},
            reading_id=reading["_id"], value=value,
        )  # fmt: skip
        if same:
            # Only a worse value: one write per subject and batch, with the batch's worst.
            self.worst[subject] = signal
        else:
            self.worst.pop(subject, None)
            self.signals.append(signal)
        if severity is None:
            self.active.pop(subject, None)
        else:
            self.active[subject] = {"severity": severity, "worst_value": max(
                v for v in (value, (current or {}).get("worst_value"), -math.inf) if v is not None
            )}  # fmt: skip

    def reading(self, reading: Mapping) -> None:
        """Evaluate one reading (already known valid and in order)."""
        value = path_value(reading, ("velocity", "rms"))
        self.state["recent"] = [*self.state.get("recent", []), value][-RECENT_KEPT:]
        self.state["evaluated_until"] = reading["timestamp"]
        self.emit_stale_clear(reading)
        self.zone(reading, value)
        self.baseline(reading)

    def emit_stale_clear(self, reading) -> None:
        self.emit(rules.STALE, rules.STALE, "", None, reading, evidence={})

    def zone(self, reading, value: float) -> None:
        rule_id, params, enabled = self.rule(rules.ZONE)
        subject = subject_key(self.bearing_id, rules.ZONE)
        active = (self.active.get(subject) or {}).get("severity")
        decision = rules.zone_step(
            self.state["recent"], active=active, limits=self.limits, params=params
        )
        severity = decision.severity if enabled else None
        evidence = {"value": value, "threshold": decision.threshold, "zone": decision.zone,
                    "unit": "mm/s", "indicator": VELOCITY}  # fmt: skip
        self.emit(rules.ZONE, rules.ZONE, rule_id, severity, reading, value=value,
                  evidence=evidence)  # fmt: skip

    def baseline(self, reading) -> None:
        rule_id, params, enabled = self.rule(rules.BASELINE)
        names = [VELOCITY, *_ratio_indicators(params)]
        values = self.state.get("values") or {}
        if not values:
            self.baseline_collect(reading, names, int(params["samples"]))
            return
        for name in names:
            value, base = path_value(reading, tuple(name.split("."))), values.get(name)
            if value is None or base is None:
                continue
            if name == VELOCITY:
                threshold = rules.velocity_baseline_threshold(base, limits=self.limits,
                                                              params=params)  # fmt: skip
                severity = rules.WARNING if value > threshold else None
            else:
                severity, threshold = rules.ratio_severity(value, base, params)
            evidence = {"value": value, "threshold": threshold, "baseline": base,
                        "indicator": name, "unit": indicators.BY_NAME[name].unit}  # fmt: skip
            self.emit(rules.BASELINE, f"{rules.BASELINE}:{name}", rule_id,
                      severity if enabled else None, reading, value=value,
                      evidence=evidence)  # fmt: skip

    def baseline_collect(self, reading, names: list[str], wanted: int) -> None:
        samples = self.state.setdefault("samples", {})
        for name in names:
            value = path_value(reading, tuple(name.split(".")))
            if value is not None and math.isfinite(value):
                samples.setdefault(name, []).append(value)
        self.state["reading_ids"] = [*self.state.get("reading_ids", []), reading["_id"]]
        if len(self.state["reading_ids"]) >= wanted:
            self.state["values"] = {n: rules.baseline_median(v) for n, v in samples.items()}
            self.state["established_at"] = reading["timestamp"]

    def trend_window(self, latest: Mapping) -> tuple[dt.datetime, dt.datetime] | None:
        """The (since, until) hours the trend rule reads now; None when not due (it runs at
        most every few hours of capture time)."""
        _rule_id, params, _enabled = self.rule(rules.TREND)
        at = utc(latest["timestamp"])
        checked = utc(self.state.get("trend_checked_at"))
        if checked is not None and at - checked < dt.timedelta(hours=params["every_hours"]):
            return None
        self.state["trend_checked_at"] = at
        return at - dt.timedelta(days=params["window_days"]), at

    def trend(self, latest: Mapping, points: list) -> None:
        """Project velocity RMS ((hour, mean) points of the window) onto the C/D boundary."""
        rule_id, params, enabled = self.rule(rules.TREND)
        limit = self.limits[2]
        at = utc(latest["timestamp"])
        crossing = rules.trend_crossing(points, limit=limit, now=at, params=params)
        severity = rules.WARNING if crossing is not None and enabled else None
        evidence = {"indicator": VELOCITY, "threshold": limit, "unit": "mm/s",
                    "projected_at": iso(crossing), "points": len(points)}  # fmt: skip
        self.emit(rules.TREND, rules.TREND, rule_id, severity, latest, evidence=evidence)


def _hourly_velocity(windows: Mapping) -> dict:
    """(hour, mean velocity RMS) of each bearing in its (since, until) window, oldest first,
    from the hourly rollups: one query for every bearing of a batch."""
    points: dict = {bearing_id: [] for bearing_id in windows}
    if not windows:
        return points
    docs = collection(BearingHourlyRollup).find(
        {"bearing_id": {"$in": list(windows)},
         "hour": {"$gte": min(w[0] for w in windows.values()),
                  "$lte": max(w[1] for w in windows.values())}},
        {"bearing_id": 1, "hour": 1, "velocity_rms": 1},
    )  # fmt: skip
    for doc in docs:
        since, until = windows[doc["bearing_id"]]
        hour, agg = utc(doc["hour"]), doc.get("velocity_rms") or {}
        if since <= hour <= until and agg.get("count"):
            points[doc["bearing_id"]].append((hour, agg["sum"] / agg["count"]))
    return {bearing_id: sorted(p) for bearing_id, p in points.items()}


def _evaluable(readings: Iterable[Mapping], now: dt.datetime) -> dict:
    """Valid, timely readings grouped by bearing, each group in capture order."""
    groups: dict = defaultdict(list)
    for r in readings:
        value = path_value(r, ("velocity", "rms"))
        if value is None or not math.isfinite(value):
            continue
        arrived = utc(r.get("ingested_at")) or now
        if arrived - utc(r["timestamp"]) > rules.BACKFILL_LIMIT:
            continue
        groups[r["bearing_id"]].append(r)
    for group in groups.values():
        group.sort(key=lambda r: utc(r["timestamp"]))
    return groups


STATE_FIELDS = ("reading_ids", "samples", "values", "established_at", "recent",
                "evaluated_until", "trend_checked_at")  # fmt: skip


def alarms_evaluate(*, readings: list[dict], now: dt.datetime | None = None) -> list[Change]:
    """Evaluate newly stored readings against every rule; apply and return the alarm changes."""
    now = now or clock.now()
    groups = _evaluable(readings, now)
    if not groups:
        return []
    bearing_ids = list(groups)
    states = {
        d["bearing_id"]: d for d in collection(Baseline).find({"bearing_id": {"$in": bearing_ids}})
    }
    machine_ids = list({g[0]["machine_id"] for g in groups.values()})
    machines = {m["_id"]: m for m in collection(Machine).find(
        {"_id": {"$in": machine_ids}},
        {"customer": 1, "area": 1, "machine_type": 1, "iso_group": 1, "foundation": 1},
    )}  # fmt: skip
    overrides = list(collection(AlarmRule).find({}))
    active = _active_alarms(bearing_ids)
    evaluations: list[tuple[_BearingEvaluation, dict]] = []
    for bearing_id, group in groups.items():
        state = {k: v for k, v in states.get(bearing_id, {}).items() if k in STATE_FIELDS}
        until = utc(state.get("evaluated_until"))
        fresh = [r for r in group if until is None or utc(r["timestamp"]) > until]
        if not fresh:
            continue
        machine = machines.get(fresh[0]["machine_id"], {"_id": fresh[0]["machine_id"]})
        evaluation = _BearingEvaluation(bearing_id=bearing_id, machine=machine, state=state,
                                        active=active, overrides=overrides, now=now)  # fmt: skip
        for reading in fresh:
            evaluation.reading(reading)
        evaluations.append((evaluation, fresh[-1]))
    signals = _trends_and_signals(evaluations)  # the trend rule updates the states too
    # An upsert costs ~4x an update on SecantusDB: only a bearing's first batch needs one.
    writes = [UpdateOne({"bearing_id": e.bearing_id}, {"$set": e.state},
                        upsert=e.bearing_id not in states) for e, _ in evaluations]  # fmt: skip
    if writes:
        collection(Baseline).bulk_write(writes, ordered=False)
    return _apply(signals)


def _trends_and_signals(evaluations: list[tuple[_BearingEvaluation, dict]]) -> list[Signal]:
    """Run the trend rule where due (one rollup query for all), then collect every verdict."""
    windows = {}
    for evaluation, latest in evaluations:
        window = evaluation.trend_window(latest)
        if window is not None:
            windows[evaluation.bearing_id] = window
    points = _hourly_velocity(windows)
    signals: list[Signal] = []
    for evaluation, latest in evaluations:
        if evaluation.bearing_id in points:
            evaluation.trend(latest, points[evaluation.bearing_id])
        signals += [*evaluation.signals, *evaluation.worst.values()]
    return signals


def alarms_catch_up(*, now: dt.datetime | None = None) -> list[Change]:
    """Evaluate stored readings no evaluation saw (a process that died between a batch's
    commit and its evaluation): per bearing, those after its ``evaluated_until`` and within
    the backfill limit (older ones raise nothing anyway). Run under the ingestion lock."""
    now = now or clock.now()
    since = now - rules.BACKFILL_LIMIT
    until = {d["bearing_id"]: utc(d.get("evaluated_until")) for d in collection(Baseline).find(
        {}, {"bearing_id": 1, "evaluated_until": 1})}  # fmt: skip
    readings: list[dict] = []
    # The last_reading_at index: bearings heard from within the limit.
    for bearing in collection(Bearing).find({"last_reading_at": {"$gte": since}},
                                            {"last_reading_at": 1}):  # fmt: skip
        done = until.get(bearing["_id"])
        if done is not None and utc(bearing["last_reading_at"]) <= done:
            continue
        start = max(since, done) if done is not None else since
        readings += collection(Reading).find(
            {"bearing_id": bearing["_id"], "timestamp": {"$gt": start}}
        )
    return alarms_evaluate(readings=readings, now=now) if readings else []


def _apply(signals: list[Signal]) -> list[Change]:
    changes = [c for c in map(alarm_signal, signals) if c is not None]
    if changes:
        machine_alarm_counts_refresh(c.machine_id for c in changes)
    return changes


def _active_alarms(bearing_ids: list) -> dict:
    """subject -> active alarm (severity, worst value) of these bearings, one indexed query."""
    keys = [subject_key(b, k) for b in bearing_ids for k in _rule_keys()]
    return {
        d["open_key"]: d
        for d in collection(Alarm).find(
            {"open_key": {"$in": keys}}, {"open_key": 1, "severity": 1, "worst_value": 1}
        )
    }


def _rule_keys() -> list[str]:
    ratio = rules.DEFAULT_PARAMS[rules.BASELINE]["ratio_indicators"]
    return [rules.ZONE, rules.TREND, rules.STALE,
            *(f"{rules.BASELINE}:{n}" for n in [VELOCITY, *ratio])]  # fmt: skip


def baseline_reset(*, bearing_id: ObjectId, actor: str) -> None:
    """Start a new baseline (after a repair): the next valid readings become the reference."""
    before = collection(Baseline).find_one({"bearing_id": bearing_id}) or {}
    fields = {"reading_ids": [], "samples": {}, "values": {}, "established_at": None,
              "reset_at": clock.now(), "reset_by": actor}  # fmt: skip
    collection(Baseline).update_one({"bearing_id": bearing_id}, {"$set": fields}, upsert=True)
    bearing = collection(Bearing).find_one({"_id": bearing_id}, {"customer": 1}) or {}
    audit_record(actor=actor, action="baseline_reset", object_type="bearing",
                 object_id=bearing_id, customer=bearing.get("customer", ""),
                 before={"values": before.get("values") or {}}, after={"values": {}})  # fmt: skip


INGESTION_SUBJECT = "ingestion"


def _ingestion_outage_active() -> bool:
    return collection(Alarm).find_one({"open_key": INGESTION_SUBJECT}, {"_id": 1}) is not None


def alarms_stale_check(*, now: dt.datetime | None = None) -> list[Change]:
    """Raise or escalate stale-sensor alarms of bearings silent for 36 h (warning) / 72 h.

    Reads only bearings silent past the shortest threshold (the ``last_reading_at`` index).
    While the ingestion outage alarm is active, no stale alarm is raised or escalated: the
    outage explains the silence (inhibition). A bearing's next valid reading clears its alarm.
    """
    now = now or clock.now()
    if _ingestion_outage_active():
        return []
    warning_hours = rules.DEFAULT_PARAMS[rules.STALE]["warning_hours"]
    overrides = list(collection(AlarmRule).find({"rule_type": rules.STALE}))
    shortest = min([warning_hours, *(o.get("params", {}).get("warning_hours", warning_hours)
                                     for o in overrides)])  # fmt: skip
    silent = list(collection(Bearing).find(
        {"last_reading_at": {"$lte": now - dt.timedelta(hours=shortest)}},
        {"machine_id": 1, "last_reading_at": 1, "last_reading_id": 1},
    ))  # fmt: skip
    machine_ids = list({b["machine_id"] for b in silent})
    machines = {m["_id"]: m for m in collection(Machine).find(
        {"_id": {"$in": machine_ids}},
        {"customer": 1, "area": 1, "machine_type": 1},
    )} if machine_ids else {}  # fmt: skip
    signals = []
    for bearing in silent:
        machine = machines.get(bearing["machine_id"], {"_id": bearing["machine_id"]})
        rule_id, params, enabled = rules_resolve(
            rules.STALE, machine=machine, bearing_id=bearing["_id"], overrides=overrides
        )
        last = utc(bearing["last_reading_at"])
        severity = rules.stale_severity(last, now=now, params=params) if enabled else None
        owner = {"customer": machine.get("customer", ""), "area": machine.get("area", ""),
                 "machine_id": bearing["machine_id"], "bearing_id": bearing["_id"]}  # fmt: skip
        hours = (now - last).total_seconds() / 3600
        threshold = params["alert_hours"] if severity == rules.ALERT else params["warning_hours"]
        signals.append(Signal(
            subject=subject_key(bearing["_id"], rules.STALE), rule_type=rules.STALE,
            rule_id=rule_id, severity=severity, at=now, owner=owner,
            evidence={"value": round(hours, 1), "threshold": threshold, "unit": "h",
                      "last_reading_at": iso(last)},
            reading_id=bearing.get("last_reading_id"),
        ))  # fmt: skip
    return _apply(signals)


def alarms_ingestion_outcome(*, failed: bool, vendor_unreachable: bool, error: str = "",
                             now: dt.datetime | None = None) -> list[Change]:  # fmt: skip
    """After an ingestion run: raise the outage alarm when the vendor was unreachable, clear it
    when a run completed (a run that failed otherwise leaves it as it is)."""
    now = now or clock.now()
    if vendor_unreachable:
        severity = rules.ALERT
    elif not failed:
        severity = None
    else:
        return []
    signal = Signal(subject=INGESTION_SUBJECT, rule_type=rules.INGESTION, rule_id="",
                    severity=severity, at=now, owner={},
                    evidence={"error": error[:500]})  # fmt: skip
    return _apply([signal])


def alarms_after_run(*, started_at: dt.datetime, failed: bool, vendor_unreachable: bool,
                     error: str = "") -> int:  # fmt: skip
    """After an ingestion run: the outage alarm, then one digest per customer of what the run
    changed (read back from the audit trail: batches were evaluated on the writer thread)."""
    from monitoring.alarms.digest import digests_send

    alarms_ingestion_outcome(failed=failed, vendor_unreachable=vendor_unreachable, error=error)
    return digests_send(changes=changes_since(started_at))


def changes_since(since: dt.datetime) -> list[Change]:
    """The system's alarm steps audited since a time, as changes (the (-at, -_id) index)."""
    kinds = {"raise": "new", "reopen": "reopened", "escalate": "escalated", "clear": "cleared"}
    events = collection(AuditEvent).find(
        {"at": {"$gte": since}}, {"action": 1, "object_id": 1, "object_type": 1}
    )
    wanted = [e for e in events if e["object_type"] == "alarm" and e["action"] in kinds]
    ids = list({ObjectId(e["object_id"]) for e in wanted})
    alarms = {a["_id"]: a for a in collection(Alarm).find(
        {"_id": {"$in": ids}}, {"customer": 1, "machine_id": 1, "severity": 1, "subject": 1}
    )} if ids else {}  # fmt: skip
    changes = []
    for e in wanted:
        a = alarms.get(ObjectId(e["object_id"]))
        if a is not None:
            changes.append(Change(kinds[e["action"]], a["_id"], a.get("customer", ""),
                                  a.get("machine_id"), a["severity"], a["subject"]))  # fmt: skip
    return changes


RULE_FIELDS = ("rule_type", "scope", "target", "enabled", "params")


def rule_save(*, actor: str, fields: Mapping, rule_id: ObjectId | None = None) -> dict:
    """Create or replace a rule override; audited with before and after."""
    from pymongo.errors import DuplicateKeyError

    from monitoring.alarms.lifecycle import Conflict

    values = {k: fields[k] for k in RULE_FIELDS if k in fields}
    values["updated_at"] = clock.now()
    rules_coll = collection(AlarmRule)
    before = rules_coll.find_one({"_id": rule_id}) if rule_id is not None else None
    try:
        if rule_id is None:
            rule_id = rules_coll.insert_one(values).inserted_id
        else:
            rules_coll.update_one({"_id": rule_id}, {"$set": values})
    except DuplicateKeyError:
        raise Conflict("An override for this rule type, scope and target exists.") from None
    after = rules_coll.find_one({"_id": rule_id})
    audit_record(actor=actor, action="rule_change" if before else "rule_create",
                 object_type="alarm_rule", object_id=rule_id,
                 before={k: (before or {}).get(k) for k in RULE_FIELDS},
                 after={k: after.get(k) for k in RULE_FIELDS})  # fmt: skip
    return after
