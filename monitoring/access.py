"""Who may see which customers' data: the one place API reads ask."""

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from monitoring.models import CustomerAccess
from monitoring.scope import Scope


def _cache_key(user_id) -> str:
    return f"customer-scope:{user_id}"


def scope_for(user) -> Scope:
    """Every customer for staff; otherwise the user's customers, possibly none.

    A plant user's customers are cached like the token's user (API_TOKEN_CACHE_SECONDS), so
    a request costs no extra query; a change in the admin applies at once in the process
    that made it (signals below) and elsewhere when the entry expires.
    """
    if user.is_authenticated and user.is_staff:
        return Scope.everything()
    if not user.is_authenticated:
        return Scope.of(())
    timeout = settings.API_TOKEN_CACHE_SECONDS
    if timeout > 0:
        cached = cache.get(_cache_key(user.pk))
        if cached is not None:
            return Scope.of(cached)
    access = CustomerAccess.objects.filter(user_id=user.pk).first()
    customers = sorted(access.customers) if access else []
    if timeout > 0:
        cache.set(_cache_key(user.pk), customers, timeout)
    return Scope.of(customers)


def role_for(user) -> str:
    """``engineer`` for staff and plant users granted it, else ``viewer`` (read-only)."""
    if user.is_authenticated and user.is_staff:
        return CustomerAccess.Role.ENGINEER
    if not user.is_authenticated:
        return CustomerAccess.Role.VIEWER
    access = CustomerAccess.objects.filter(user_id=user.pk).first()
    return access.role if access else CustomerAccess.Role.VIEWER


@receiver(post_save, sender=CustomerAccess)
@receiver(post_delete, sender=CustomerAccess)
def _forget_scope(sender, instance, **kwargs):
    """A changed or removed grant applies to the next request (in this process at once)."""
    cache.delete(_cache_key(instance.user_id))
