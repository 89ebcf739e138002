"""Workarounds for SecantusDB, the embedded development server, kept in this one place.

Each one is harmless on a real MongoDB and has a regression test in
tests/factory_site/test_compat.py, so a SecantusDB fix or a switch to MongoDB cannot silently
change behaviour.

1. Nested ``$addFields`` replaces the sub-document instead of merging into it. Django emits one
   for ``select_related()`` combined with ordering on a related field; Permission's default
   ordering is ``content_type__app_label``, so the admin's user and group pages loaded
   permissions with an empty content type ("Permission has no content_type"). Ordering on the
   local ``content_type_id`` avoids the nested stage.
2. A nested inclusion projection ``{$project: {machine: {name: 1}}}`` returns the literal 1;
   Django emits it for ``values("machine__name")``. Code in this project annotates with
   ``F("machine__name")`` instead (see tests/factory_site/test_compat.py), and selectors build
   their own pipelines with flat projections.
3. A range on the middle key of a three-key index returns wrong documents: with an index
   (machine_id, -timestamp, -_id), ``{machine_id: X, timestamp: {$gte: a, $lte: b}}`` misses
   some and returns others outside the range. Readings therefore keep two-key indexes
   (machine, -timestamp) and friends (monitoring/models.py); a range on the last key of a
   three-key index, as on the rollups' (customer, area, hour), is answered correctly.
4. Its planner never uses a partial index and uses an index only when every predicate of the
   first ``$match`` is on that index: see monitoring/migrations/0003 (full unique indexes) and
   the notes on query shapes in monitoring/mongo.py. These cost speed, not correctness.
5. ``count`` (estimated counts), ``collStats`` and ``dbStats`` read every document, where
   MongoDB answers from metadata: at 100,000 readings ``dbStats`` took 5.8 s and an estimated
   count of readings 0.6 s. ``/api/stats`` therefore leaves out, on SecantusDB only (told by
   ``secantusVersion`` in ``buildInfo``), the storage sizes and the counts of the collections
   that grow with readings (``metadata_counts_are_cheap`` in monitoring/selectors/system.py).
"""


def apply_permission_ordering_workaround() -> None:
    """Order permissions by local fields so the admin never emits a nested $addFields."""
    from django.contrib.auth.models import Permission

    Permission._meta.ordering = ["content_type_id", "codename"]
