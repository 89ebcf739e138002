"""`manage.py apply_retention [--dry-run]`: thin raw waveforms past the raw window."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.lock import LockHeldError, host_describe, lock_held
from ingestion.management.arguments import EXIT_LOCKED
from monitoring.retention import DayPlan, retention_apply


class Command(BaseCommand):
    """Thin wrapper around monitoring.retention, under the ingestion lock."""

    help = (
        "Apply the retention tiers: raw waveforms (and legacy spectra) older than "
        "RETENTION_WAVEFORM_DAYS are thinned to one per bearing and day plus pinned readings; "
        "readings and rollups are kept. Prints what it removes (or, with --dry-run, would "
        "remove) per day and in total. Holds the ingestion lock (exits 75 when a run holds "
        "it); a re-run after a crash finishes the work."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the options."""
        parser.add_argument("--dry-run", action="store_true", help="Count only; delete nothing.")

    def _day(self, plan: DayPlan) -> None:
        if plan.waveforms or plan.spectra or self.verbosity > 1:
            self.stdout.write(
                f"{plan.day:%Y-%m-%d}: remove {plan.waveforms} waveforms "
                f"({plan.waveform_bytes} B), {plan.spectra} spectra ({plan.spectrum_bytes} B); "
                f"keep {len(plan.daily)} daily, {len(plan.evidence)} evidence"
            )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run (dry: without the lock, it writes nothing but its record) and print totals."""
        self.verbosity = options["verbosity"]
        dry = options["dry_run"]
        ttl = dt.timedelta(seconds=settings.INGEST_LOCK_TTL_S)
        try:
            if dry:
                run = retention_apply(dry_run=True, on_day=self._day)
            else:
                with lock_held(holder=f"{host_describe()}:apply_retention", ttl=ttl) as beat:
                    run = retention_apply(check=beat.check, on_day=self._day)
        except LockHeldError as exc:
            raise CommandError(
                f"apply_retention refused, nothing changed: {exc}", returncode=EXIT_LOCKED
            ) from exc
        verb = "would remove" if dry else "removed"
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.days} days before {run.cutoff:%Y-%m-%d}: {verb} "
                f"{run.waveforms_removed} waveforms ({run.waveform_bytes_removed} B) and "
                f"{run.spectra_removed} spectra ({run.spectrum_bytes_removed} B); kept "
                f"{run.kept_daily} daily and {run.kept_evidence} evidence waveforms"
            )
        )
