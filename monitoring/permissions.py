"""API permissions: read-only for plant users, writes (where any exist) for staff only."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadOnlyUnlessStaff(BasePermission):
    """Safe methods for every authenticated user; anything else for staff only."""

    message = "Only staff may change data."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(request.user and request.user.is_staff)
