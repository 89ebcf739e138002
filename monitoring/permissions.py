"""API permissions: read-only for plant users, writes for staff; alarm actions for engineers."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadOnlyUnlessStaff(BasePermission):
    """Safe methods for every authenticated user; anything else for staff only."""

    message = "Only staff may change data."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(request.user and request.user.is_staff)


class AlarmActionPermission(BasePermission):
    """Reads for every authenticated user; alarm actions for staff and engineers.

    Whether the alarm is the engineer's customer's is decided by the view (404 otherwise).
    """

    message = "Only engineers and staff may act on alarms."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS or (request.user and request.user.is_staff):
            return True
        from monitoring.access import role_for

        return role_for(request.user) == "engineer"
