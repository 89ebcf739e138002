"""API benchmark: endpoint latency at 100,000 and 1,000,000 readings, against raw pymongo, and
a load run, in one command (issue 5, "The benchmark" and "Targets").

    .venv/bin/python bench/run.py                     # the full run (~15 min on 2 cores)
    .venv/bin/python bench/run.py --quick             # smoke run: a few thousand readings
    .venv/bin/python bench/run.py --sizes 100000,1000000 --requests 100 --load-seconds 60 \
        --clients 16
    .venv/bin/python bench/run.py --only alarms,kpis --load-seconds 10   # a subset

Everything runs on a throwaway embedded SecantusDB in a temp folder, stopped on exit (Ctrl-C
and errors included) together with every gunicorn the run started:

1. database ``bench`` gets the plant (100 machines x 4 bearings, one reading per bearing every
   10 minutes, seeded; bench/datagen.py writes readings, rollups and latest state with the
   functions ingestion uses) and the first size of readings; gunicorn serves it
   (gunicorn.conf.py with production settings, 2 sync workers, access log off:
   bench/gunicorn_conf.py), twice: with the dashboard cache off (every request computes) and
   on (as deployed). ``--first-pass`` measures it there and then;
2. an identical frozen copy of each smaller size is generated (``bench_ref_<n>``, served the
   same way), then ``bench`` grows to the largest size by adding older history;
3. every endpoint is measured at every size side by side: the HTTP request (the standard
   library's http.client, after warm-up; list and detail endpoints also through httpx, a
   reference column showing the heavier client's own cost) and the raw pymongo work returning
   the same answer, on each data set, in turn, request by request, so machine noise hits them
   all alike. Each answer is checked once per size (HTTP and raw return the same ids and
   counts);
4. load run: ``--clients`` concurrent clients for ``--load-seconds`` over a weighted mix
   against the largest data set as deployed; when some endpoints were too slow (over 2 s or
   failed), a diagnostic run without them goes first. ``--only NAME[,NAME]`` measures the
   endpoints whose names contain one of the NAMEs (substring match) and draws the load run's
   mix from them alone, and only when ``--load-seconds`` is given (else no load run);
5. the results table is printed and written as markdown (machine, versions, command, storage
   figures from collStats) to bench/out/ (gitignored), with a JSON file of every figure.

Requests carry ``Authorization: Token <key>`` when DRF token authentication is installed; the
per-user API throttle is raised for the bench user (16 clients share one token) but stays on.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import importlib.metadata
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for _path in (str(ROOT), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import endpoints as ep  # noqa: E402
import httpx  # noqa: E402
import pymongo  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from factory_site import embedded  # noqa: E402

# Outputs go to the checkout the command was started from, even when running from a snapshot.
OUT_DIR = Path(os.environ.get("BENCH_OUT_DIR", str(BENCH_DIR / "out")))
MAIN_DB = "bench"
MACHINE = "BM-00007"  # the machine the per-machine endpoints ask about
FLAT_TARGET = 1.3
RAW_TARGET = 2.0
TAIL_TARGET = 5.0
# gunicorn.conf.py's worker timeout is 30 s: a request still running then is killed (an error).
HTTP_TIMEOUT_S = 45.0
RAW_CAP_S = 35.0  # raw queries past this are cut (maxTimeMS) and reported as failed
STARTED = time.monotonic()


def log(message: str) -> None:
    """Progress on stdout, with the time since start."""
    elapsed = int(time.monotonic() - STARTED)
    print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {message}", flush=True)


def label(size: int) -> str:
    """100000 -> 100k, 1000000 -> 1M."""
    if size >= 1_000_000 and size % 100_000 == 0:
        return f"{size / 1_000_000:g}M"
    if size >= 1000 and size % 100 == 0:
        return f"{size / 1000:g}k"
    return str(size)


def percentiles(samples: list[float]) -> dict:
    """p50/p95/p99 and count of latencies in seconds, reported in milliseconds."""
    if not samples:
        return {"n": 0, "p50": None, "p95": None, "p99": None}
    arr = np.asarray(samples) * 1000.0
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    return {"n": len(samples), "p50": float(p50), "p95": float(p95), "p99": float(p99)}


# --------------------------------------------------------------------------------------------
# Processes: the database, data generation, gunicorn
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_env(uri: str, tmp: Path) -> dict[str, str]:
    """Production settings on the throwaway database (per-process MONGODB_NAME comes later)."""
    alphabet = string.ascii_letters + string.digits
    return {
        "MONGODB_URI": uri,
        "MONGODB_NAME": MAIN_DB,
        "DJANGO_SETTINGS_MODULE": "factory_site.settings.production",
        "DJANGO_SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(50)),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "LOG_DIR": str(tmp / "log"),
        "LOG_LEVEL": "WARNING",
        # One bench user drives 16 clients: lift its per-user rate limit (the throttle still
        # runs). A one-second period keeps the throttle's history as short as production's.
        "API_THROTTLE_USER": "1000000/second",
        "API_THROTTLE_ANON": "1000000/second",
    }


@dataclass
class Server:
    """One gunicorn serving one database."""

    db: str
    port: int
    process: subprocess.Popen
    log_path: Path
    cache: bool = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Processes:
    """Starts and always stops what the benchmark runs: the database and gunicorns."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.db_path = tmp / "db"
        self.servers: list[Server] = []
        self.children: list[subprocess.Popen] = []
        self.uri: str | None = None

    def database_start(self) -> str:
        state = embedded.ensure_server(self.db_path)
        self.uri = state.uri
        log(f"embedded SecantusDB pid {state.pid} at {state.uri} ({self.db_path})")
        return state.uri

    def datagen(self, env: dict, db: str, args: list[str]) -> dict:
        """Run bench/datagen.py for one database in a child process; return its JSON line."""
        command = [sys.executable, str(BENCH_DIR / "datagen.py"), *args]
        child = subprocess.Popen(
            # A bulk load keeps SecantusDB busy for seconds at a time: with the default 2 s
            # timeout pymongo's heartbeat would mark it unknown and cancel the running command.
            command, cwd=ROOT, env={**env, "MONGODB_NAME": db, "MONGODB_TIMEOUT_MS": "120000"},
            stdout=subprocess.PIPE,
            text=True, start_new_session=True,
        )  # fmt: skip
        self.children.append(child)
        try:
            out, _ = child.communicate()
        finally:
            self._stop_child(child)
            self.children.remove(child)
        if child.returncode != 0 and not out.strip():
            raise RuntimeError(f"datagen for {db} failed with exit code {child.returncode}")
        result = json.loads(out.strip().splitlines()[-1])
        if result.get("problems"):
            raise RuntimeError(f"datagen for {db}: rollups disagree: {result['problems']}")
        return result

    def gunicorn_start(
        self, env: dict, db: str, token: str | None, *, cache: bool = True
    ) -> Server:
        port = free_port()
        log_path = self.tmp / f"gunicorn-{db}-{'cache' if cache else 'nocache'}.log"
        server_env = {
            **env,
            "MONGODB_NAME": db,
            # Off: every dashboard request computes its answer (what a cache miss costs).
            **({} if cache else {"DASHBOARD_CACHE_SECONDS": "0"}),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_ERROR_LOG": "-",
            "GUNICORN_LOG_LEVEL": "warning",
        }
        with open(log_path, "ab") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(BENCH_DIR / "gunicorn_conf.py")],
                cwd=ROOT, env=server_env, stdout=handle, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        server = Server(db=db, port=port, process=process, log_path=log_path, cache=cache)
        self.servers.append(server)
        deadline = time.monotonic() + 60
        headers = auth_headers(token)
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn for {db} exited:\n{tail(log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                response = httpx.get(f"{server.base_url}/health", timeout=2)
                if response.status_code == 200:
                    probe = httpx.get(f"{server.base_url}/api/machines", headers=headers)
                    if probe.status_code != 200:
                        raise RuntimeError(
                            f"/api/machines on {db}: {probe.status_code} {probe.text[:300]}"
                        )
                    log(
                        f"gunicorn pid {process.pid} serves {db} on {server.base_url} "
                        f"(dashboard cache {'on' if cache else 'off'})"
                    )
                    return server
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn for {db} not healthy in 60 s:\n{tail(log_path)}")
            time.sleep(0.25)

    @staticmethod
    def _stop_child(child: subprocess.Popen, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL to the child's own process group (it has its own session)."""
        if child.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait(5)

    def stop_all(self) -> None:
        for child in list(self.children):
            self._stop_child(child)
        for server in self.servers:
            self._stop_child(server.process)
            log(f"stopped gunicorn for {server.db} (cache {'on' if server.cache else 'off'})")
        self.servers.clear()
        if self.uri is not None:
            embedded.stop(self.db_path)
            log("stopped the embedded database")
            self.uri = None


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def auth_headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Token {token}"} if token else {}


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


class RequestFailed(RuntimeError):
    """A benchmarked request did not answer 200 (or a raw query hit its time cap)."""


@dataclass
class Target:
    """One thing timed in a measurement round: an HTTP request or its raw equivalent."""

    key: str
    call: Callable[[], object]
    samples: list[float] = field(default_factory=list)
    error: str | None = None


@dataclass
class LeanResponse:
    """Status and body of one LeanClient request."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self):
        return json.loads(self.content)


class LeanClient:
    """GET over the standard library's http.client: the client the latencies are timed with.

    httpx builds request and response models, normalises headers and runs a connection pool in
    Python: ~0.3-0.4 ms per request on this machine (bench/RESULTS.md, the httpx column), as
    much as Django and DRF add to a detail request, and the client's cost, not the server's.
    One connection, reopened when the server closes it (gunicorn's sync workers close after
    every response, as they would behind a proxy).
    """

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Accept": "application/json", **headers}
        self.timeout = timeout
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def get(self, path: str) -> LeanResponse:
        for attempt in (1, 2):
            reused = self.connection.sock is not None
            try:
                self.connection.request("GET", path, headers=self.headers)
                response = self.connection.getresponse()
                return LeanResponse(response.status, response.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                # A kept-alive connection the server had closed meanwhile: retry once, fresh.
                if not reused or attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self.connection.close()
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


HTTP_ERRORS = (OSError, http.client.HTTPException, httpx.HTTPError)


def http_call(client: LeanClient | httpx.Client, url: str) -> Callable[[], object]:
    def call() -> object:
        try:
            response = client.get(url)
        except HTTP_ERRORS as exc:  # e.g. gunicorn killed the worker at its timeout
            raise RequestFailed(f"GET {url}: {exc!r}") from None
        if response.status_code != 200:
            raise RequestFailed(f"GET {url}: {response.status_code} {response.text[:200]}")
        return response

    return call


def raw_call(endpoint: ep.Endpoint, context: ep.Context, cap_s: float) -> Callable[[], object]:
    """The raw equivalent under a client-side time cap (pymongo CSOT: sends maxTimeMS)."""

    def call() -> object:
        try:
            with pymongo.timeout(cap_s):
                return endpoint.raw(context)
        except pymongo.errors.PyMongoError as exc:
            raise RequestFailed(f"raw {endpoint.name}: {type(exc).__name__} after cap") from None

    return call


def db_quiesce(mongo: MongoClient, *, cap_s: float = 300.0) -> float:
    """Wait until the database answers pings promptly again; return seconds waited.

    A request that gunicorn abandoned at its timeout leaves its query running in SecantusDB
    (killOp only closes sockets); while it runs, its thread holds the server's interpreter lock
    and every other query waits, so measuring on would charge that work to the next endpoint.
    """
    started = time.monotonic()
    prompt = 0
    while time.monotonic() - started < cap_s and prompt < 5:
        t0 = time.perf_counter()
        mongo.admin.command("ping")
        prompt = prompt + 1 if time.perf_counter() - t0 < 0.003 else 0
        time.sleep(0.2)
    return time.monotonic() - started


def _timed(target: Target, on_error: Callable[[], None]) -> float | None:
    t0 = time.perf_counter()
    try:
        target.call()
    except RequestFailed as exc:
        target.error = str(exc)
        on_error()
        return None
    return time.perf_counter() - t0


def measure(
    targets: list[Target], *, rounds: int, budget_s: float, on_error: Callable[[], None]
) -> None:
    """Time the targets in turn, round after round (rotating who goes first), so they share
    the machine's noise; stop after ``rounds`` or ``budget_s``.

    The first call of each target warms it up. Slow targets get fewer samples: if the slowest
    first call took over 2 s, one round is enough; one over 10 s is itself the only sample. A
    target that fails (HTTP error or timeout, raw over its cap) is not called again.
    """
    first = {}
    for target in targets:
        first[target.key] = _timed(target, on_error)
    slowest = max((t for t in first.values() if t is not None), default=0.0)
    live = [t for t in targets if t.error is None]
    if slowest > 10:
        for target in live:
            target.samples.append(first[target.key])
        return
    if slowest < 1:
        for target in live:
            for _ in range(2):
                _timed(target, on_error)
    min_rounds = 5 if slowest < 2 else 1
    started = time.monotonic()
    for n in range(rounds):
        live = [t for t in targets if t.error is None]
        if not live:
            return
        shift = n % len(live)
        for target in live[shift:] + live[:shift]:
            elapsed = _timed(target, on_error)
            if elapsed is not None:
                target.samples.append(elapsed)
        if n + 1 >= min_rounds and time.monotonic() - started > budget_s:
            break


@dataclass
class Site:
    """One data set as the benchmark sees it: its size, server, raw client and context."""

    size: int
    server: Server  # dashboard cache off: every request computes its answer
    context: ep.Context
    client: LeanClient
    cached_server: Server  # dashboard cache on, as deployed
    cached_client: LeanClient
    httpx_client: httpx.Client  # the reference column: the same requests through httpx

    def close(self) -> None:
        for client in (self.client, self.cached_client, self.httpx_client):
            client.close()


def answer_check(endpoint: ep.Endpoint, site: Site, cap_s: float) -> str | None:
    """Compare HTTP's answer with raw's (retrying: a window may move between the two)."""
    problem = None
    for _ in range(3):
        try:
            response = http_call(site.client, endpoint.path(site.context))()
            problem = endpoint.check(response.json(), raw_call(endpoint, site.context, cap_s)())
        except RequestFailed as exc:
            return f"not compared: {exc}"
        if problem is None:
            return None
        time.sleep(0.2)
    return problem


def measure_sites(
    sites: list[Site],
    mongo: MongoClient,
    *,
    rounds: int,
    budget_s: float,
    cap_s: float,
    names: set[str] | None = None,
) -> dict:
    """Endpoints (all, or ``names``) on every site, HTTP and raw interleaved; stats each."""
    results: dict = {}
    for endpoint in ep.ENDPOINTS:
        if names is not None and endpoint.name not in names:
            continue
        targets: list[Target] = []
        for site in sites:
            url = endpoint.path(site.context)
            client = site.cached_client if endpoint.cached else site.client
            targets.append(Target(f"http@{site.size}", http_call(client, url)))
            if endpoint.kind in ("list", "detail") and site is sites[-1]:
                targets.append(Target(f"httpx@{site.size}", http_call(site.httpx_client, url)))
            if endpoint.raw is not None:
                targets.append(Target(f"raw@{site.size}", raw_call(endpoint, site.context, cap_s)))

        def settle(name=endpoint.name) -> None:
            waited = db_quiesce(mongo)
            log(f"    {name}: a call failed; waited {waited:.0f} s for the database to settle")

        measure(targets, rounds=rounds, budget_s=budget_s, on_error=settle)
        checks = {}
        for site in sites:
            failed = [t.error for t in targets if t.key.endswith(f"@{site.size}") and t.error]
            if failed:
                checks[site.size] = f"not compared: {failed[0]}"
            elif endpoint.check is not None:
                checks[site.size] = answer_check(endpoint, site, cap_s)
            else:
                checks[site.size] = None
        row: dict = {"checks": checks}
        for site in sites:  # HTTP-only rows get an empty raw entry
            row[f"raw@{site.size}"] = {"n": 0, "p50": None, "p95": None, "p99": None}
            row[f"raw@{site.size}"]["error"] = None
        for target in targets:
            row[target.key] = {**percentiles(target.samples), "error": target.error}
        results[endpoint.name] = row
        summary = "  ".join(
            f"{label(s.size)}: http {_p50(row[f'http@{s.size}'])} / raw "
            f"{_p50(row[f'raw@{s.size}'])} ms"
            for s in sites
        )
        bad = {label(k): " ".join(v.split())[:160] for k, v in checks.items() if v}
        log(f"  {endpoint.name:32s} p50 {summary}" + (f"  CHECK: {bad}" if bad else ""))
    return results


def _p50(stats: dict) -> str:
    if stats.get("error"):
        return "FAILED"
    if stats.get("p50") is None:
        return "—"
    return f"{stats['p50']:.1f}"


def load_run(
    site: Site,
    *,
    clients: int,
    seconds: float,
    token: str | None,
    seed: int,
    exclude: set[str] = frozenset(),
    only: set[str] | None = None,
) -> dict:
    """``clients`` threads, each with its own keep-alive client, over the weighted mix (of the
    ``only`` endpoints when given)."""
    mix = [
        (e, e.path(site.context))
        for e in ep.ENDPOINTS
        if e.load_weight and e.name not in exclude and (only is None or e.name in only)
    ]
    weights = [e.load_weight for e, _ in mix]
    records: list[tuple[str, float, bool]] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        rng = random.Random(seed + index)
        mine, mine_errors = [], []
        with httpx.Client(
            base_url=site.cached_server.base_url,
            headers=auth_headers(token),
            timeout=HTTP_TIMEOUT_S,
        ) as client:
            while time.monotonic() < deadline:
                endpoint, url = rng.choices(mix, weights)[0]
                t0 = time.perf_counter()
                try:
                    response = client.get(url)
                    ok = response.status_code == 200
                    if not ok:
                        mine_errors.append(f"{url}: {response.status_code}")
                except httpx.HTTPError as exc:
                    ok = False
                    mine_errors.append(f"{url}: {exc!r}")
                mine.append((endpoint.name, time.perf_counter() - t0, ok))
        with lock:
            records.extend(mine)
            errors.extend(mine_errors)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    latencies = [r[1] for r in records]
    overall = percentiles(latencies)
    per_endpoint = {}
    for endpoint, _ in mix:
        per_endpoint[endpoint.name] = percentiles([r[1] for r in records if r[0] == endpoint.name])
    return {
        "clients": clients,
        "seconds": wall,
        "requests": len(records),
        "rps": len(records) / wall if wall else 0.0,
        "errors": len(errors),
        "error_examples": errors[:5],
        **{k: overall[k] for k in ("p50", "p95", "p99")},
        "tail_ratio": overall["p99"] / overall["p50"] if overall["p50"] else None,
        "per_endpoint": per_endpoint,
        "mix": {e.name: e.load_weight for e, _ in mix},
        "excluded": sorted(exclude),
        "only": None if only is None else sorted(e.name for e, _ in mix),
    }


# --------------------------------------------------------------------------------------------
# Storage figures
# --------------------------------------------------------------------------------------------


def storage_figures(db) -> dict:
    """collStats per collection and per-reading costs (SecantusDB: uncompressed BSON bytes and
    packed index-key bytes, i.e. before any block compression a real MongoDB would apply)."""
    stats = {}
    for name in ep.STATS_COLLECTIONS:
        with contextlib.suppress(Exception):
            raw = db.command("collStats", name)
            stats[name] = {
                k: raw.get(k)
                for k in ("count", "size", "avgObjSize", "totalIndexSize", "indexSizes")
            }
    readings = stats.get("readings", {})
    n = readings.get("count") or 0
    per_reading = {}
    if n:
        bearing_rollups = stats.get("rollups_bearing_hourly", {})
        area_rollups = stats.get("rollups_area_hourly", {})
        spectra = stats.get("spectra", {})
        per_reading = {
            "reading_doc_bytes": readings["size"] / n,
            "reading_index_bytes": readings["totalIndexSize"] / n,
            "reading_index_bytes_by_index": {
                k: v / n for k, v in (readings.get("indexSizes") or {}).items()
            },
            "bearing_rollup_bytes": (
                bearing_rollups.get("size", 0) + bearing_rollups.get("totalIndexSize", 0)
            )
            / n,
            "bearing_rollup_doc_bytes": bearing_rollups.get("avgObjSize"),
            "area_rollup_bytes": (
                area_rollups.get("size", 0) + area_rollups.get("totalIndexSize", 0)
            )
            / n,
            "spectrum_doc_bytes": spectra.get("avgObjSize"),
            "spectrum_index_bytes": (spectra.get("totalIndexSize", 0) / spectra["count"])
            if spectra.get("count")
            else None,
        }
    return {"collections": stats, "per_reading": per_reading}


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def machine_facts(client: MongoClient) -> dict:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in (
        "django", "djangorestframework", "django-mongodb-backend", "pymongo", "gunicorn",
        "httpx", "secantusdb",
    ):  # fmt: skip
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    with contextlib.suppress(Exception):
        versions["server reports"] = client.admin.command("buildInfo").get("version")
    commit = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        if dirty:
            commit += " (with uncommitted changes)"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "commit": commit,
        "loadavg_start": os.getloadavg(),
    }


def _ms(stats: dict | None) -> str:
    if not stats:
        return "—"
    if stats.get("error"):
        return "FAILED" + (f" ({stats['n']} ok before)" if stats.get("n") else "")
    if stats.get("p50") is None:
        return "—"
    text = f"{stats['p50']:.1f} / {stats['p95']:.1f}"
    return text if stats["n"] >= 5 else f"{text} (n={stats['n']})"


def _ratio(a: dict, b: dict) -> float | None:
    if a.get("p50") is None or b.get("p50") is None or a.get("error") or b.get("error"):
        return None
    return a["p50"] / b["p50"]


def _fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "**FAIL**")


def results_table(results: dict, sizes: list[int]) -> tuple[str, dict]:
    """The main markdown table and the verdicts it shows."""
    small, large = sizes[0], sizes[-1]
    s, lg = label(small), label(large)
    head = (
        f"| endpoint | HTTP p50 / p95 ms @{s} | HTTP p50 / p95 ms @{lg} | p50 {lg}/{s} "
        f"| ≤ {FLAT_TARGET} | raw p50 / p95 ms @{lg} | HTTP/raw p50 @{lg} | ≤ {RAW_TARGET:g} "
        f"| via httpx: HTTP/raw @{lg} | same answer |\n"
        "|---|---:|---:|---:|:-:|---:|---:|:-:|---:|:-:|\n"
    )
    lines = []
    verdicts: dict = {}
    for endpoint in ep.ENDPOINTS:
        row = results.get(endpoint.name)
        if row is None:
            continue
        http_small, http_large = row[f"http@{small}"], row[f"http@{large}"]
        raw_large = row[f"raw@{large}"]
        growth, overhead = _ratio(http_large, http_small), _ratio(http_large, raw_large)
        via_httpx = row.get(f"httpx@{large}")
        httpx_overhead = _ratio(via_httpx, raw_large) if via_httpx else None
        failed = http_large.get("error") is not None
        flat_ok = raw_ok = None
        if endpoint.flat:
            flat_ok = False if failed or growth is None else growth <= FLAT_TARGET
        if endpoint.kind in ("list", "detail"):
            raw_ok = False if failed or overhead is None else overhead <= RAW_TARGET
        problems = {label(k): v for k, v in row["checks"].items() if v}
        compared = all(not v or v.startswith("not compared") for v in problems.values())
        verdicts[endpoint.name] = {
            "flat": flat_ok,
            "raw": raw_ok,
            "answers": compared,
            "failed": failed,
        }
        if endpoint.check is None:
            answer = "—"
        elif not problems:
            answer = "yes"
        elif compared:
            answer = "not compared @" + ", ".join(problems)
        else:
            answer = "NO: " + "; ".join(problems.values())
        lines.append(
            f"| {endpoint.name} | {_ms(http_small)} | {_ms(http_large)} | {_fmt_ratio(growth)} "
            f"| {_verdict(flat_ok)} | {_ms(raw_large)} | {_fmt_ratio(overhead)} "
            f"| {_verdict(raw_ok)} | {_fmt_ratio(httpx_overhead)} | {answer} |"
        )
    return head + "\n".join(lines) + "\n", verdicts


def failures_text(results: dict) -> str:
    lines = []
    for name, row in results.items():
        for key, stats in row.items():
            if key != "checks" and stats.get("error"):
                error = " ".join(stats["error"].split())
                if "<title>Internal Server Error</title>" in error:
                    error = error.split("<html>")[0] + "gunicorn's 500 page (worker timeout)"
                lines.append(f"- {name}, {key.replace('@', ' @')}: {error[:200]}")
    return "\n".join(lines)


def detail_table(results: dict, sizes: list[int]) -> str:
    cols = []
    for size in sizes:
        cols += [f"HTTP @{label(size)}", f"raw @{label(size)}", f"HTTP/raw @{label(size)}"]
    head = "| endpoint | raw equivalent | " + " | ".join(cols) + " |\n"
    head += "|---|---|" + "---:|" * len(cols) + "\n"
    lines = []
    for endpoint in ep.ENDPOINTS:
        row = results.get(endpoint.name)
        if row is None:
            continue
        cells = []
        for size in sizes:
            http, raw = row[f"http@{size}"], row[f"raw@{size}"]
            cells += [_ms(http), _ms(raw), _fmt_ratio(_ratio(http, raw))]
        lines.append(f"| {endpoint.name} | {endpoint.note} | " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"


def load_table(load: dict) -> str:
    tail = load["tail_ratio"]
    tail_ok = tail is not None and tail < TAIL_TARGET
    p = {k: "—" if load[k] is None else f"{load[k]:.1f}" for k in ("p50", "p95", "p99")}
    text = (
        f"| clients | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | p99/p50 "
        f"(< {TAIL_TARGET:g}) | errors (must be 0) |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---|---|\n"
        f"| {load['clients']} | {load['seconds']:.0f} | {load['requests']} | {load['rps']:.1f} "
        f"| {p['p50']} | {p['p95']} | {p['p99']} "
        f"| {_fmt_ratio(tail)} {_verdict(tail_ok)} "
        f"| {load['errors']} {_verdict(load['errors'] == 0)} |\n\n"
        "| endpoint (weight) | requests | p50 ms | p99 ms |\n|---|---:|---:|---:|\n"
    )
    for name, stats in load["per_endpoint"].items():
        p50 = f"{stats['p50']:.1f}" if stats["p50"] is not None else "—"
        p99 = f"{stats['p99']:.1f}" if stats["p99"] is not None else "—"
        text += f"| {name} ({load['mix'][name]}) | {stats['n']} | {p50} | {p99} |\n"
    if load["error_examples"]:
        text += "\nErrors, first few: " + "; ".join(load["error_examples"]) + "\n"
    return text


def storage_table(storage: dict) -> str:
    text = "| collection | documents | data bytes | avg doc bytes | index bytes |\n"
    text += "|---|---:|---:|---:|---:|\n"
    for name, s in storage["collections"].items():
        text += (
            f"| {name} | {s.get('count') or 0:,} | {s.get('size') or 0:,} "
            f"| {s.get('avgObjSize') or 0:,.0f} | {s.get('totalIndexSize') or 0:,} |\n"
        )
    per = storage["per_reading"]
    if per:
        text += (
            f"\nPer reading: document {per['reading_doc_bytes']:.0f} B, its indexes "
            f"{per['reading_index_bytes']:.0f} B ("
            + ", ".join(f"{k} {v:.0f}" for k, v in per["reading_index_bytes_by_index"].items())
            + f"), bearing rollups {per['bearing_rollup_bytes']:.0f} B "
            f"(one {per['bearing_rollup_doc_bytes']:.0f} B document per bearing-hour), "
            f"area rollups {per['area_rollup_bytes']:.1f} B; a spectrum document "
            f"{per['spectrum_doc_bytes'] or 0:.0f} B (+{per['spectrum_index_bytes'] or 0:.0f} B "
            "index).\n"
        )
    return text


def _load_what(load: dict) -> str:
    if load.get("only") is not None:
        what = "the mix of " + "; ".join(load["only"]) + " (--only)"
    else:
        what = "the full mix"
    if load["excluded"]:
        what += " without " + ", ".join(load["excluded"]) + " (diagnostic)"
    return what


def report(run: dict) -> tuple[str, dict]:
    sizes = run["sizes"]
    table, verdicts = results_table(run["side_by_side"], sizes)
    machine = run["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    gen_lines = "\n".join(f"- {line}" for line in run["generation_notes"])
    failures = failures_text(run["side_by_side"])
    lines = [
        "# API benchmark results",
        "",
        f"Command: `{run['command']}`  ",
        f"Run: {run['started']} UTC, {run['minutes']:.1f} min; code: {run['code']}  ",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['platform']}, Python "
        f"{machine['python']}; load average at start "
        f"{', '.join(f'{x:.2f}' for x in machine['loadavg_start'])}, at end "
        f"{', '.join(f'{x:.2f}' for x in run['loadavg_end'])}  ",
        f"Versions: {versions}  ",
        f"Data: {run['plant']}; sizes {', '.join(label(s) for s in sizes)} readings "
        f"(the larger grown from the smaller by adding older history); seed {run['seed']}. "
        f"Served by gunicorn.conf.py (2 sync workers, worker timeout 30 s, access log off), "
        f"production settings, token auth {'on' if run['token'] else 'not installed'}."
        + (f" Endpoints measured (--only): {'; '.join(run['only'])}." if run.get("only") else ""),
        "",
        "## Endpoints",
        "",
        "p50 / p95 in ms over repeated requests after warm-up, measured side by side: for each "
        "endpoint, the HTTP request (the standard library's http.client; for list and detail "
        "endpoints also through httpx, for reference) and its raw pymongo equivalent on each "
        f"data set were timed in turn, up to {run['rounds']} rounds or {run['budget_s']:.0f} s; "
        "calls over 2 s got one round and calls over 10 s one sample (n shown when under 5). "
        "FAILED: the request errored or exceeded gunicorn's 30 s worker timeout, or the raw query "
        f"exceeded {RAW_CAP_S:.0f} s. Targets: p50 {label(sizes[-1])}/{label(sizes[0])} ≤ "
        f"{FLAT_TARGET} for machines, latest-readings, kpis, the trends, alarms and "
        f"alarms/summary; HTTP/raw ≤ {RAW_TARGET:g} for list and detail endpoints (alarms/summary "
        "counted as a detail). Dashboard rows are served with the "
        "dashboard cache off (DASHBOARD_CACHE_SECONDS=0: every request computes its answer, "
        "as every cache miss does); the rows marked cached come from a second gunicorn per "
        "data set with the default settings (30 s cache in each worker's memory).",
        "",
        table,
    ]
    if failures:
        lines += ["Failed calls:", "", failures, ""]
    for load in run["loads"]:
        what = _load_what(load)
        lines += [
            f"## Load run: {what}",
            "",
            f"{load['clients']} concurrent clients (threads, one httpx client each) for "
            f"{load['seconds']:.0f} s against the {label(sizes[-1])} data set served as deployed "
            "(dashboard cache on), endpoints drawn by weight.",
            "",
            load_table(load),
        ]
    lines += [
        "## Details",
        "",
        "Every size, side by side (p50 / p95 ms):",
        "",
        detail_table(run["side_by_side"], sizes),
    ]
    if run.get("first_pass"):
        lines += [
            f"First pass at {label(sizes[0])}, before growth (sequential with the rest of the "
            "run, so not comparable across sizes):",
            "",
            detail_table(run["first_pass"], sizes[:1]),
        ]
    lines += [
        f"Storage of the {label(run['storage_size'])}-reading data set (collStats; SecantusDB "
        "reports uncompressed BSON bytes and packed index-key bytes; per-reading figures do not "
        "depend on the size):",
        "",
        storage_table(run["storage"]),
        "Data generation:",
        "",
        gen_lines,
        "",
    ]
    return "\n".join(lines), verdicts


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def code_snapshot(commit: str | None, dest: Path) -> str:
    """Copy the code to measure into ``dest``; return a description of it.

    Without ``commit``: the working tree (tracked and untracked files git does not ignore).
    With one: that commit's tree (``git archive``, read-only) plus this checkout's bench/.
    The benchmark then runs entirely from the copy, because gunicorn workers import views and
    selectors on their first request: a worker restarted mid-run (after a timeout) would
    otherwise measure whatever code is on disk by then.
    """

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True)

    dest.mkdir(parents=True)
    head = git("rev-parse", "--short", "HEAD").stdout.decode().strip()
    if commit:
        rev = git("rev-parse", "--short", commit).stdout.decode().strip()
        archive = git("archive", "--format=tar", rev).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        shutil.rmtree(dest / "bench", ignore_errors=True)
        shutil.copytree(
            BENCH_DIR, dest / "bench", ignore=shutil.ignore_patterns("out", "__pycache__")
        )
        return f"commit {rev} (+ this checkout's bench/)"
    files = git("ls-files", "-co", "--exclude-standard", "-z").stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    changed = git("status", "--porcelain").stdout.decode().splitlines()
    return f"working tree at {head}" + (
        f" with {len(changed)} uncommitted changes" if changed else ""
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="100000,1000000", help="Readings per data set, smallest first."
    )
    parser.add_argument("--requests", type=int, default=100, help="Rounds per endpoint.")
    parser.add_argument(
        "--budget", type=float, default=45.0, help="Seconds per endpoint before cutting rounds."
    )
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=None,
        help="Length of the load run (default 60 s; with --only, no load run unless given).",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--machines",
        type=int,
        default=24,
        help="Machines (4 bearings each); 24 makes 100,000 readings a full week of history.",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--first-pass",
        action="store_true",
        help="Also measure the first size on its own before growing (adds a few minutes).",
    )
    parser.add_argument(
        "--commit",
        help="Measure this commit (git archive) instead of the working tree; bench/ is current.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temp folder.")
    parser.add_argument(
        "--quick", action="store_true", help="Smoke run: 2k/10k readings, few requests, 5 s load."
    )
    parser.add_argument(
        "--only",
        metavar="NAME[,NAME]",
        help="Measure only the endpoints whose names contain one of these (e.g. alarms,kpis).",
    )
    options = parser.parse_args(argv)
    if options.only is not None:
        parts = [part.strip() for part in options.only.split(",") if part.strip()]
        options.only = sorted(
            {e.name for e in ep.ENDPOINTS if any(part in e.name for part in parts)}
        )
        if not options.only:
            parser.error(f"--only matches no endpoint: {', '.join(e.name for e in ep.ENDPOINTS)}")
    if options.load_seconds is None:
        options.load_seconds = 0.0 if options.only else 60.0
    if options.quick:
        options.sizes = "2000,10000"
        options.requests = min(options.requests, 15)
        options.budget = min(options.budget, 5.0)
        options.load_seconds = min(options.load_seconds, 5.0)
        options.machines = min(options.machines, 20)
    options.sizes = sorted(int(s) for s in options.sizes.split(","))
    if len(options.sizes) < 2:
        parser.error("--sizes needs at least two sizes")
    return options


def run(options: argparse.Namespace, procs: Processes, tmp: Path) -> dict:
    sizes = options.sizes
    started_wall = dt.datetime.now(dt.UTC)
    uri = procs.database_start()
    env = {**os.environ, **django_env(uri, tmp)}
    os.environ.update(django_env(uri, tmp))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated database {MAIN_DB} (production settings)")
    mongo = MongoClient(uri)
    machine = machine_facts(mongo)
    # The newest reading: now, on the 10-minute grid; every data set ends here.
    now = ep.utcnow()
    end = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)
    gen_args = [
        "--end", end.isoformat(), "--seed", str(options.seed),
        "--machines", str(options.machines), "--bearings-per-machine", "4",
    ]  # fmt: skip
    notes = []

    def generate(db: str, readings: int) -> dict:
        log(f"generating {db}: up to {readings:,} readings ...")
        result = procs.datagen(env, db, ["--readings", str(readings), *gen_args])
        load = result.get("load") or {}
        note = f"{db}: {result['existing']:,} -> {result['readings']:,} readings in "
        note += f"{result['seconds']:.0f} s"
        if load:
            note += (
                f" (load {load['load_s']:.0f} s = {load['count'] / load['load_s']:,.0f} "
                "readings/s with rollups"
            )
            if load.get("index_build_s") is not None:
                note += (
                    f"; secondary indexes dropped first, rebuilt over {result['readings']:,} "
                    f"readings in {load['index_build_s']:.0f} s"
                )
            note += ")"
        alarms = result.get("alarms")
        if alarms:
            note += (
                f"; alarms +{alarms['added']:,} -> {alarms['total']:,} ({alarms['open']} open, "
                f"{alarms['active']} active) in {alarms['seconds']:.1f} s"
            )
        note += f"; rollup check {'ok' if not result.get('problems') else 'FAILED'}"
        if result.get("warnings"):
            note += f"; WARNING: {result['warnings'][0]}"
        notes.append(note)
        log("  " + note)
        return result

    first = generate(MAIN_DB, sizes[0])
    token = first.get("token")
    log(f"API token auth: {'yes' if token else 'not installed; requests go without a token'}")
    main_servers = (
        procs.gunicorn_start(env, MAIN_DB, token, cache=False),
        procs.gunicorn_start(env, MAIN_DB, token, cache=True),
    )
    window_end = ep.utcnow()

    def site_for(size: int, servers: tuple, db_name: str, site_token: str | None) -> Site:
        context = ep.context_for(mongo[db_name], machine_external_id=MACHINE, window_end=window_end)
        headers = auth_headers(site_token)
        return Site(
            size=size,
            server=servers[0],
            context=context,
            client=LeanClient(servers[0].base_url, headers, HTTP_TIMEOUT_S),
            cached_server=servers[1],
            cached_client=LeanClient(servers[1].base_url, headers, HTTP_TIMEOUT_S),
            httpx_client=httpx.Client(
                base_url=servers[0].base_url, headers=headers, timeout=HTTP_TIMEOUT_S
            ),
        )

    measure_options = {"rounds": options.requests, "cap_s": RAW_CAP_S}
    only = set(options.only) if options.only else None
    selected = only or {e.name for e in ep.ENDPOINTS}
    first_pass = None
    if options.first_pass:
        log(f"first pass at {label(sizes[0])} readings (HTTP vs raw) ...")
        site = site_for(sizes[0], main_servers, MAIN_DB, token)
        first_pass = measure_sites(
            [site], mongo, budget_s=options.budget, names=selected, **measure_options
        )
        site.close()

    references = []
    for size in sizes[:-1]:
        ref_db = f"bench_ref_{size}"
        result = generate(ref_db, size)
        ref_token = result.get("token")
        servers = (
            procs.gunicorn_start(env, ref_db, ref_token, cache=False),
            procs.gunicorn_start(env, ref_db, ref_token, cache=True),
        )
        references.append((size, servers, ref_db, ref_token))
    for size in sizes[1:]:
        generate(MAIN_DB, size)
    window_end = ep.utcnow()
    sites = [site_for(*ref) for ref in references]
    sites.append(site_for(sizes[-1], main_servers, MAIN_DB, token))
    log(
        "side by side: "
        + ", ".join(f"{label(s.size)} ({s.server.db})" for s in sites)
        + "; HTTP and raw in turn ..."
    )
    # /api/stats last, after the load runs: on SecantusDB its dbStats reads every document and
    # cannot be interrupted, so a timed-out call keeps the server busy for minutes.
    late = {"stats"} & selected
    early = selected - late
    side_by_side = measure_sites(
        sites, mongo, budget_s=options.budget, names=early, **measure_options
    )

    # The diagnostic load run first: the full mix may leave abandoned queries running.
    largest = sites[-1]
    slow = late | {
        name
        for name, row in side_by_side.items()
        if row[f"http@{sizes[-1]}"].get("error")
        or (row[f"http@{sizes[-1]}"].get("p50") or 0) > 2000
    }
    drawn = {e.name for e in ep.ENDPOINTS if e.load_weight} & selected
    slow &= drawn  # only what the mix would draw
    loads = []
    mixes = [slow, set()] if slow else [set()]
    if options.load_seconds <= 0 or not drawn:
        log("no load run" + (" (--only without --load-seconds)" if only else ""))
        mixes = []
    for exclude in mixes:
        what = f"without {', '.join(sorted(exclude))}" if exclude else "full mix"
        if only:
            what = f"{', '.join(sorted(drawn))}, {what}"
        log(f"load run ({what}): {options.clients} clients for {options.load_seconds:.0f} s ...")
        load = load_run(
            largest,
            clients=options.clients,
            seconds=options.load_seconds,
            token=token,
            seed=options.seed,
            exclude=exclude,
            only=only,
        )
        loads.append(load)
        p50 = "—" if load["p50"] is None else f"{load['p50']:.1f}"
        p99 = "—" if load["p99"] is None else f"{load['p99']:.1f}"
        log(
            f"  {load['requests']} requests, {load['rps']:.1f}/s, p50 {p50} ms, "
            f"p99 {p99} ms, errors {load['errors']}"
        )
        if exclude:
            db_quiesce(mongo)
    loads.reverse()  # the full mix (the target) first in the report
    db_quiesce(mongo)
    log("last: the endpoints that scan everything on SecantusDB ...")
    side_by_side.update(
        measure_sites(sites, mongo, budget_s=options.budget, names=late, **measure_options)
    )
    storage_db = references[0][2] if references else MAIN_DB
    log(f"storage figures (collStats on {storage_db}) ...")
    storage = storage_figures(mongo[storage_db])
    for site in sites:
        site.close()
    return {
        "command": os.environ.get("BENCH_COMMAND", "python bench/run.py " + " ".join(sys.argv[1:])),
        "code": os.environ.get("BENCH_CODE", ""),
        "started": started_wall.strftime("%Y-%m-%d %H:%M"),
        "minutes": (time.monotonic() - STARTED) / 60,
        "sizes": sizes,
        "seed": options.seed,
        "plant": f"{options.machines} machines x 4 bearings, one reading per bearing every "
        f"10 minutes, newest at {end:%Y-%m-%d %H:%M} UTC",
        "rounds": options.requests,
        "budget_s": options.budget,
        "token": bool(token),
        "machine": machine,
        "loadavg_end": os.getloadavg(),
        "first_pass": first_pass,
        "only": options.only,
        "side_by_side": side_by_side,
        "loads": loads,
        "storage": storage,
        "storage_size": sizes[0] if references else sizes[-1],
        "generation_notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    if "BENCH_SNAPSHOT" not in os.environ:
        # Copy the code first and run from the copy (see code_snapshot).
        snapshot = Path(tempfile.mkdtemp(prefix="bench-code-")) / "src"
        try:
            described = code_snapshot(options.commit, snapshot)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"cannot snapshot the code: {exc}", file=sys.stderr)
            shutil.rmtree(snapshot.parent, ignore_errors=True)
            return 1
        log(f"measuring {described}, copied to {snapshot}")
        os.environ.update(
            BENCH_SNAPSHOT=str(snapshot),
            BENCH_CODE=described,
            BENCH_OUT_DIR=str(OUT_DIR),
            BENCH_COMMAND="python bench/run.py " + " ".join(sys.argv[1:]),
        )
        os.chdir(snapshot)
        command = [sys.executable, str(snapshot / "bench" / "run.py"), *sys.argv[1:]]
        os.execv(sys.executable, command)
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    procs = Processes(tmp)

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    code = 0
    try:
        result = run(options, procs, tmp)
        text, verdicts = report(result)
        OUT_DIR.mkdir(exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        md_path = OUT_DIR / f"results-{stamp}.md"
        md_path.write_text(text)
        (OUT_DIR / "latest.md").write_text(text)
        (OUT_DIR / f"results-{stamp}.json").write_text(json.dumps(result, indent=1, default=str))
        print("\n" + text, flush=True)
        log(f"written {md_path} (and latest.md, .json beside it)")
        if not all(v["answers"] for v in verdicts.values()):
            code = 2
    except KeyboardInterrupt:
        log("interrupted")
        code = 130
    except Exception:
        import traceback

        traceback.print_exc()
        for server in procs.servers:
            print(f"--- {server.log_path.name} (last lines)\n{tail(server.log_path)}")
        code = 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with contextlib.suppress(KeyboardInterrupt):
            procs.stop_all()
        if options.keep:
            log(f"kept {tmp} and {os.environ['BENCH_SNAPSHOT']}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(Path(os.environ["BENCH_SNAPSHOT"]).parent, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
