"""Ingestion benchmark: end-to-end readings/s against raw insert_many on the same server.

    .venv/bin/python bench/bench_ingest.py [--days 1] [--interval-minutes 10]

The defaults are the design cadence (every bearing every 10 minutes, six readings per hourly
rollup bucket); ``--interval-minutes 60`` is the worst case for rollups (one bucket per
reading, so the rollup inserts are as many as the reading inserts).

Starts a throwaway embedded database and the vendor simulator, and:

1. records the simulator's HTTP answers for the backfill once (a dry run through the real
   client), then serves them from a plain loopback HTTP server, so the timed run pays for HTTP,
   JSON and waveform decoding but not for the simulator synthesizing waveforms, which a real
   vendor does on its own machines;
2. times a real backfill into the empty database (fetch, decode, compute, store readings and
   waveforms, maintain rollups and latest state, evaluate the alarm rules, in transactions):
   readings/s end to end;
3. times raw ``insert_many`` of the same final reading and waveform documents, in batches of
   the same size, into fresh collections with the same indexes (and, for reference, without
   indexes) on the same server; prints the ratio (target: end to end >= 0.6x raw);
4. times the signal processing of one record as ingestion calls it (indicators, ISO band
   velocity, spectrum, envelope with the bearing's four fault frequencies; bench_signal's
   record) and prints it in microseconds and as a share of one reading's end-to-end time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_django(tmp: Path) -> None:
    """Local settings on a throwaway embedded database and log folder."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "factory_site.settings.local"
    os.environ["EMBEDDED_DB_PATH"] = str(tmp / "db")
    os.environ["LOG_DIR"] = str(tmp / "log")
    os.environ.pop("MONGODB_URI", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


class _Replay(BaseHTTPRequestHandler):
    """Serves recorded responses by exact request target."""

    protocol_version = "HTTP/1.1"
    recorded: dict[str, tuple[int, bytes]] = {}

    def do_GET(self) -> None:
        """Answer from the recording (404 if the request was never recorded)."""
        status, body = self.recorded.get(self.path, (404, b'{"error": {"code": "not_found"}}'))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def bench_main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1, help="Days to backfill (default 1).")
    parser.add_argument(
        "--interval-minutes", type=int, default=10, help="Per bearing (default 10)."
    )
    parser.add_argument("--n-samples", type=int, default=4096, help="Waveform length.")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp_name:
        tmp = Path(tmp_name)
        _setup_django(tmp)
        import httpx
        from django.conf import settings
        from django.core.management import call_command

        from factory_site import embedded
        from ingestion.client import VendorClient
        from ingestion.run import ingestion_run
        from ingestion.simulator import SimulatorConfig, SimulatorServer
        from monitoring.models import Reading, Waveform
        from monitoring.mongo import collection

        try:
            call_command("migrate", verbosity=0)
            today = dt.datetime.now(dt.UTC).date()
            date_to = today - dt.timedelta(days=1)  # whole days only
            date_from = date_to - dt.timedelta(days=options.days - 1)
            config = SimulatorConfig(
                interval_minutes=options.interval_minutes, n_samples=options.n_samples
            )
            batch_size = settings.INGEST_BATCH_SIZE
            concurrency = settings.INGEST_CONCURRENCY

            # 1. Record the vendor's answers once.
            recorded: dict[str, tuple[int, bytes]] = {}

            class Recording(httpx.HTTPTransport):
                def handle_request(self, request: httpx.Request) -> httpx.Response:
                    response = super().handle_request(request)
                    response.read()
                    recorded[request.url.raw_path.decode()] = (
                        response.status_code,
                        response.content,
                    )
                    return response

            print(f"recording {options.days} day(s) of simulator answers ...", flush=True)
            with (
                SimulatorServer(config) as server,
                VendorClient(
                    server.url, config.api_key, page_size=config.max_page_size,
                    max_concurrency=concurrency, transport=Recording(),
                ) as client,
            ):  # fmt: skip
                ingestion_run(date_from=date_from, date_to=date_to, client=client, dry_run=True)
            _Replay.recorded = recorded
            replay = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
            replay.daemon_threads = True
            threading.Thread(target=replay.serve_forever, daemon=True).start()
            url = f"http://127.0.0.1:{replay.server_address[1]}"

            # 2. End to end.
            print("ingesting ...", flush=True)
            started = time.perf_counter()
            with VendorClient(
                url, config.api_key, page_size=config.max_page_size, max_concurrency=concurrency
            ) as client:
                run = ingestion_run(date_from=date_from, date_to=date_to, client=client)
            e2e_s = time.perf_counter() - started
            n = run.stored
            assert n == collection(Reading).count_documents({}), "every reading stored"
            replay.shutdown()

            # 3. Raw insert_many of the same final documents.
            readings = list(collection(Reading).find())
            waveforms = list(collection(Waveform).find())
            db = collection(Reading).database

            def raw(with_indexes: bool) -> float:
                suffix = "idx" if with_indexes else "noidx"
                pairs = ((Reading, readings), (Waveform, waveforms))
                targets = []
                for model, docs in pairs:
                    target = db[f"bench_raw_{model._meta.db_table}_{suffix}"]
                    target.drop()
                    db.create_collection(target.name)
                    if with_indexes:
                        source = collection(model)
                        for name, spec in source.index_information().items():
                            if name == "_id_":
                                continue
                            extra = {
                                k: v for k, v in spec.items()
                                if k in ("unique", "partialFilterExpression")
                            }  # fmt: skip
                            target.create_index(spec["key"], name=name, **extra)
                    targets.append((target, docs))
                t0 = time.perf_counter()
                for start in range(0, n, batch_size):
                    for target, docs in targets:
                        if docs[start : start + batch_size]:
                            target.insert_many(docs[start : start + batch_size], ordered=True)
                return time.perf_counter() - t0

            raw_idx_s = raw(True)
            raw_plain_s = raw(False)
        finally:
            from django.db import connection

            connection.close()
            embedded.stop(Path(settings.DATABASES["default"]["EMBEDDED_PATH"]))

    e2e = n / e2e_s
    raw_idx = n / raw_idx_s
    raw_plain = n / raw_plain_s
    print()
    print(f"machine: {os.cpu_count()} CPU(s); SecantusDB embedded; batch {batch_size}, "
          f"concurrency {concurrency}")  # fmt: skip
    print(f"backfill: {options.days} day(s), every {options.interval_minutes} min, "
          f"{options.n_samples} samples/waveform, {n} readings "
          f"(+{len(waveforms)} waveforms)")  # fmt: skip
    print(f"end to end (fetch, compute, store, rollups, latest state, alarms): "
          f"{e2e:8.0f} readings/s  ({e2e_s:.1f} s)")  # fmt: skip
    print(f"raw insert_many, same documents, same indexes:           "
          f"{raw_idx:8.0f} readings/s  ({raw_idx_s:.1f} s)")  # fmt: skip
    print(f"raw insert_many, same documents, no indexes (reference):  "
          f"{raw_plain:8.0f} readings/s  ({raw_plain_s:.1f} s)")  # fmt: skip
    ratio = e2e / raw_idx
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(f"ratio end to end / raw (same indexes): {ratio:.2f}  -> {verdict} the {TARGET} target")
    print(f"ratio end to end / raw (no indexes):   {e2e / raw_plain:.2f}")
    per_reading_us = e2e_s / n * 1e6
    signal = _signal_costs(options.n_samples, config.sample_rate_hz)
    print(f"signal per {options.n_samples}-sample record (median us; share of one reading's "
          f"{per_reading_us:.0f} us end to end):")  # fmt: skip
    for name, us in signal.items():
        print(f"  {name:<44} {us:8.1f} us  {us / per_reading_us:6.1%}")


