"""Export benchmark: /api/export/readings.csv over HTTP vs a raw pymongo cursor + csv.writer.

    .venv/bin/python bench/bench_export.py                     # 1,000,000 readings (~15 min)
    .venv/bin/python bench/bench_export.py --readings 200000   # ~4 min

One run, side by side, on the same SecantusDB and the same rows (every reading, oldest first,
ties by id): the export streamed with httpx from gunicorn (production settings, bench/run.py's
database, data generator and gunicorn, imported), and in this process a pymongo cursor over the
same readings written with csv.writer (the floor any export pays). Rounds alternate the two.
While the export streams, the resident memory (VmRSS) of every gunicorn worker is sampled every
20 ms: its growth over the value before the request (peak and after) is the memory an export
costs; the target is < 50 MB whatever the size, and >= 0.5 x the raw rows per second.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import endpoints as ep  # noqa: E402
import httpx  # noqa: E402
import run as bench  # noqa: E402
from pymongo import MongoClient  # noqa: E402

EXPORT = "/api/export/readings.csv"
SPEED_TARGET = 0.5
MEMORY_TARGET_MB = 50.0


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's worker processes (children, from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Sampler(threading.Thread):
    """Peak VmRSS of each pid, sampled every 20 ms until stopped."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak = pids, {pid: rss_mb(pid) for pid in pids}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_mb(pid))


def http_export(base_url: str, headers: dict, pids: list[int]) -> dict:
    """Stream the export once; rows, seconds, and each worker's memory growth (MB)."""
    before = {pid: rss_mb(pid) for pid in pids}
    sampler = Sampler(pids)
    sampler.start()
    rows, size = -1, 0  # the header row is not counted
    started = time.perf_counter()
    client = httpx.Client(base_url=base_url, headers=headers, timeout=600)
    with client, client.stream("GET", EXPORT) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{EXPORT}: {response.status_code} {response.read()[:300]}")
        for chunk in response.iter_bytes():
            rows += chunk.count(b"\n")
            size += len(chunk)
    seconds = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    after = {pid: rss_mb(pid) for pid in pids}
    return {
        "rows": rows, "seconds": seconds, "bytes": size,
        "peak_growth_mb": max(sampler.peak[p] - before[p] for p in pids),
        "after_growth_mb": max(after[p] - before[p] for p in pids),
        "before_mb": before, "peak_mb": sampler.peak,
    }  # fmt: skip


class Sink:
    """A file that counts what is written to it and keeps nothing."""

    def __init__(self):
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


def raw_export(uri: str, db: str) -> dict:
    """The same readings from a plain pymongo cursor, written with csv.writer."""
    fields = ["acceleration", "velocity", "temperature"]
    projection = {"timestamp": 1, "customer": 1, "area": 1, "machine_id": 1, "bearing_id": 1}
    projection.update({"status": 1, **dict.fromkeys(fields, 1)})
    client = MongoClient(uri)
    sink = Sink()
    writer = csv.writer(sink)
    rows = 0
    started = time.perf_counter()
    cursor = client[db].readings.find({}, projection, batch_size=2000)
    for doc in cursor.sort([("timestamp", 1), ("_id", 1)]):
        acc, vel = doc.get("acceleration") or {}, doc.get("velocity") or {}
        writer.writerow([
            doc["timestamp"].isoformat(), doc["customer"], doc["area"], doc["machine_id"],
            doc["bearing_id"], doc["status"], acc.get("rms"), acc.get("peak"),
            acc.get("crest_factor"), acc.get("kurtosis"), vel.get("rms"), vel.get("peak"),
            vel.get("crest_factor"), doc.get("temperature"),
        ])  # fmt: skip
        rows += 1
    seconds = time.perf_counter() - started
    client.close()
    return {"rows": rows, "seconds": seconds, "bytes": sink.size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2, help="Alternating rounds of each.")
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fm-bench-export-"))
    procs = bench.Processes(tmp)
    try:
        uri = procs.database_start()
        # An export longer than gunicorn's worker timeout would be killed (sync workers):
        # the deployment note in bench/RESULTS.md says what to set.
        env = {**os.environ, **bench.django_env(uri, tmp), "GUNICORN_TIMEOUT": "900"}
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
        server = procs.gunicorn_start(env, bench.MAIN_DB, result["token"])
        headers = bench.auth_headers(result["token"])
        pids = worker_pids(server.process.pid)
        bench.log(f"gunicorn workers {pids}")
        httpx.get(f"{server.base_url}{EXPORT}?start=2000-01-01T00:00:00Z&end=2000-01-02T00:00:00Z",
                  headers=headers)  # fmt: skip
        runs: dict[str, list[dict]] = {"http": [], "raw": []}
        for index in range(options.rounds):
            bench.log(f"round {index + 1}: raw cursor ...")
            runs["raw"].append(raw_export(uri, bench.MAIN_DB))
            bench.log(f"round {index + 1}: HTTP export ...")
            runs["http"].append(http_export(server.base_url, headers, pids))
        report(options, runs)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def report(options: argparse.Namespace, runs: dict[str, list[dict]]) -> None:
    """Print the table and write it to bench/out/."""
    best = {name: min(items, key=lambda r: r["seconds"]) for name, items in runs.items()}
    if best["http"]["rows"] != best["raw"]["rows"]:
        raise RuntimeError(f"row counts differ: {best['http']['rows']} vs {best['raw']['rows']}")
    rate = {name: r["rows"] / r["seconds"] for name, r in best.items()}
    ratio = rate["http"] / rate["raw"]
    peak = max(r["peak_growth_mb"] for r in runs["http"])
    after = max(r["after_growth_mb"] for r in runs["http"])
    lines = [
        f"Readings: {options.readings:,}; {options.rounds} alternating rounds, best of each; "
        "gunicorn (production settings, 2 sync workers); httpx streaming.",
        "",
        "| path | rows | s (each round) | rows/s (best) | MB of CSV |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, title in (("raw", "pymongo cursor + csv.writer"), ("http", f"HTTP {EXPORT}")):
        secs = ", ".join(f"{r['seconds']:.1f}" for r in runs[name])
        lines.append(
            f"| {title} | {best[name]['rows']:,} | {secs} | {rate[name]:,.0f} | "
            f"{best[name]['bytes'] / 1e6:.1f} |"
        )
    lines += [
        "",
        f"HTTP export / raw cursor throughput = {ratio:.2f} (target >= {SPEED_TARGET}): "
        f"{'met' if ratio >= SPEED_TARGET else 'NOT met'}",
        f"worker VmRSS growth during the export: peak {peak:.1f} MB, after {after:.1f} MB "
        f"(target < {MEMORY_TARGET_MB:.0f} MB): {'met' if peak < MEMORY_TARGET_MB else 'NOT met'}",
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(os.environ.get("BENCH_OUT_DIR", str(BENCH_DIR / "out")))
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    (out / f"export-{stamp}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
