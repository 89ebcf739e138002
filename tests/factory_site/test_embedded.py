"""The embedded SecantusDB lifecycle: start, reuse, stop, stale state, concurrent starters."""

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pymongo import MongoClient

from factory_site import embedded


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "db"
    yield path
    embedded.stop(path)


def _ping(state: embedded.ServerState) -> bool:
    client = MongoClient(state.uri, serverSelectionTimeoutMS=2000)
    try:
        return client.admin.command("ping")["ok"] == 1.0
    finally:
        client.close()


def test_start_reuse_stop(data_dir):
    assert embedded.status(data_dir) is None
    first = embedded.ensure_server(data_dir)
    assert _ping(first)
    # A second start on the same folder finds the first server instead of launching another.
    second = embedded.ensure_server(data_dir)
    assert second == first
    assert embedded.status(data_dir) == first
    stopped = embedded.stop(data_dir)
    assert stopped.pid == first.pid
    assert embedded.status(data_dir) is None
    assert embedded.stop(data_dir) is None


def test_data_survives_restart_on_the_same_port(data_dir):
    first = embedded.ensure_server(data_dir)
    MongoClient(first.uri).demo.things.insert_one({"kept": True})
    embedded.stop(data_dir)
    second = embedded.ensure_server(data_dir)
    assert second.pid != first.pid
    # Processes that cached the old URI reconnect: the port is reused when free.
    assert second.port == first.port
    assert MongoClient(second.uri).demo.things.find_one({"kept": True})


def test_concurrent_starters_share_one_server(data_dir):
    with ThreadPoolExecutor(4) as pool:
        states = list(pool.map(lambda _: embedded.ensure_server(data_dir), range(4)))
    assert len({s.pid for s in states}) == 1


def test_starters_in_separate_processes_share_one_server(data_dir):
    code = (
        "import sys; from pathlib import Path; from factory_site import embedded; "
        "print(embedded.ensure_server(Path(sys.argv[1])).pid)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(data_dir)], stdout=subprocess.PIPE)
        for _ in range(3)
    ]
    pids = {int(p.communicate(timeout=60)[0]) for p in procs}
    assert len(pids) == 1


def test_stale_state_of_a_killed_server_is_replaced(data_dir):
    first = embedded.ensure_server(data_dir)
    os.kill(first.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while embedded.status(data_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert embedded.status(data_dir) is None
    second = embedded.ensure_server(data_dir)
    assert second.pid != first.pid
    assert _ping(second)


def test_state_file_with_an_unrelated_dead_pid(data_dir):
    state_file, _, _ = embedded._paths(data_dir)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(
        json.dumps({"pid": 999999, "port": 1, "host": "127.0.0.1", "storage_path": "x"})
    )
    state = embedded.ensure_server(data_dir)
    assert _ping(state)


def test_manage_py_dbserver_commands(tmp_path):
    env = {**os.environ, "EMBEDDED_DB_PATH": str(tmp_path / "db"),
           "DJANGO_SETTINGS_MODULE": "factory_site.settings.local"}  # fmt: skip
    env.pop("MONGODB_URI", None)
    root = Path(__file__).resolve().parents[2]

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=root, env=env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip

    try:
        assert "not running" in manage("dbserver", "status").stdout
        started = manage("dbserver", "start")
        assert started.returncode == 0 and "running: pid" in started.stdout
        assert "running: pid" in manage("dbserver", "status").stdout
        # Any other command finds the same server and says which database it uses.
        migrated = manage("migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr
        assert "embedded SecantusDB" in migrated.stderr
        assert "stopped pid" in manage("dbserver", "stop").stdout
    finally:
        embedded.stop(tmp_path / "db")


def test_unreachable_database_fails_fast_with_one_line(tmp_path):
    root = Path(__file__).resolve().parents[2]
    uri = "mongodb://operator:s3cret@127.0.0.1:1/?directConnection=true"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factory_site.settings.local",
        "MONGODB_URI": uri,
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate"], cwd=root, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert time.monotonic() - started < 15
    assert result.returncode == 1
    # The log line saying which database is in use, then the one error line.
    lines = [line for line in result.stderr.strip().splitlines() if " INFO " not in line]
    assert len(lines) == 1, result.stderr
    assert "cannot reach MongoDB at mongodb://127.0.0.1:1/" in lines[0]
    assert "s3cret" not in result.stderr and "operator" not in result.stderr
    assert "Traceback" not in result.stderr
