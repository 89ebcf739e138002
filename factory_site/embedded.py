"""Find or start the one embedded SecantusDB server for a data folder.

SecantusDB (GPL-2.0, beta) is a development and demo dependency only: it is never imported
here, it runs as its own process (``python -m secantus``). Every process that needs the
database (runserver and its autoreloader, gunicorn workers, ``manage.py`` from another shell)
calls :func:`ensure_server` and gets the URI of the single server that owns the folder.

A small state file next to the data folder records the server's pid and port; an exclusive
``flock`` serialises starters so two processes never launch two servers on one folder, and a
state whose pid is gone or whose port does not answer is treated as stale and replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0


class EmbeddedServerError(RuntimeError):
    """The embedded database server could not be started or reached."""


@dataclass(frozen=True)
class ServerState:
    """What the state file records about a running embedded server."""

    pid: int
    port: int
    host: str
    storage_path: str

    @property
    def uri(self) -> str:
        """Connection string for this server (single node, so connect directly)."""
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"


def _paths(storage_path: Path) -> tuple[Path, Path, Path]:
    """State file, lock file and log file that belong to one data folder."""
    storage_path = storage_path.resolve()
    base = storage_path.parent / f".{storage_path.name}"
    return Path(f"{base}.state.json"), Path(f"{base}.lock"), Path(f"{base}.log")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited child not yet reaped) still answers kill(0); look closer on Linux.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _read_state(state_file: Path) -> ServerState | None:
    try:
        data = json.loads(state_file.read_text())
        return ServerState(**data)
    except (OSError, ValueError, TypeError):
        return None


def _live_state(storage_path: Path) -> ServerState | None:
    """The recorded server if it is still running and listening, else None."""
    state_file, _, _ = _paths(storage_path)
    state = _read_state(state_file)
    if state and _pid_alive(state.pid) and _port_answers(state.host, state.port):
        return state
    return None


@contextlib.contextmanager
def _exclusive(lock_file: Path):
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def status(storage_path: Path) -> ServerState | None:
    """The running server for this data folder, or None."""
    return _live_state(storage_path)


def ensure_server(storage_path: Path, *, host: str = "127.0.0.1") -> ServerState:
    """Return the running server for ``storage_path``, starting one if none runs."""
    state = _live_state(storage_path)
    if state:
        return state
    state_file, lock_file, log_file = _paths(storage_path)
    with _exclusive(lock_file):
        # Another process may have started it while we waited for the lock.
        state = _live_state(storage_path)
        if state:
            return state
        stale = _read_state(state_file)
        if stale and _pid_alive(stale.pid):
            # A process that holds the folder but does not listen: do not start a second one.
            raise EmbeddedServerError(
                f"embedded database pid {stale.pid} owns {storage_path} but does not answer on "
                f"port {stale.port}; stop it (kill {stale.pid}) and retry"
            )
        # Reuse the previous port when it is free, so processes that cached the old URI reconnect.
        state = None
        if stale and not _port_answers(host, stale.port):
            with contextlib.suppress(EmbeddedServerError):
                state = _spawn(storage_path, host=host, port=stale.port, log_file=log_file)
        if state is None:
            state = _spawn(storage_path, host=host, port=_free_port(host), log_file=log_file)
        state_file.write_text(json.dumps(state.__dict__))
        return state


def _spawn(storage_path: Path, *, host: str, port: int, log_file: Path) -> ServerState:
    if importlib.util.find_spec("secantus") is None:
        raise EmbeddedServerError(
            "MONGODB_URI is not set and the embedded SecantusDB is not installed; "
            "install requirements-dev.txt (make run does) or set MONGODB_URI"
        )
    storage_path.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "secantus",
        "--host", host, "--port", str(port), "--storage-path", str(storage_path),
    ]  # fmt: skip
    with open(log_file, "ab") as log:
        # A new session: Ctrl-C in the terminal that started it must not kill the shared server.
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedServerError(
                f"embedded database exited with code {process.returncode}; see {log_file}"
            )
        if _port_answers(host, port, timeout=0.2):
            logger.info("started embedded SecantusDB pid %s on %s:%s", process.pid, host, port)
            return ServerState(
                pid=process.pid, port=port, host=host, storage_path=str(storage_path)
            )
        time.sleep(0.05)
    process.kill()
    raise EmbeddedServerError(f"embedded database did not listen within {START_TIMEOUT_S:.0f} s")


def stop(storage_path: Path) -> ServerState | None:
    """Stop the server for this data folder; return what was stopped (None if none ran)."""
    state_file, lock_file, _ = _paths(storage_path)
    with _exclusive(lock_file):
        state = _read_state(state_file)
        # The state file stays, so the next start reuses the port (see ensure_server).
        if not state or not _pid_alive(state.pid):
            return None
        os.kill(state.pid, signal.SIGTERM)
        if not _wait_gone(state.pid, STOP_TIMEOUT_S):
            # It did not shut down cleanly in time; WiredTiger recovers on the next start.
            os.kill(state.pid, signal.SIGKILL)
            _wait_gone(state.pid, STOP_TIMEOUT_S)
        return state


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait until a process has exited (reaping it if it is our child); False on timeout."""
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
