"""Regression tests for the SecantusDB workarounds in factory_site/compat.py.

They hold on SecantusDB today and on a real MongoDB; if either changes, they say so.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import F

from monitoring.models import Bearing
from tests.factories import BearingFactory

pytestmark = pytest.mark.django_db


def test_permission_ordering_avoids_nested_addfields():
    assert Permission._meta.ordering == ["content_type_id", "codename"]
    perms = list(Permission.objects.select_related("content_type")[:5])
    assert perms and all(p.content_type.app_label for p in perms)


def test_admin_group_add_page_loads(admin_client):
    response = admin_client.get("/admin/auth/group/add/")
    assert response.status_code == 200
    assert b"Permission has no content_type" not in response.content


def test_admin_user_change_page_loads(admin_client, django_user_model):
    group = Group.objects.create(name="operators")
    user = django_user_model.objects.create_user("op", password="pw")
    user.groups.add(group)
    response = admin_client.get(f"/admin/auth/user/{user.pk}/change/")
    assert response.status_code == 200


def test_related_values_via_annotation():
    BearingFactory(machine__machine_name="Fan 7")
    # The pattern the project uses instead of values("machine__machine_name").
    rows = list(Bearing.objects.annotate(name=F("machine__machine_name")).values("name"))
    assert rows == [{"name": "Fan 7"}]


def _minutes_in_range(index_keys):
    """Timestamps (minutes past 11:00) a range query returns through the given index."""
    from django.db import connection

    coll = connection.get_database().client["compat_probe"]["probe"]
    coll.drop()
    start = dt.datetime(2026, 3, 10, 11, 0)
    coll.insert_many([{"m": 1, "ts": start + dt.timedelta(minutes=m)} for m in (10, 40, 50, 70)])
    coll.create_index(index_keys)
    found = coll.find({"m": 1, "ts": {"$gte": start.replace(minute=40),
                                       "$lte": start.replace(minute=50)}})  # fmt: skip
    minutes = sorted(d["ts"].minute for d in found)
    coll.drop()
    return minutes


def test_two_key_reading_indexes_answer_ranges_correctly():
    # The layout monitoring/models.py uses for readings.
    assert _minutes_in_range([("m", 1), ("ts", -1)]) == [40, 50]


# Strict, and only on the embedded server: an unexpected pass fails the suite, which is the
# signal that a SecantusDB upgrade fixed the bug; on a real MongoDB the test must just pass.
@pytest.mark.xfail(
    "EMBEDDED_PATH" in settings.DATABASES["default"],
    reason="SecantusDB 0.7.0b3 answers a range on the middle key of a 3-key index wrongly; "
    "passes on MongoDB. If it passes here too, (machine, -timestamp, -_id) indexes can return.",
    strict=True,
)
def test_three_key_index_with_a_range_on_the_middle_key():
    assert _minutes_in_range([("m", 1), ("ts", -1), ("_id", -1)]) == [40, 50]


def test_secantusdb_counts_read_every_document_so_stats_skip_them(db):
    """Note 5: this server says it is SecantusDB in buildInfo; MongoDB's buildInfo does not."""
    from django.db import connection

    from monitoring.selectors.system import metadata_counts_are_cheap

    build_info = connection.database.client.admin.command("buildInfo")
    assert "secantusVersion" in build_info
    assert metadata_counts_are_cheap(build_info) is False
    mongodb = {k: v for k, v in build_info.items() if k != "secantusVersion"}
    assert metadata_counts_are_cheap(mongodb) is True
