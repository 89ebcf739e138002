"""Test session plumbing: a throwaway embedded database, stopped when the session ends."""

import os
import shutil
from pathlib import Path

import pytest


def pytest_sessionfinish(session, exitstatus):
    """Stop the session's embedded server and delete its temporary folder."""
    from django.conf import settings

    if not settings.configured or "EMBEDDED_PATH" not in settings.DATABASES["default"]:
        return
    from factory_site import embedded

    path = Path(settings.DATABASES["default"]["EMBEDDED_PATH"])
    embedded.stop(path)
    test_dir = os.environ.get("TEST_EMBEDDED_DB_PATH")
    if test_dir and Path(test_dir).name.startswith("fm-test-"):
        shutil.rmtree(test_dir, ignore_errors=True)


@pytest.fixture
def staff_client(client, django_user_model):
    """A test client logged in as a superuser."""
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(user)
    return client
