"""`manage.py vendor_simulator`: serve the simulated vendor API until Ctrl-C."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.simulator import SimulatorConfig, SimulatorServer
from ingestion.simulator.config import FAIL_FIRST_KINDS


def _date(value: str) -> dt.date:
    """Parse a YYYY-MM-DD option value."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {value!r}; expected YYYY-MM-DD") from None


class Command(BaseCommand):
    """Thin wrapper around SimulatorServer; all behaviour lives in ingestion.simulator."""

    help = (
        "Serve a deterministic simulation of the vendor condition-monitoring API "
        "(docs/vendor-api.md) with optional fault injection, until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare options; defaults mirror SimulatorConfig."""
        d = SimulatorConfig()
        parser.add_argument(
            "--host", default="127.0.0.1", help="Interface to bind (default: 127.0.0.1)."
        )
        parser.add_argument(
            "--port",
            type=int,
            default=8765,
            help="Port to bind; 0 picks a free one (default: 8765).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=d.seed,
            help=f"Seed of all simulated data and faults (default: {d.seed}).",
        )
        parser.add_argument(
            "--api-key",
            default=d.api_key,
            help=f"API key clients must send in X-API-Key (default: {d.api_key}).",
        )
        parser.add_argument(
            "--interval-minutes",
            type=int,
            default=d.interval_minutes,
            help=f"Minutes between measurements of a bearing (default: {d.interval_minutes}).",
        )
        parser.add_argument(
            "--anchor-date",
            type=_date,
            default=None,
            help="Date (YYYY-MM-DD) the outer-race defect reaches Alert; default: today (UTC).",
        )
        parser.add_argument(
            "--sample-rate-hz",
            type=float,
            default=d.sample_rate_hz,
            help=f"Waveform sample rate in Hz (default: {d.sample_rate_hz:g}).",
        )
        parser.add_argument(
            "--n-samples",
            type=int,
            default=d.n_samples,
            help=f"Samples per waveform (default: {d.n_samples}).",
        )
        parser.add_argument(
            "--error-rate",
            type=float,
            default=0.0,
            help="Share of requests answered 500/503 (default: 0).",
        )
        parser.add_argument(
            "--slow-rate",
            type=float,
            default=0.0,
            help="Share of requests delayed by --slow-seconds (default: 0).",
        )
        parser.add_argument(
            "--slow-seconds",
            type=float,
            default=d.slow_seconds,
            help=f"Delay of slow requests in seconds (default: {d.slow_seconds:g}).",
        )
        parser.add_argument(
            "--rate-limit-rate",
            type=float,
            default=0.0,
            help="Share of requests answered 429 with Retry-After (default: 0).",
        )
        parser.add_argument(
            "--retry-after",
            type=int,
            default=d.retry_after_seconds,
            help=f"Retry-After seconds sent with 429/503 (default: {d.retry_after_seconds}).",
        )
        parser.add_argument(
            "--malformed-rate",
            type=float,
            default=0.0,
            help="Share of measurement records served broken (default: 0).",
        )
        parser.add_argument(
            "--fail-first-n",
            type=int,
            default=0,
            help="Fail the first N attempts of every distinct request (default: 0).",
        )
        parser.add_argument(
            "--fail-first-kind",
            choices=FAIL_FIRST_KINDS,
            default=d.fail_first_kind,
            help=f"How --fail-first-n fails (default: {d.fail_first_kind}).",
        )
        parser.add_argument(
            "--latency-seconds",
            type=float,
            default=0.0,
            help="Latency added to every response (default: 0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Build the config, bind, print the URL and serve until interrupted."""
        try:
            config = SimulatorConfig(
                seed=options["seed"],
                api_key=options["api_key"],
                anchor_date=options["anchor_date"],
                interval_minutes=options["interval_minutes"],
                sample_rate_hz=options["sample_rate_hz"],
                n_samples=options["n_samples"],
                error_rate=options["error_rate"],
                slow_rate=options["slow_rate"],
                slow_seconds=options["slow_seconds"],
                rate_limit_rate=options["rate_limit_rate"],
                retry_after_seconds=options["retry_after"],
                malformed_rate=options["malformed_rate"],
                fail_first_n=options["fail_first_n"],
                fail_first_kind=options["fail_first_kind"],
                latency_seconds=options["latency_seconds"],
            )
            server = SimulatorServer(config, host=options["host"], port=options["port"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot bind {options['host']}:{options['port']}: {exc}") from None
        # Access lines are logged at INFO; show them only when asked (-v 2), whatever the
        # project's LOGGING says.
        access_log = logging.getLogger("ingestion.simulator")
        if options["verbosity"] >= 2:
            access_log.setLevel(logging.INFO)
            if not logging.getLogger().handlers and not access_log.handlers:
                logging.basicConfig(format="%(asctime)s %(message)s")
        else:
            access_log.setLevel(logging.WARNING)
        self.stdout.write(
            self.style.SUCCESS(f"Vendor simulator serving {server.url}/v1/machines")
            + f" (seed {config.seed}, anchor {server.anchor_date}, API key header X-API-Key)"
        )
        self.stdout.write("Press Ctrl-C to stop.")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
        stats = server.stats.snapshot()
        self.stdout.write(
            f"Stopped after {stats['requests']} request(s); faults: {stats['faults']}"
        )
