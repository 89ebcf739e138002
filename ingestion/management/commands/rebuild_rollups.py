"""`manage.py rebuild_rollups`: recompute rollups and latest state from readings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.lock import LockHeldError, host_describe, lock_held
from ingestion.management.arguments import EXIT_LOCKED, iso_date
from monitoring.services import latest_state_rebuild, rollups_rebuild


class Command(BaseCommand):
    """Thin wrapper around the monitoring rebuild functions, under the ingestion lock."""

    help = (
        "Recompute the hourly rollups (all, or from --since) and every bearing's and machine's "
        "latest state from the stored readings. Holds the ingestion lock meanwhile, so it never "
        "overlaps an ingestion run; exits 75 when a run holds it (try again later)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the options."""
        parser.add_argument(
            "--since", type=iso_date, help="Only rebuild rollups from this UTC day (YYYY-MM-DD)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Rebuild under the lock and report counts; exit 75 when the lock is held."""
        since = options["since"]
        start = dt.datetime.combine(since, dt.time(0), tzinfo=dt.UTC) if since else None
        ttl = dt.timedelta(seconds=settings.INGEST_LOCK_TTL_S)
        try:
            with lock_held(holder=f"{host_describe()}:rebuild_rollups", ttl=ttl):
                buckets = rollups_rebuild(since=start)
                bearings = latest_state_rebuild()
        except LockHeldError as exc:
            raise CommandError(
                f"rebuild_rollups refused, nothing changed: {exc}", returncode=EXIT_LOCKED
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"rebuilt {buckets} rollup buckets{f' since {since}' if since else ''} and the "
                f"latest state of {bearings} bearings"
            )
        )
