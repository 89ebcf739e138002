"""`manage.py demo_data`: on an empty database, ingest a week of simulated vendor data.

Used by `make run` so a new user sees machines, trends and spectra at once. The data goes
through the real path (HTTP client, signal processing, bulk storage, rollups), with the
simulator served in this process on a loopback port.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.client import VendorClient
from ingestion.lock import LockHeldError
from ingestion.progress import ProgressReporter
from ingestion.run import IngestionError, database_is_empty, ingestion_run
from ingestion.simulator import SimulatorConfig, SimulatorServer


class Command(BaseCommand):
    """Serve the simulator in process and run one backfill through it; a no-op with data."""

    help = (
        "If the database holds no machines and no readings, serve the vendor simulator in "
        "process and ingest the last --days days through the real ingestion path. Does nothing "
        "when data exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the options; defaults come from the INGEST_DEMO_* settings."""
        parser.add_argument(
            "--days",
            type=int,
            default=settings.INGEST_DEMO_DAYS,
            help="Days to ingest, today included (default: INGEST_DEMO_DAYS).",
        )
        parser.add_argument(
            "--interval-minutes",
            type=int,
            default=settings.INGEST_DEMO_INTERVAL_MINUTES,
            help="Simulated measurement interval per bearing (default: "
            "INGEST_DEMO_INTERVAL_MINUTES); larger is a smaller, faster demo.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Check emptiness, then serve and ingest with progress."""
        days = options["days"]
        if not 1 <= days <= 31:
            raise CommandError(f"--days must be between 1 and 31, got {days}")
        if not database_is_empty():
            self.stdout.write("demo data: the database already holds data; nothing to do.")
            return
        try:
            config = SimulatorConfig(
                interval_minutes=options["interval_minutes"],
                n_samples=settings.INGEST_DEMO_N_SAMPLES,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        # Access lines of a few hundred local requests would drown the progress.
        logging.getLogger("ingestion.simulator").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        today = dt.datetime.now(dt.UTC).date()
        self.stdout.write(
            f"demo data: empty database; ingesting {days} days of simulated vendor data "
            f"(every {config.interval_minutes} min per bearing) ..."
        )
        started = time.monotonic()
        reporter = ProgressReporter(self.stdout, interval=3.0, label="demo")
        try:
            with (
                SimulatorServer(config) as server,
                VendorClient(
                    server.url,
                    config.api_key,
                    max_concurrency=settings.INGEST_CONCURRENCY,
                    page_size=config.max_page_size,
                ) as client,
            ):
                run = ingestion_run(
                    date_from=today - dt.timedelta(days=days - 1),
                    date_to=today,
                    client=client,
                    progress=reporter,
                )
        except LockHeldError as exc:
            raise CommandError(str(exc)) from exc
        except IngestionError as exc:
            raise CommandError(f"demo data: {exc}") from exc
        finally:
            reporter.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"demo data: {run.stored} readings of {run.machines_seen} machines in "
                f"{time.monotonic() - started:.0f} s"
            )
        )
