"""Real servers for the production tests: gunicorn with the production settings, redis-server.

Both run as child processes on free loopback ports, serving the test session's database, and
are always stopped (their own process group only). A missing ``redis-server`` or ``chromium``
fails the test with the install command: CI installs them (.ci/run, make test).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "var" / "test-artifacts"


def free_port() -> int:
    """A TCP port nobody listens on (on the loopback interface)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def required_binary(name: str, package: str) -> str:
    """The path of a Debian binary the test needs; fails (not skips) when it is missing."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else "")
    if not path:
        pytest.fail(f"{name} is missing: apt-get install -y {package} (make test does it)")
    return path


def session_database() -> tuple[str, str]:
    """(URI, database name) of the test session's database, for another process to use."""
    from django.conf import settings
    from django.db import connection

    from factory_site import embedded

    db = settings.DATABASES["default"]
    if db.get("EMBEDDED_PATH"):
        uri = embedded.ensure_server(Path(db["EMBEDDED_PATH"])).uri
    else:
        uri = db["HOST"]
    return uri, connection.settings_dict["NAME"]


def production_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment an operator sets for production, on the test session's database.

    Plain HTTP on loopback (no TLS proxy here): DJANGO_SECURE_SSL_REDIRECT=false, the one
    setting an operator without a proxy would change. Everything else is production's own.
    """
    uri, name = session_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MONGODB_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        DJANGO_SETTINGS_MODULE="factory_site.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        MONGODB_URI=uri,
        MONGODB_NAME=name,
        LOG_DIR=str(tmp / "log"),
        GUNICORN_WORKERS="2",
        GUNICORN_PRELOAD="true",
    )
    env.update(extra)
    return env


def collectstatic(env: dict[str, str]) -> None:
    """The README's production step: collect the static files into DJANGO_STATIC_ROOT."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=180,
    )  # fmt: skip


def _stop_group(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a child started in its own session, and everything it started."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _wait_until(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py`` as the README runs it, on a free loopback port."""

    def __init__(self, env: dict[str, str], tmp: Path):
        self.port = free_port()
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log_path = tmp / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            _wait_until(self._answers, f"gunicorn on port {self.port}")
        except RuntimeError:
            self.stop()
            raise RuntimeError(self.log_text()[-3000:]) from None
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError("gunicorn exited")
        return httpx.get(f"{self.url}/health", timeout=2).status_code == 200

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)


class RedisServer:
    """Debian's redis-server on a free loopback port, no persistence; stoppable mid-test."""

    def __init__(self, tmp: Path):
        self.binary = required_binary("redis-server", "redis-server")
        self.port = free_port()
        self.tmp = tmp
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.tmp)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        _wait_until(lambda: self.client().ping(), f"redis-server on port {self.port}", 20)
        return self

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2)

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)
            self.process = None


def migrations_record_applied() -> None:
    """Record every migration as applied, as `migrate` leaves a real database.

    The test database is migrated once per session, but the flush after each database test
    empties django_migrations too, and readiness rightly answers 503 on such a database.
    """
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    applied = set(recorder.applied_migrations())
    for key in MigrationLoader(connection, ignore_no_migrations=True).graph.nodes:
        if key not in applied:
            recorder.record_applied(*key)
