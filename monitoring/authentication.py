"""Token authentication that does not look the token up on every request."""

import threading
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


class TokenUsers:
    """Valid tokens' users, each kept for API_TOKEN_CACHE_SECONDS, in this process only.

    In process memory rather than Django's cache: the cache pickles the user, and unpickling a
    model instance on every request cost more than Django's middleware (about 0.15 ms). The
    user object is shared by this process's requests until it expires; nothing mutates it.
    At most ``max_entries`` tokens are kept; when full, expired entries go, then the oldest.
    """

    def __init__(self, max_entries: int = 4096):
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str):
        """The token's user while its entry is fresh, else None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, user, timeout: float) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._evict()
            self._entries[key] = (time.monotonic() + timeout, user)

    def _evict(self) -> None:
        now = time.monotonic()
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # dicts keep insertion order

    def forget_token(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def forget_user(self, user_id) -> None:
        with self._lock:
            for key in [k for k, (_, u) in self._entries.items() if u.pk == user_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


token_users = TokenUsers()


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token ...``, with a valid token's user kept briefly.

    DRF looks the token up with ``select_related("user")``, a ``$lookup`` on MongoDB, on every
    request. A revoked token or deactivated user stops working at once in the process that made
    the change and elsewhere when the entry expires (API_TOKEN_CACHE_SECONDS; 0 turns it off).
    """

    def authenticate_credentials(self, key):
        timeout = settings.API_TOKEN_CACHE_SECONDS
        if timeout > 0:
            user = token_users.get(key)
            if user is not None:
                return user, key
        user, token = super().authenticate_credentials(key)
        if timeout > 0:
            token_users.put(key, user, timeout)
        return user, token


@receiver(post_delete, sender=Token)
def _forget_deleted_token(sender, instance, **kwargs):
    """A deleted token stops working now (in this process; elsewhere within the timeout)."""
    token_users.forget_token(instance.key)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _forget_changed_user(sender, instance, **kwargs):
    """A changed user (deactivated, staff flag) is looked up afresh."""
    token_users.forget_user(instance.pk)
