"""The reading stream of ``/api/data/query``: pages of reading documents by a (time, id) cursor.

A page sorts everything its range matches (SecantusDB has no limit push-down, and no readings
index holds the ``_id`` tie-break for MongoDB), so a page reads growing time windows back from
its starting point (:func:`page_windows`): its cost follows the readings near it, not the
history behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from monitoring.models import Reading
from monitoring.mongo import (
    READING_INDEX_KEYS,
    TIME_MAX,
    TIME_MIN,
    windowed_page,
)
from monitoring.scope import Scope

#: Stored fields that are bookkeeping, not part of a reading's answer.
HIDDEN_FIELDS = {"ingested_at": 0, "external_id": 0}


def _conditions(
    scope: Scope,
    *,
    machine_id=None,
    bearing_id=None,
    customer: Sequence[str] | None = None,
    area: Sequence[str] | None = None,
    status: Sequence[str] | None = None,
    min_velocity_rms: float | None = None,
    max_velocity_rms: float | None = None,
) -> dict[str, Any]:
    """The filters as Mongo conditions (None: no condition)."""
    velocity = {}
    if min_velocity_rms is not None:
        velocity["$gte"] = min_velocity_rms
    if max_velocity_rms is not None:
        velocity["$lte"] = max_velocity_rms
    return {
        "machine_id": machine_id,
        "bearing_id": bearing_id,
        "customer": scope.condition(customer),
        "area": {"$in": list(area)} if area else None,
        "status": {"$in": list(status)} if status else None,
        "velocity.rms": velocity or None,
    }


def reading_page(
    *,
    scope: Scope,
    limit: int,
    position: tuple[dt.datetime, Any] | None = None,
    newer: bool = False,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    **filters: Any,
) -> list[dict]:
    """Up to ``limit`` matching reading documents past a (timestamp, id) ``position``.

    Older than the position, newest first; with ``newer``, newer than it, oldest first. Ties on
    the timestamp are ordered by id, so pages neither overlap nor skip readings. ``filters``
    are those of :func:`_conditions`.
    """
    conditions = _conditions(scope, **filters)
    low, high = start or TIME_MIN, end or TIME_MAX
    if position is not None:
        at, pk = position
        if newer:
            low = max(low, at)
            conditions["$or"] = [{"timestamp": {"$gt": at}}, {"_id": {"$gt": pk}}]
        else:
            high = min(high, at)
            conditions["$or"] = [{"timestamp": {"$lt": at}}, {"_id": {"$lt": pk}}]
    return windowed_page(
        Reading, "timestamp", low=low, high=high, newer=newer, conditions=conditions,
        index_keys=READING_INDEX_KEYS, limit=limit, tail=[{"$project": HIDDEN_FIELDS}],
    )  # fmt: skip
