"""Alarm lifecycle writes: raise, escalate, clear, reopen, with audit, safe under concurrency.

One active alarm per subject (bearing and rule) is held by the FULL unique index on
``open_key``: an active alarm's key is its subject, a cleared or closed one's is ``~`` + its
id. Two evaluators raising the same subject at the same moment both try to insert; the loser's
insert collides and it updates the winner's alarm instead, so there is never a duplicate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bson import ObjectId
from django.conf import settings
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from monitoring import clock
from monitoring.alarms import rules
from monitoring.alarms.models import Alarm, AuditEvent
from monitoring.models import Machine
from monitoring.mongo import collection
from monitoring.services import data_version_bump

SYSTEM = "system"
#: How often a raise retries after losing a race on the unique key (each loss means another
#: writer just changed the alarm, so one more round sees it).
_RACE_ROUNDS = 5


@dataclass(frozen=True)
class Change:
    """One lifecycle step, what digests and metrics report."""

    kind: str  # new, reopened, escalated, deescalated, cleared
    alarm_id: ObjectId
    customer: str
    machine_id: ObjectId | None
    severity: str
    subject: str


@dataclass(frozen=True)
class Signal:
    """What a rule asks of a subject: a severity (None: the condition is gone) with evidence."""

    subject: str
    rule_type: str
    rule_id: str
    severity: str | None
    at: dt.datetime
    owner: Mapping  # customer, area, machine_id, bearing_id
    evidence: Mapping
    reading_id: ObjectId | None = None
    value: float | None = None


def subject_key(bearing_id, rule_key: str) -> str:
    """The subject of a bearing's alarm under one rule (and indicator)."""
    return f"{bearing_id}:{rule_key}"


