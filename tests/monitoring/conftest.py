"""API tests talk to the API as a logged-in staff user unless they say otherwise."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from pymongo import monitoring
from rest_framework.authtoken.models import Token

from monitoring.models import CustomerAccess


class TokenClient(Client):
    """A test client that authenticates as the dashboard does, with a DRF token.

    The user and token are created lazily, on the first request inside the test body, so the
    read-only tests over the shared fleet (which unblock the database in a fixture of their
    own) can use it too.
    """

    def __init__(self, username: str = "api-staff", *, is_staff: bool = True, customers=None):
        super().__init__()
        self.username, self.is_staff, self.customers = username, is_staff, customers
        self.token = None

    def request(self, **request):
        if self.token is None:
            user, _ = get_user_model().objects.get_or_create(
                username=self.username, defaults={"is_staff": self.is_staff}
            )
            if self.customers is not None:
                CustomerAccess.objects.update_or_create(
                    user=user, defaults={"customers": self.customers}
                )
            self.token = Token.objects.get_or_create(user=user)[0].key
        request.setdefault("HTTP_AUTHORIZATION", f"Token {self.token}")
        return super().request(**request)


@pytest.fixture
def client():
    """The API as staff see it (all customers); see tests/monitoring/test_api_access.py."""
    return TokenClient()


@pytest.fixture
def anonymous_client():
    """A client with no credentials."""
    return Client()


READ_COMMANDS = {"aggregate", "find", "count", "distinct", "getMore"}


class CommandRecorder(monitoring.CommandListener):
    """Keeps the read commands this process sends to MongoDB while active (ORM and pymongo)."""

    def __init__(self):
        self.active = False
        self.commands: list[dict] = []

    def started(self, event):
        if self.active and event.command_name in READ_COMMANDS:
            self.commands.append(dict(event.command))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


COMMAND_RECORDER = CommandRecorder()
monitoring.register(COMMAND_RECORDER)


@pytest.fixture
def recorder():
    """The command recorder, active and empty (on a fresh client: listeners bind at creation)."""
    connection.close_pool()
    COMMAND_RECORDER.commands.clear()
    COMMAND_RECORDER.active = True
    yield COMMAND_RECORDER
    COMMAND_RECORDER.active = False
