"""Who may see which customers' data: the one place API reads ask."""

from monitoring.models import CustomerAccess


def customer_scope(user) -> list[str] | None:
    """None means every customer (staff); otherwise the user's customers, possibly none."""
    if user.is_authenticated and user.is_staff:
        return None
    if not user.is_authenticated:
        return []
    access = CustomerAccess.objects.filter(user_id=user.pk).first()
    return sorted(access.customers) if access else []
