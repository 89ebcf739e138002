"""`manage.py ingest_cron add|show|remove`: django-crontab's `crontab`, but never silently.

django-crontab shells out to CRONTAB_EXECUTABLE and ignores its exit status, so without cron
installed `crontab add` prints "crontab: not found" and still exits 0. This wrapper checks the
executable first and fails with a clear message (install the Debian package `cron`).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def crontab_executable_check() -> str:
    """The crontab executable's path, or CommandError saying how to install it."""
    configured = settings.CRONTAB_EXECUTABLE
    path = shutil.which(configured) if os.sep not in configured else configured
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise CommandError(
            f"crontab executable {configured!r} not found or not executable: install cron "
            "(Debian/Ubuntu: apt-get install cron) or set CRONTAB_EXECUTABLE"
        )
    return path


class Command(BaseCommand):
    """Check for the crontab binary, then run django-crontab's subcommand."""

    help = (
        "Install (add), list (show) or remove the ingestion cron job defined in CRONJOBS "
        "(daily at INGEST_CRON_SCHEDULE, output appended to LOG_DIR/ingestion_cron.log). "
        "Fails when the crontab executable is missing instead of pretending to succeed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the subcommand."""
        parser.add_argument("subcommand", choices=["add", "show", "remove"], help="What to do.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Check, then delegate."""
        crontab_executable_check()
        call_command("crontab", options["subcommand"], stdout=self.stdout, stderr=self.stderr)
