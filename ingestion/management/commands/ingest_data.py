"""`manage.py ingest_data`: one ingestion run (today by default); the work is in the service."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.client import VendorError
from ingestion.lock import LockHeldError
from ingestion.management.arguments import EXIT_LOCKED, iso_date
from ingestion.progress import ProgressReporter
from ingestion.run import MAX_RANGE_DAYS, IngestionFailedError, ingestion_run

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _days(value: str) -> int:
    """Parse --backfill-days: 1..MAX_RANGE_DAYS."""
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of days {value!r}") from None
    if not 1 <= days <= MAX_RANGE_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_RANGE_DAYS}, got {days}")
    return days


class Command(BaseCommand):
    """Parse options, call ``ingestion_run`` once, print the summary."""

    help = (
        "Ingest vendor measurements: today's by default, one day with --date, or the last N days "
        "(including today) with --backfill-days. Idempotent: re-running a day stores nothing "
        "twice. Exits 0 when the run completed (even with skipped records), non-zero otherwise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the options."""
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--date", type=iso_date, help="Ingest this UTC day (YYYY-MM-DD).")
        when.add_argument(
            "--backfill-days",
            type=_days,
            metavar="N",
            help="Ingest the last N UTC days, today included (yesterday in full and today so "
            "far with N=2).",
        )
        parser.add_argument(
            "--log-level",
            type=str.upper,
            choices=LOG_LEVELS,
            default=None,
            help="Level of the ingestion logger (console and ingestion.log); default: LOG_LEVEL.",
        )
        parser.add_argument("--customer", help="Only this customer's machines.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Fetch and compute, but write nothing (no readings, no run record, no lock).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not report progress while running."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run once and report; CommandError (non-zero exit) when the run did not complete."""
        if options["log_level"]:
            logging.getLogger("ingestion").setLevel(options["log_level"])
        today = dt.datetime.now(dt.UTC).date()
        if options["date"]:
            date_from = date_to = options["date"]
        else:
            date_to = today
            date_from = today - dt.timedelta(days=(options["backfill_days"] or 1) - 1)
        if date_to > today:
            raise CommandError(f"--date {date_to} is in the future (today is {today} UTC)")
        customer = (options["customer"] or "").strip() or None
        if options["customer"] is not None and customer is None:
            raise CommandError("--customer must not be empty")
        reporter = None if options["no_progress"] else ProgressReporter(self.stdout)
        try:
            run = ingestion_run(
                date_from=date_from,
                date_to=date_to,
                customer=customer,
                dry_run=options["dry_run"],
                progress=reporter,
            )
        except LockHeldError as exc:
            raise CommandError(str(exc), returncode=EXIT_LOCKED) from exc
        except IngestionFailedError as exc:
            self._summary(exc.run)
            raise CommandError(str(exc)) from exc
        except (VendorError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if reporter is not None:
                reporter.close()
        self._summary(run)

    def _summary(self, run) -> None:
        """The run's counters, coloured by outcome."""
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(run.skip_reasons.items()))
        text = (
            f"{'[dry run] ' if run.dry_run else ''}{run.date_from}..{run.date_to}: "
            f"{run.outcome}; fetched {run.fetched}, "
            f"{'would store' if run.dry_run else 'stored'} {run.stored}, "
            f"already stored {run.duplicates}, skipped {run.skipped}"
            f"{f' ({reasons})' if reasons else ''}, retries {run.retries}"
        )
        style = {
            "succeeded": self.style.SUCCESS,
            "completed_with_errors": self.style.WARNING,
        }.get(run.outcome, self.style.ERROR)
        self.stdout.write(style(text))
