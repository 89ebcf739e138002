"""Machines and bearings: descriptive fields plus the latest state ingestion denormalizes.

No read here sorts or counts readings: status, last reading and bearing counts are stored on
machines and bearings; the latest readings are fetched by the ids the bearings hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pymongo

from monitoring.models import ALERT_STATUSES, Bearing, Machine, Reading, Status
from monitoring.mongo import Documents, collection
from monitoring.scope import Scope

STATUSES = [s.value for s in Status]
MACHINE_ORDER = [("machine_name", pymongo.ASCENDING), ("_id", pymongo.ASCENDING)]
BEARING_ORDER = [
    ("machine_id", pymongo.ASCENDING),
    ("bearing_location", pymongo.ASCENDING),
    ("_id", pymongo.ASCENDING),
]
MACHINE_SORT_KEYS = ("machine_name", "status", "last_reading_at")
#: Fields the free-text search of machines looks in.
SEARCH_FIELDS = ("machine_name", "customer", "area", "subarea", "machine_type")


def machine_get(*, scope: Scope, machine_id) -> dict | None:
    """One machine document in scope, or None."""
    doc = collection(Machine).find_one({"_id": machine_id})
    return doc if doc is not None and scope.allows(doc.get("customer")) else None


def machine_bearings(*, scope: Scope, machine_id) -> list[dict]:
    """A machine's bearing documents in scope, by location."""
    # By machine alone (its index; a customer condition beside it would scan on SecantusDB),
    # the scope checked on each document: bearings carry their machine's customer.
    found = collection(Bearing).find({"machine_id": machine_id}).sort(BEARING_ORDER[1:])
    return [doc for doc in found if scope.allows(doc.get("customer"))]


def _machine_query(
    scope: Scope, filters: dict, q: str | None, has_alert: bool | None,
    has_alarm: bool | None = None,
) -> dict:  # fmt: skip
    query = scope.match(filters.get("customer"))
    for name, values in filters.items():
        if name != "customer" and values:
            query[name] = {"$in": list(values)}
    if q and q.strip():
        # Escaped: the text matches literally, never as a pattern.
        pattern = {"$regex": re.escape(q.strip()), "$options": "i"}
        query["$or"] = [{field: pattern} for field in SEARCH_FIELDS]
    if has_alert is not None:
        query["status"] = {"$in" if has_alert else "$nin": list(ALERT_STATUSES)}
    if has_alarm is not None:
        # The denormalized count of active alarms (monitoring.alarms keeps it current).
        query["open_alarm_count"] = {"$gt": 0} if has_alarm else {"$in": [0, None]}
    return query


def _machine_sort(ordering: Sequence[str]) -> tuple[list, dict | None]:
    """The sort for ``ordering`` items; status sorts by severity (no status first)."""
    sort, add_fields = [], None
    for item in ordering:
        name = item.lstrip("-")
        if name not in MACHINE_SORT_KEYS:
            raise ValueError(f"cannot order machines by {item!r}")
        if name == "status":
            name = "status_rank"
            add_fields = {"status_rank": {"$indexOfArray": [STATUSES, "$status"]}}
        sort.append((name, pymongo.DESCENDING if item.startswith("-") else pymongo.ASCENDING))
    # The first occurrence of a key decides its direction (a sort document cannot repeat one).
    directions: dict = {}
    for key, direction in sort + MACHINE_ORDER:
        directions.setdefault(key, direction)
    return list(directions.items()), add_fields


def machine_list(
    *,
    scope: Scope,
    filters: dict[str, list[str]] | None = None,
    q: str | None = None,
    has_alert: bool | None = None,
    ordering: Sequence[str] = (),
    has_alarm: bool | None = None,
) -> Documents:
    """Machine documents in scope matching ``field -> any of values`` filters, lazily.

    ``q`` is a case-insensitive substring of the search fields; ``has_alert`` true keeps
    Alert/Unacceptable machines, false the others (no data included). Ties are broken by name
    and id, so pages are stable.
    """
    query = _machine_query(scope, filters or {}, q, has_alert, has_alarm)
    sort, add_fields = _machine_sort(ordering)
    return Documents(Machine, query, sort, add_fields)


def bearing_list(*, scope: Scope, machine_id=None) -> Documents:
    """Bearing documents in scope, of one machine or all, by machine and location."""
    query = scope.match(**({} if machine_id is None else {"machine_id": machine_id}))
    return Documents(Bearing, query, BEARING_ORDER)


def latest_readings(*, scope: Scope, machine_id) -> list[dict]:
    """Each bearing document of a machine with its latest reading document (or None).

    Items are ``{"bearing": doc, "reading": doc | None}``; by the ids the bearings hold (the
    _id index), no sort over readings.
    """
    bearings = machine_bearings(scope=scope, machine_id=machine_id)
    ids = [b["last_reading_id"] for b in bearings if b.get("last_reading_id") is not None]
    readings = {}
    if ids:
        projection = {"ingested_at": 0, "external_id": 0}
        for doc in collection(Reading).find({"_id": {"$in": ids}}, projection):
            if scope.allows(doc.get("customer")):
                readings[doc["_id"]] = doc
    return [{"bearing": b, "reading": readings.get(b.get("last_reading_id"))} for b in bearings]
