"""Where an API request's time goes: database round trips vs Python, per endpoint, in-process.

    .venv/bin/python bench/anatomy.py [--readings 10000] [--requests 20] [--profile ENDPOINT]

Generates a small data set (bench/datagen.py) on a throwaway embedded database, then calls every
endpoint of bench/endpoints.py through Django's test client (production settings, token auth,
dashboard cache off), recording every database command with pymongo's command monitoring. Per
endpoint it prints the median request time, how many database commands one request sends (and
on which collections), the median time spent waiting for them, and the rest: Django, DRF,
serialization and JSON in the worker. No gunicorn or socket between client and view, so the
total is below bench/run.py's HTTP figure by the server and HTTP overhead. ``--profile NAME``
(an endpoint name as printed) adds a cProfile of that endpoint's requests, sorted by
``PROFILE_SORT`` (default cumulative).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for _path in (str(ROOT), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import endpoints as ep  # noqa: E402
import run as bench_run  # noqa: E402
from pymongo import monitoring  # noqa: E402

from factory_site import embedded  # noqa: E402


class Recorder(monitoring.CommandListener):
    """Collects (command, collection, seconds) of every command this thread sends."""

    def __init__(self) -> None:
        self.local = threading.local()

    def start(self) -> None:
        self.local.commands = []

    def take(self) -> list[tuple[str, str, float]]:
        commands, self.local.commands = getattr(self.local, "commands", []), []
        return commands

    def started(self, event) -> None:
        commands = getattr(self.local, "commands", None)
        if commands is not None:
            target = event.command.get(event.command_name)
            where = target if isinstance(target, str) else ""
            commands.append([event.command_name, where, event.request_id, None])

    def _done(self, event) -> None:
        for entry in getattr(self.local, "commands", []):
            if entry[2] == event.request_id and entry[3] is None:
                entry[3] = event.duration_micros / 1e6

    succeeded = failed = _done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=10_000)
    parser.add_argument("--machines", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--profile", metavar="ENDPOINT", help="Also print a cProfile of this endpoint's requests."
    )
    options = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-anatomy-"))
    recorder = Recorder()
    monitoring.register(recorder)  # before Django's client exists
    try:
        uri = embedded.ensure_server(tmp / "db").uri
        env = bench_run.django_env(uri, tmp)
        env["DASHBOARD_CACHE_SECONDS"] = "0"
        os.environ.update(env)
        end = ep.utcnow().replace(second=0, microsecond=0)
        end = end.replace(minute=end.minute - end.minute % 10)
        procs = bench_run.Processes(tmp)
        result = procs.datagen(
            {**os.environ},
            bench_run.MAIN_DB,
            [
                *("--readings", str(options.readings), "--end", end.isoformat()),
                *("--machines", str(options.machines), "--no-check"),
            ],
        )
        import django

        django.setup()
        from django.test import Client
        from pymongo import MongoClient

        headers = {"HTTP_HOST": "127.0.0.1"}
        if result.get("token"):
            headers["HTTP_AUTHORIZATION"] = f"Token {result['token']}"
        client = Client(**headers)
        context = ep.context_for(
            MongoClient(uri)[bench_run.MAIN_DB],
            machine_external_id=bench_run.MACHINE,
            window_end=ep.utcnow(),
        )
        print(
            f"{options.readings:,} readings, {options.machines} machines; median of "
            f"{options.requests} requests after warm-up, in-process (Django test client)\n"
        )
        print(f"{'endpoint':34s} {'total ms':>9s} {'db ms':>7s} {'python ms':>10s} {'cmds':>5s}")
        for endpoint in ep.ENDPOINTS:
            if endpoint.cached:
                continue
            path = endpoint.path(context)
            for _ in range(3):
                assert client.get(path).status_code == 200, path
            totals, db_times, shapes = [], [], Counter()
            for _ in range(options.requests):
                recorder.start()
                t0 = time.perf_counter()
                response = client.get(path)
                totals.append(time.perf_counter() - t0)
                commands = recorder.take()
                assert response.status_code == 200, (path, response.status_code)
                db_times.append(sum(c[3] or 0.0 for c in commands))
                shapes[tuple(f"{c[0]} {c[1]}".strip() for c in commands)] += 1
            total, db = statistics.median(totals) * 1000, statistics.median(db_times) * 1000
            shape = shapes.most_common(1)[0][0]
            print(f"{endpoint.name:34s} {total:9.1f} {db:7.1f} {total - db:10.1f} {len(shape):5d}")
            print(f"{'':34s} {', '.join(shape)}")
            if endpoint.name == options.profile:
                _profile(client, path, options.requests)
    finally:
        embedded.stop(tmp / "db")
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _profile(client, path: str, requests: int) -> None:
    """Print the functions where this endpoint's requests spend their time (cumulative)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(45)


if __name__ == "__main__":
    sys.exit(main())