def audit_record(
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id,
    customer: str = "",
    before: Mapping | None = None,
    after: Mapping | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Append one audit entry (never updated or deleted)."""
    collection(AuditEvent).insert_one({
        "at": at or clock.now(), "actor": actor, "action": action, "object_type": object_type,
        "object_id": str(object_id), "customer": customer or "",
        "before": dict(before or {}), "after": dict(after or {}),
    })  # fmt: skip


def iso(value: dt.datetime | None) -> str | None:
    """A time inside a JSON field (history, comments, evidence, audit), as ISO 8601 UTC text:
    JSON fields hold plain JSON, which the ORM (and the admin) can load back."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _step(kind: str, doc: Mapping, severity: str, at: dt.datetime, actor: str = SYSTEM) -> dict:
    return {"at": iso(at), "step": kind, "severity": severity, "by": actor}


def _change(kind: str, doc: Mapping, severity: str) -> Change:
    return Change(kind, doc["_id"], doc.get("customer", ""), doc.get("machine_id"), severity,
                  doc["subject"])  # fmt: skip


class Moved(Exception):
    """The alarm changed since it was read (its revision moved on): re-read and retry."""


def cas_update(doc: Mapping, update: dict) -> dict:
    """Apply ``update`` if ``doc`` is still the stored revision; the new document, else Moved.

    The filter is the one indexed ``revision`` field (``id:version``), so the compare-and-set
    is a single index lookup on SecantusDB too.
    """
    version = doc["version"] + 1
    update = {**update, "$set": {**update.get("$set", {}), "version": version,
                                 "revision": f"{doc['_id']}:{version}"}}  # fmt: skip
    updated = collection(Alarm).find_one_and_update(
        {"revision": doc["revision"]}, update, return_document=ReturnDocument.AFTER
    )
    if updated is None:
        raise Moved(str(doc["_id"]))
    return updated


def alarm_signal(signal: Signal) -> Change | None:
    """Apply a rule's verdict to its subject: raise, reopen, escalate, de-escalate or clear."""
    for _ in range(_RACE_ROUNDS):
        try:
            if signal.severity is None:
                return _clear(signal.subject, at=signal.at, reading_id=signal.reading_id)
            active = collection(Alarm).find_one({"open_key": signal.subject})
            if active is not None:
                return _update_active(active, signal)
            return _reopen(signal) or _insert(signal)
        except (DuplicateKeyError, Moved):
            continue  # another writer changed the subject just now: look again
    raise RuntimeError(f"alarm {signal.subject} kept changing under {_RACE_ROUNDS} attempts")


def _insert(signal: Signal) -> Change:
    owner = signal.owner
    doc = {
        "_id": ObjectId(), "customer": owner.get("customer", ""), "area": owner.get("area", ""),
        "machine_id": owner.get("machine_id"), "bearing_id": owner.get("bearing_id"),
        "rule_type": signal.rule_type, "rule_id": signal.rule_id, "subject": signal.subject,
        "open_key": signal.subject, "severity": signal.severity, "state": Alarm.State.ACTIVE,
        "acknowledged": False, "closed": False, "resolution": "", "raised_at": signal.at,
        "updated_at": signal.at, "acknowledged_at": None, "acknowledged_by": "",
        "cleared_at": None, "cleared_by": "", "closed_at": None, "closed_by": "",
        "assignee": "", "trigger_reading_id": signal.reading_id,
        "worst_reading_id": signal.reading_id, "worst_value": signal.value,
        "evidence": dict(signal.evidence), "occurrences": 1, "comments": [], "version": 1,
    }  # fmt: skip
    doc["revision"] = f"{doc['_id']}:1"
    doc["history"] = [_step("raised", doc, signal.severity, signal.at)]
    collection(Alarm).insert_one(doc)
    _audit(doc, "raise", after={"severity": signal.severity, "state": "active"}, at=signal.at)
    return _change("new", doc, signal.severity)


def _reopen(signal: Signal) -> Change | None:
    """Reactivate the subject's alarm that cleared within ALARM_REOPEN_MINUTES, if any."""
    since = signal.at - dt.timedelta(minutes=settings.ALARM_REOPEN_MINUTES)
    # (subject, -cleared_at) index: the subject and the range, nothing else in the filter.
    recent = collection(Alarm).find({"subject": signal.subject, "cleared_at": {"$gte": since}})
    candidates = [d for d in recent if not d.get("closed") and d["state"] == "cleared"]
    if not candidates:
        return None
    doc = max(candidates, key=lambda d: d["cleared_at"])
    # DuplicateKeyError when another evaluator raised the subject meanwhile, Moved when
    # someone closed this alarm: either way the caller looks again.
    updated = cas_update(doc, {
        "$set": {"open_key": signal.subject, "state": Alarm.State.ACTIVE,
                 "severity": signal.severity, "updated_at": signal.at,
                 "cleared_at": None, "cleared_by": "", "evidence": dict(signal.evidence)},
        "$inc": {"occurrences": 1},
        "$push": {"history": _step("reopened", doc, signal.severity, signal.at)},
    })  # fmt: skip
    _audit(updated, "reopen", before={"state": "cleared"},
           after={"state": "active", "severity": signal.severity}, at=signal.at)  # fmt: skip
    return _change("reopened", updated, signal.severity)


def _update_active(doc: Mapping, signal: Signal) -> Change | None:
    """Escalate or de-escalate in place; keep the worst reading. None when nothing moved."""
    fields: dict = {}
    if signal.value is not None and (
        doc.get("worst_value") is None or signal.value > doc["worst_value"]
    ):
        fields.update(worst_value=signal.value, worst_reading_id=signal.reading_id)
    moved = signal.severity != doc["severity"]
    if not fields and not moved:
        return None
    update: dict = {"$set": {**fields, "updated_at": signal.at}}
    if moved:
        update["$set"].update(severity=signal.severity, evidence=dict(signal.evidence))
        up = rules.SEVERITY_RANK[signal.severity] > rules.SEVERITY_RANK[doc["severity"]]
        kind = "escalated" if up else "deescalated"
        update["$push"] = {"history": _step(kind, doc, signal.severity, signal.at)}
    cas_update(doc, update)
    if not moved:
        return None
    _audit(doc, kind[:-1], before={"severity": doc["severity"]},
           after={"severity": signal.severity}, at=signal.at)  # fmt: skip
    return _change(kind, doc, signal.severity)


def _clear(subject: str, *, at: dt.datetime, reading_id=None, actor: str = SYSTEM) -> Change | None:
    """The condition is gone: the active alarm of the subject clears (releases its key)."""
    doc = collection(Alarm).find_one({"open_key": subject})
    if doc is None:
        return None
    cas_update(doc, _clearing(doc, at=at, actor=actor, reading_id=reading_id))
    _audit(doc, "clear", before={"state": "active"}, after={"state": "cleared"}, at=at, actor=actor)
    return _change("cleared", doc, doc["severity"])


def _clearing(doc: Mapping, *, at: dt.datetime, actor: str, reading_id=None) -> dict:
    """The update that clears an active alarm and releases its subject's key."""
    return {
        "$set": {"state": Alarm.State.CLEARED, "open_key": f"~{doc['_id']}",
                 "cleared_at": at, "cleared_by": actor, "updated_at": at},
        "$push": {"history": {**_step("cleared", doc, doc["severity"], at, actor),
                              "reading_id": reading_id}},
    }  # fmt: skip


def _audit(doc: Mapping, action: str, *, before=None, after=None, at=None, actor=SYSTEM) -> None:
    """Audit a step when it is written (wall clock); ``at``, the event's time, goes in ``after``."""
    after = {**(after or {}), **({"event_at": iso(at)} if at is not None else {})}
    audit_record(
        actor=actor, action=action, object_type="alarm", object_id=doc["_id"],
        customer=doc.get("customer", ""), before=before, after=after,
    )  # fmt: skip


def machine_alarm_counts_refresh(machine_ids: Iterable) -> None:
    """Recompute machines' denormalized active alarms by severity (lists stay one find)."""
    machines = collection(Machine)
    machine_ids = {m for m in machine_ids if m is not None}
    for machine_id in machine_ids:
        counts = dict.fromkeys(rules.SEVERITIES, 0)
        # The (machine_id, state) index serves this exactly.
        for doc in collection(Alarm).find(
            {"machine_id": machine_id, "state": Alarm.State.ACTIVE}, {"severity": 1}
        ):
            counts[doc["severity"]] = counts.get(doc["severity"], 0) + 1
        machines.update_one(
            {"_id": machine_id},
            {"$set": {"open_alarms": counts, "open_alarm_count": sum(counts.values())}},
        )
    if machine_ids:  # the KPIs count them: cached answers must not outlive the change
        data_version_bump()


# --- People's actions (API, admin) -------------------------------------------------------------

ACTIONS = ("ack", "clear", "close", "assign", "comment")


class Conflict(Exception):
    """The alarm is not in the state (or version) the action expects: HTTP 409."""


def _allowed(doc: Mapping, action: str) -> str | None:
    """Why ``action`` cannot apply to the alarm as stored (None: it can)."""
    if doc.get("closed") and action != "comment":
        return "The alarm is closed."
    if action == "ack" and doc.get("acknowledged"):
        return "The alarm is already acknowledged."
    if action == "clear" and doc["state"] != Alarm.State.ACTIVE:
        return "The alarm is not active."
    return None


def _action_update(doc: Mapping, action: str, actor: str, now: dt.datetime, **args) -> dict:
    if action == "ack":
        return {
            "$set": {"acknowledged": True, "acknowledged_at": now, "acknowledged_by": actor},
            "$push": {"history": _step("acknowledged", doc, doc["severity"], now, actor)},
        }
    if action == "clear":
        return _clearing(doc, at=now, actor=actor)
    if action == "close":
        update = (
            _clearing(doc, at=now, actor=actor)
            if doc["state"] == "active"
            else {
                "$set": {},
                "$push": {"history": _step("closed", doc, doc["severity"], now, actor)},
            }
        )
        update["$set"].update(
            closed=True,
            closed_at=now,
            closed_by=actor,
            resolution=args["resolution"],
            open_key=f"~{doc['_id']}",
        )
        return update
    if action == "assign":
        return {
            "$set": {"assignee": args["assignee"]},
            "$push": {
                "history": {
                    **_step("assigned", doc, doc["severity"], now, actor),
                    "assignee": args["assignee"],
                }
            },
        }
    return {"$push": {"comments": {"at": iso(now), "by": actor, "text": args["text"]}}}


def alarm_act(*, alarm_id: ObjectId, action: str, actor: str, expected_version: int,
              **args) -> dict:  # fmt: skip
    """A person's step on an alarm, compare-and-set on its version; the alarm after it.

    Raises LookupError for an unknown alarm and Conflict when the alarm moved on (another
    version) or its state does not allow the action. Every step is audited.
    """
    doc = collection(Alarm).find_one({"_id": alarm_id})
    if doc is None:
        raise LookupError(str(alarm_id))
    if doc["version"] != expected_version:
        raise Conflict(f"The alarm is at version {doc['version']}, not {expected_version}.")
    reason = _allowed(doc, action)
    if reason:
        raise Conflict(reason)
    now = clock.now()
    try:
        updated = cas_update(doc, _action_update(doc, action, actor, now, **args))
    except Moved:
        raise Conflict("The alarm changed meanwhile; reload it.") from None
    keys = ("state", "acknowledged", "closed", "resolution", "assignee", "version")
    _audit(doc, action, actor=actor, before={k: doc.get(k) for k in keys},
           after={**{k: updated.get(k) for k in keys}, **({"text": args["text"]}
                  if action == "comment" else {})})  # fmt: skip
    if doc["state"] != updated["state"]:
        machine_alarm_counts_refresh([doc.get("machine_id")])
    return updated
