"""Messages are built for the admin and pages, not for API requests."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_api_requests_build_no_message_store():
    response = Client().get("/api/machines")
    assert not hasattr(response.wsgi_request, "_messages")


def test_admin_pages_keep_their_messages(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert hasattr(response.wsgi_request, "_messages")
