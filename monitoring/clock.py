"""The current time, in one place so tests can pin it."""

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """Now, aware in UTC."""
    return timezone.now()
