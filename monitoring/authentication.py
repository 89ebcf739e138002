"""Token authentication that does not join the user on every request."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def _cache_key(key: str) -> str:
    # Hashed: the cache (e.g. a shared Redis) never holds usable tokens.
    return "api-token:" + hashlib.sha256(key.encode()).hexdigest()


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token ...``, with a valid token's user cached briefly.

    DRF looks the token up with ``select_related("user")``, a ``$lookup`` on MongoDB, on every
    request. A revoked token or deactivated user stops working when the entry expires
    (API_TOKEN_CACHE_SECONDS) and at once in the process that made the change.
    """

    def authenticate_credentials(self, key):
        timeout = settings.API_TOKEN_CACHE_SECONDS
        if timeout > 0:
            user = cache.get(_cache_key(key))
            if user is not None:
                return user, key
        user, token = super().authenticate_credentials(key)
        if timeout > 0:
            cache.set(_cache_key(key), user, timeout)
        return user, token


@receiver(post_delete, sender=Token)
def _forget_deleted_token(sender, instance, **kwargs):
    """A deleted token stops working now (in this process; elsewhere within the timeout)."""
    cache.delete(_cache_key(instance.key))


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _forget_changed_user(sender, instance, **kwargs):
    """A changed user (deactivated, staff flag) is looked up afresh."""
    token = Token.objects.filter(user_id=instance.pk).first()
    if token is not None:
        cache.delete(_cache_key(token.key))
