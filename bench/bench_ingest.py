"""Ingestion benchmark: end-to-end readings/s against raw insert_many on the same server.

    .venv/bin/python bench/bench_ingest.py [--days 1] [--interval-minutes 10] [--rounds 3]

The defaults are the design cadence (every bearing every 10 minutes, six readings per hourly
rollup bucket); ``--interval-minutes 60`` is the worst case for rollups (one bucket per
reading, so the rollup inserts are as many as the reading inserts).

Starts a throwaway embedded database and the vendor simulator, and:

1. records the simulator's HTTP answers for the backfill once (a dry run through the real
   client), then serves them from a plain loopback HTTP server, so the timed run pays for HTTP,
   JSON and waveform decoding but not for the simulator synthesizing waveforms, which a real
   vendor does on its own machines;
2. times a real backfill into an empty database (fetch, decode, compute, store readings and
   waveforms, maintain rollups and latest state, evaluate the alarm rules, in transactions):
   readings/s end to end;
3. right after, times raw ``insert_many`` of the same final reading and waveform documents,
   in batches of the same size, into fresh collections with the same indexes (and, for
   reference, without indexes) on the same server: the round's ratio;
   steps 2 and 3 repeat (``--rounds``, each on a dropped and re-migrated database, since one
   pair on this shared 2-core machine varied 0.54-0.70), and the median ratio is held to the
   target (end to end >= 0.6x raw);
4. times the signal processing of one record as ingestion calls it (indicators, ISO band
   velocity, spectrum, envelope with the bearing's four fault frequencies; bench_signal's
   record) and prints it in microseconds and as a share of one reading's end-to-end time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_django(tmp: Path) -> None:
    """Local settings on a throwaway embedded database and log folder, DEBUG off as deployed:
    with DEBUG on, django-mongodb-backend logs every write with a deep copy and the repr of
    its documents (a batch's waveforms are tens of MB), which no deployment pays."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "factory_site.settings.local"
    os.environ["DJANGO_DEBUG"] = "False"
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
    parser.add_argument(
        "--rounds", type=int, default=3,
        help="Paired rounds (end to end, then raw) on a fresh database each (default 3).",
    )  # fmt: skip
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp_name:
        tmp = Path(tmp_name)
        _setup_django(tmp)
        from django.conf import settings

        from factory_site import embedded
        from ingestion.simulator import SimulatorConfig

        try:
            config = SimulatorConfig(
                interval_minutes=options.interval_minutes, n_samples=options.n_samples
            )
            today = dt.datetime.now(dt.UTC).date()
            date_to = today - dt.timedelta(days=1)  # whole days only
            date_from = date_to - dt.timedelta(days=options.days - 1)
            _database_fresh()
            url = _replay_start(config, date_from, date_to, options.days)
            rounds = []
            for number in range(1, options.rounds + 1):
                _database_fresh()
                print(f"round {number}: ingesting, then raw insert_many ...", flush=True)
                rounds.append(_round(config, url, date_from, date_to))
        finally:
            from django.db import connection

            connection.close()
            embedded.stop(Path(settings.DATABASES["default"]["EMBEDDED_PATH"]))
    _report(options, config, rounds)


def _database_fresh() -> None:
    """An empty database with the schema (dropped and migrated): each round starts alike."""
    from django.core.management import call_command

    from monitoring.models import Reading
    from monitoring.mongo import collection

    db = collection(Reading).database
    db.client.drop_database(db.name)
    call_command("migrate", verbosity=0)


def _replay_start(config, date_from: dt.date, date_to: dt.date, days: int) -> str:
    """Record the simulator's answers once (a dry run through the real client) and serve
    them from a loopback HTTP server; returns its URL."""
    import httpx
    from django.conf import settings

    from ingestion.client import VendorClient
    from ingestion.run import ingestion_run
    from ingestion.simulator import SimulatorServer

    recorded: dict[str, tuple[int, bytes]] = {}

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            response.read()
            recorded[request.url.raw_path.decode()] = (response.status_code, response.content)
            return response

    print(f"recording {days} day(s) of simulator answers ...", flush=True)
    with (
        SimulatorServer(config) as server,
        VendorClient(
            server.url, config.api_key, page_size=config.max_page_size,
            max_concurrency=settings.INGEST_CONCURRENCY, transport=Recording(),
        ) as client,
    ):  # fmt: skip
        ingestion_run(date_from=date_from, date_to=date_to, client=client, dry_run=True)
    _Replay.recorded = recorded
    replay = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    replay.daemon_threads = True
    threading.Thread(target=replay.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{replay.server_address[1]}"


def _round(config, url: str, date_from: dt.date, date_to: dt.date) -> dict:
    """One paired round: a real backfill into the empty database, then raw insert_many of the
    same final documents (with the same indexes, and without any) on the same server."""
    from django.conf import settings

    from ingestion.client import VendorClient
    from ingestion.run import ingestion_run
    from monitoring.models import Reading, Waveform
    from monitoring.mongo import collection

    started = time.perf_counter()
    with VendorClient(
        url, config.api_key, page_size=config.max_page_size,
        max_concurrency=settings.INGEST_CONCURRENCY,
    ) as client:  # fmt: skip
        run = ingestion_run(date_from=date_from, date_to=date_to, client=client)
    e2e_s = time.perf_counter() - started
    n = run.stored
    assert n == collection(Reading).count_documents({}), "every reading stored"
    docs = {model: list(collection(model).find()) for model in (Reading, Waveform)}
    return {
        "n": n,
        "waveforms": len(docs[Waveform]),
        "e2e_s": e2e_s,
        "raw_idx_s": _raw_insert(docs, n, with_indexes=True),
        "raw_plain_s": _raw_insert(docs, n, with_indexes=False),
    }


def _raw_insert(docs: dict, n: int, *, with_indexes: bool) -> float:
    """Seconds to insert_many the documents into fresh collections, in batches of the
    ingestion's size (readings then waveforms of each batch), with or without its indexes."""
    from django.conf import settings

    from monitoring.mongo import collection

    batch_size = settings.INGEST_BATCH_SIZE
    suffix = "idx" if with_indexes else "noidx"
    targets = []
    for model, model_docs in docs.items():
        source = collection(model)
        target = source.database[f"bench_raw_{model._meta.db_table}_{suffix}"]
        target.drop()
        source.database.create_collection(target.name)
        if with_indexes:
            for name, spec in source.index_information().items():
                if name == "_id_":
                    continue
                extra = {
                    k: v for k, v in spec.items() if k in ("unique", "partialFilterExpression")
                }
                target.create_index(spec["key"], name=name, **extra)
        targets.append((target, model_docs))
    t0 = time.perf_counter()
    for start in range(0, n, batch_size):
        for target, model_docs in targets:
            if model_docs[start : start + batch_size]:
                target.insert_many(model_docs[start : start + batch_size], ordered=True)
    return time.perf_counter() - t0


def _report(options, config, rounds: list[dict]) -> None:
    """Each round's figures, the median ratio against the target, and the signal costs."""
    from django.conf import settings

    first = rounds[0]
    print()
    print(f"machine: {os.cpu_count()} CPU(s); SecantusDB embedded; batch "
          f"{settings.INGEST_BATCH_SIZE}, concurrency {settings.INGEST_CONCURRENCY}")  # fmt: skip
    print(f"backfill: {options.days} day(s), every {options.interval_minutes} min, "
          f"{options.n_samples} samples/waveform, {first['n']} readings "
          f"(+{first['waveforms']} waveforms); {len(rounds)} paired round(s), each on a "
          f"fresh database")  # fmt: skip
    print("round  end to end (fetch, compute, store, rollups, latest state, alarms)  "
          "raw insert_many same indexes / no indexes  ratio same / none")  # fmt: skip
    ratios = []
    for number, r in enumerate(rounds, 1):
        e2e, idx, plain = (r["n"] / r[k] for k in ("e2e_s", "raw_idx_s", "raw_plain_s"))
        ratios.append(e2e / idx)
        print(f"{number:5d}  {e2e:8.0f} readings/s ({r['e2e_s']:5.1f} s)"
              f"{'':36}{idx:8.0f} / {plain:6.0f} readings/s"
              f"{'':10}{e2e / idx:5.2f} / {e2e / plain:4.2f}")  # fmt: skip
    ratio = statistics.median(ratios)
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(
        f"ratio end to end / raw (same indexes), median of {len(rounds)}: {ratio:.2f} "
        f"(range {min(ratios):.2f}-{max(ratios):.2f})  -> {verdict} the {TARGET} target"
    )
    per_reading_us = statistics.median(r["e2e_s"] / r["n"] for r in rounds) * 1e6
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
