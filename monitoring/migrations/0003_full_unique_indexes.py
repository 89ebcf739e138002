"""Replace the partial unique indexes Django created with full ones, so lookups can use them.

django-mongodb-backend builds every unique index as a partial index (``$type`` filters, so
that nulls do not collide). SecantusDB's planner never chooses a partial index, so every
upsert keyed by ``external_id`` or by (bearing, hour) scanned its collection. These fields are
never null, so a full unique index has the same meaning, is used by SecantusDB and MongoDB
alike, and costs the same to maintain. Index names are kept, so a later AlterField or
RemoveConstraint finds and drops them as usual. tests/monitoring/test_query_plans.py holds it.
"""

from django.db import migrations

# collection -> index name -> its keys with the BSON type Django's partial filter required
FULL_UNIQUE = {
    "machines": {"machines_external_id_8c9a97d4_uniq": {"external_id": "string"}},
    "bearings": {"bearings_external_id_9ecb5e0c_uniq": {"external_id": "string"}},
    "readings": {"readings_external_id_081b6f5d_uniq": {"external_id": "string"}},
    "spectra": {"spectra_reading_id_e85c7fab_uniq": {"reading_id": "objectId"}},
    "rollups_bearing_hourly": {
        "rollup_bearing_hour_unique": {"bearing_id": "objectId", "hour": "date"}
    },
    "rollups_area_hourly": {
        "rollup_area_hour_unique": {"customer": "string", "area": "string", "hour": "date"}
    },
    "ingestion_locks": {"ingestion_locks_name_92b48f7c_uniq": {"name": "string"}},
    "customer_access": {"customer_access_user_id_61a5c744_uniq": {"user_id": "objectId"}},
}


def _rebuild(schema_editor, *, partial: bool) -> None:
    for table, indexes in FULL_UNIQUE.items():
        collection = schema_editor.connection.get_collection(table)
        existing = collection.index_information()
        for name, fields in indexes.items():
            if name not in existing:
                continue
            options = {"name": name, "unique": True}
            if partial:
                options["partialFilterExpression"] = {f: {"$type": t} for f, t in fields.items()}
            collection.drop_index(name)
            collection.create_index([(field, 1) for field in fields], **options)


def forwards(apps, schema_editor):
    _rebuild(schema_editor, partial=False)


def backwards(apps, schema_editor):
    _rebuild(schema_editor, partial=True)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_customer_access")]

    operations = [migrations.RunPython(forwards, backwards)]
