"""A valid token's user is kept in process memory for API_TOKEN_CACHE_SECONDS, bounded."""

import pytest

from monitoring import authentication
from monitoring.authentication import TokenUsers
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(authentication.time, "monotonic", clock)
    authentication.token_users.clear()
    yield clock
    authentication.token_users.clear()


def token_lookups(recorder) -> int:
    return sum(1 for c in recorder.commands if next(iter(c.values()), None) == "authtoken_token")


def test_a_token_is_looked_up_once_per_timeout(settings, recorder, clock):
    settings.API_TOKEN_CACHE_SECONDS = 60
    client = TokenClient("memo-user")
    assert client.get("/api/stats").status_code == 200  # creates the token, looks it up
    recorder.commands.clear()
    for _ in range(3):
        assert client.get("/api/stats").status_code == 200
    assert token_lookups(recorder) == 0  # served from memory
    clock.now += 61
    assert client.get("/api/stats").status_code == 200
    assert token_lookups(recorder) == 1  # expired: looked up again


def test_with_a_timeout_of_zero_every_request_looks_the_token_up(settings, recorder, clock):
    settings.API_TOKEN_CACHE_SECONDS = 0
    client = TokenClient("memo-off")
    assert client.get("/api/stats").status_code == 200
    recorder.commands.clear()
    for _ in range(3):
        assert client.get("/api/stats").status_code == 200
    assert token_lookups(recorder) == 3


class User:
    def __init__(self, pk):
        self.pk = pk


def test_a_full_memory_drops_expired_entries_first_then_the_oldest(clock):
    users = TokenUsers(max_entries=3)
    users.put("a", User(1), timeout=10)
    users.put("b", User(2), timeout=100)
    users.put("c", User(3), timeout=100)
    clock.now += 50  # "a" expired
    users.put("d", User(4), timeout=100)
    assert [users.get(k) is not None for k in "abcd"] == [False, True, True, True]
    users.put("e", User(5), timeout=100)  # nothing expired: the oldest ("b") goes
    assert [users.get(k) is not None for k in "bcde"] == [False, True, True, True]


def test_forgetting_a_user_drops_all_its_tokens(clock):
    users = TokenUsers()
    alice, bob = User(1), User(2)
    users.put("t1", alice, timeout=60)
    users.put("t2", alice, timeout=60)
    users.put("t3", bob, timeout=60)
    users.forget_user(1)
    assert (users.get("t1"), users.get("t2"), users.get("t3")) == (None, None, bob)
    users.forget_token("t3")
    assert users.get("t3") is None
