"""Regression tests for the SecantusDB workarounds in factory_site/compat.py.

They hold on SecantusDB today and on a real MongoDB; if either changes, they say so.
"""

import pytest
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
