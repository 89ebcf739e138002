"""Customer scope: staff see all customers, plant users their own, others nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser

from monitoring.access import scope_for
from monitoring.models import CustomerAccess
from monitoring.scope import Scope

pytestmark = pytest.mark.django_db


def test_staff_see_every_customer(django_user_model):
    staff = django_user_model.objects.create_user("s", password="pw", is_staff=True)
    assert scope_for(staff) == Scope.everything()


def test_plant_user_sees_their_customers(django_user_model):
    user = django_user_model.objects.create_user("p", password="pw")
    CustomerAccess.objects.create(user=user, customers=["Beta", "Acme"])
    assert scope_for(user) == Scope.of(["Acme", "Beta"])


def test_user_without_access_and_anonymous_see_nothing(django_user_model):
    user = django_user_model.objects.create_user("n", password="pw")
    assert scope_for(user) == Scope.of([])
    assert scope_for(AnonymousUser()) == Scope.of([])


def test_scope_is_cached_and_a_change_applies_to_the_next_request(django_user_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = django_user_model.objects.create_user("c", password="pw")
    access = CustomerAccess.objects.create(user=user, customers=["Acme", "Beta"])
    assert scope_for(user) == Scope.of(["Acme", "Beta"])
    with CaptureQueriesContext(connection) as ctx:
        assert scope_for(user) == Scope.of(["Acme", "Beta"])
    assert not ctx.captured_queries  # served from the cache
    access.customers = ["Acme"]
    access.save()  # e.g. a colleague revokes Beta in the admin
    assert scope_for(user) == Scope.of(["Acme"])
    access.delete()
    assert scope_for(user) == Scope.of([])


def test_customers_are_editable_on_the_user_admin_page(admin_client, django_user_model):
    user = django_user_model.objects.create_user("plant", password="pw")
    url = f"/admin/auth/user/{user.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and b"customer_access-0-customers" in page.content
    form = {
        "username": "plant", "password": user.password, "is_active": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
        "customer_access-TOTAL_FORMS": "1", "customer_access-INITIAL_FORMS": "0",
        "customer_access-MIN_NUM_FORMS": "0", "customer_access-MAX_NUM_FORMS": "1",
        "customer_access-0-customers": "Acme,Beta",
    }  # fmt: skip
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CustomerAccess.objects.get(user=user).customers == ["Acme", "Beta"]
