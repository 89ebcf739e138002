"""Ingestion's keyed writes find their document through an index (SecantusDB regression).

Django creates unique indexes as partial indexes; SecantusDB never plans a partial index, so
migration 0003 makes them full. If a later migration brings a partial one back, or SecantusDB
changes its planner, these fail instead of ingestion silently scanning collections.
"""

import datetime as dt

import pytest
from bson import ObjectId

from monitoring.mongo import collection

pytestmark = pytest.mark.django_db


def _plan_stages(plan: dict) -> list[str]:
    stages = []
    while plan:
        stages.append(plan.get("stage"))
        plan = plan.get("inputStage")
    return stages


@pytest.mark.parametrize(
    ("table", "query"),
    [
        ("readings", {"external_id": "msr_1"}),
        ("machines", {"external_id": "M-1"}),
        ("bearings", {"external_id": "B-1"}),
        ("spectra", {"reading_id": ObjectId()}),
        ("rollups_bearing_hourly", {"bearing_id": ObjectId(), "hour": dt.datetime(2026, 1, 1)}),
        (
            "rollups_area_hourly",
            {"customer": "Acme", "area": "Utilities", "hour": dt.datetime(2026, 1, 1)},
        ),
        ("ingestion_locks", {"name": "ingestion"}),
    ],
)
def test_unique_keys_are_full_indexes_used_by_lookups(table, query):
    coll = collection_by_table(table)
    # The planner may pick a scan on an empty collection; give it something to choose over.
    coll.insert_many([_filler(query, i) for i in range(50)])
    info = coll.index_information()
    keys = [field for field, _ in next(
        spec["key"] for spec in info.values() if spec.get("unique")
    )]  # fmt: skip
    assert keys == list(query)
    assert not any(spec.get("partialFilterExpression") for spec in info.values())
    stages = _plan_stages(coll.find(query).explain()["queryPlanner"]["winningPlan"])
    assert "IXSCAN" in stages and "COLLSCAN" not in stages


def _filler(query: dict, i: int) -> dict:
    """A document with distinct values for the unique key's fields."""
    doc = {}
    for field, value in query.items():
        if isinstance(value, ObjectId):
            doc[field] = ObjectId()
        elif isinstance(value, dt.datetime):
            doc[field] = value + dt.timedelta(hours=i + 1)
        else:
            doc[field] = f"filler-{i}"
    return doc


def collection_by_table(table):
    from django.apps import apps

    for model in apps.get_app_config("monitoring").get_models():
        if model._meta.db_table == table:
            return collection(model)
    raise LookupError(table)
