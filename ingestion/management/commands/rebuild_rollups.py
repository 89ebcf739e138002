"""`manage.py rebuild_rollups`: recompute rollups and latest state from readings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ingestion.management.arguments import iso_date
from monitoring.services import latest_state_rebuild, rollups_rebuild


class Command(BaseCommand):
    """Thin wrapper around the monitoring rebuild functions."""

    help = (
        "Recompute the hourly rollups (all, or from --since) and every bearing's and machine's "
        "latest state from the stored readings. Safe to run at any time between ingestion runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the options."""
        parser.add_argument(
            "--since", type=iso_date, help="Only rebuild rollups from this UTC day (YYYY-MM-DD)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Rebuild and report counts."""
        since = options["since"]
        start = dt.datetime.combine(since, dt.time(0), tzinfo=dt.UTC) if since else None
        buckets = rollups_rebuild(since=start)
        bearings = latest_state_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"rebuilt {buckets} rollup buckets{f' since {since}' if since else ''} and the "
                f"latest state of {bearings} bearings"
            )
        )