#: End to end must reach this share of raw insert_many of the same documents.
TARGET = 0.6


def _signal_costs(n: int, fs: float) -> dict[str, float]:
    """Median microseconds of each signal stage on one record, as the pipeline runs them."""
    from bench.bench_signal import median_us, record
    from monitoring.vibration.envelope import envelope_analysis
    from monitoring.vibration.indicators import acceleration_indicators, band_velocity
    from monitoring.vibration.kinematics import bearing_fault_frequencies
    from monitoring.vibration.measurement import compute_measurement
    from monitoring.vibration.spectrum import amplitude_spectrum

    shaft_hz = 24.7
    faults = bearing_fault_frequencies(
        shaft_hz=shaft_hz, rolling_elements=9, ball_diameter_mm=7.94, pitch_diameter_mm=38.5
    )
    x = record(n, fs, shaft_hz, faults["bpfo"])
    ingestion = {"group": 2, "foundation": "rigid", "running_speed_hz": shaft_hz,
                 "with_spectrum": False}  # fmt: skip
    runs = 300
    return {
        "acceleration indicators": median_us(lambda: acceleration_indicators(x), runs),
        "velocity (ISO band, leak-free)": median_us(lambda: band_velocity(x, fs), runs),
        "spectrum (Hann; /fft, on demand, not ingestion)": median_us(
            lambda: amplitude_spectrum(x, fs), runs
        ),
        "envelope (4 defects)": median_us(
            lambda: envelope_analysis(x, fs, fault_frequencies=faults), runs
        ),
        "total: compute_measurement as ingestion calls it": median_us(
            lambda: compute_measurement(
                x, fs, **ingestion, fault_frequencies=faults, with_envelope=True
            ),
            runs,
        ),
    }


if __name__ == "__main__":
    bench_main()
