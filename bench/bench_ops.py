"""Operations benchmark: what a Prometheus scrape and a Redis-backed cache hit cost, over HTTP.

    .venv/bin/python bench/bench_ops.py                     # 1,000,000 readings (~16 min)
    .venv/bin/python bench/bench_ops.py --readings 100000   # ~2 min

One run, side by side, request by request (machine noise hits all alike), against gunicorn
with the production settings (bench/run.py's database, data generator and gunicorn, imported):

- ``/health`` vs ``/metrics`` on a server with the default metrics cache (as deployed: the
  database figures are read at most every METRICS_DB_CACHE_SECONDS), and ``/metrics`` on a
  server that reads them on every scrape (METRICS_DB_CACHE_SECONDS=0);
- the dashboard KPIs answered from the cache: local memory vs a real redis-server (Debian's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import endpoints as ep  # noqa: E402
import httpx  # noqa: E402
import run as bench  # noqa: E402

from tests.servers import RedisServer  # noqa: E402

METRICS_TOKEN = "bench-metrics-token"


def measure(targets: dict[str, tuple[str, str, dict]], rounds: int) -> dict[str, dict]:
    """p50/p95/p99 of each target (name -> (base URL, path, headers)), interleaved."""
    clients = {name: httpx.Client(base_url=base, headers=h, timeout=30)
               for name, (base, _, h) in targets.items()}  # fmt: skip
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for index in range(rounds + 20):  # the first 20 rounds warm up
        for name, (_, path, _) in targets.items():
            started = time.perf_counter()
            response = clients[name].get(path)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
            if index >= 20:
                samples[name].append(elapsed)
    for client in clients.values():
        client.close()
    return {name: bench.percentiles(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=500, help="Timed requests per target.")
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fm-bench-ops-"))
    procs = bench.Processes(tmp)
    redis_server = None
    try:
        uri = procs.database_start()
        env = {**os.environ, **bench.django_env(uri, tmp), "METRICS_TOKEN": METRICS_TOKEN}
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        now = ep.utcnow()
        end = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)
        bench.log(f"generating {options.readings:,} readings ...")
        result = procs.datagen(
            env, bench.MAIN_DB, ["--readings", str(options.readings), "--end", end.isoformat()]
        )
        bench.log(f"generated in {result['seconds']:.0f} s")
        token = result["token"]
        redis_server = RedisServer(tmp).start()
        local = procs.gunicorn_start(env, bench.MAIN_DB, token)
        shared = procs.gunicorn_start(
            {**env, "REDIS_URL": redis_server.url, "METRICS_DB_CACHE_SECONDS": "0"},
            bench.MAIN_DB, token,
        )  # fmt: skip
        api = bench.auth_headers(token)
        scrape = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        kpis = "/api/dashboard/kpis"
        targets = {
            "/health": (local.base_url, "/health", {}),
            "/metrics (db figures cached, default)": (local.base_url, "/metrics", scrape),
            "/metrics (db figures every scrape)": (shared.base_url, "/metrics", scrape),
            "kpis cache hit, local memory": (local.base_url, kpis, api),
            "kpis cache hit, Redis": (shared.base_url, kpis, api),
        }
        bench.log(f"measuring {options.requests} requests per target ...")
        figures = measure(targets, options.requests)
        report(options, figures)
    finally:
        procs.stop_all()
        if redis_server is not None:
            redis_server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def report(options: argparse.Namespace, figures: dict[str, dict]) -> None:
    """Print the table and write it to bench/out/."""
    lines = [
        f"Readings: {options.readings:,}; {options.requests} timed requests per target, "
        "interleaved; gunicorn (production settings, 2 sync workers); httpx.",
        "",
        "| target | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for name, p in figures.items():
        lines.append(f"| {name} | {p['p50']:.2f} | {p['p95']:.2f} | {p['p99']:.2f} |")
    health = figures["/health"]["p50"]
    for name in ("/metrics (db figures cached, default)", "/metrics (db figures every scrape)"):
        lines.append(f"\n{name} p50 / /health p50 = {figures[name]['p50'] / health:.2f}")
    text = "\n".join(lines)
    print(text)
    out = Path(os.environ.get("BENCH_OUT_DIR", str(BENCH_DIR / "out")))
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    (out / f"ops-{stamp}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
