"""`manage.py ingest_data`: arguments, output, exit codes, and a kill -9 halfway."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ingestion.lock import holder_describe, lock_acquire
from ingestion.progress import ProgressReporter, ProgressState
from ingestion.run import ingestion_run
from monitoring.models import BearingHourlyRollup, IngestionLock, IngestionRun, Reading, Waveform
from monitoring.mongo import collection
from monitoring.services import rollups_rebuild
from tests.ingestion.support import (
    CUSTOMER,
    DAY,
    assert_rollups_equal,
    expected_ids,
    rollup_snapshot,
    simulator_start,
    vendor_client,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def vendor(settings):
    """The simulator, with the command's settings pointing at it and fast retries."""
    server = simulator_start()
    settings.INGEST_API_URL = server.url
    settings.INGEST_API_KEY = server.config.api_key
    settings.INGEST_MAX_ATTEMPTS = 2
    yield server
    server.stop()


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command("ingest_data", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_ingests_a_date_and_prints_a_summary(vendor):
    out = _call("--date", DAY.isoformat(), "--customer", CUSTOMER, "--log-level", "WARNING")
    assert "succeeded" in out and "stored 192" in out
    # Not a terminal: periodic progress lines, not a carriage-return bar.
    assert "machine-days" in out and "\r" not in out
    assert Reading.objects.count() == 192


def test_dry_run_writes_nothing_and_says_so(vendor):
    out = _call("--date", DAY.isoformat(), "--customer", CUSTOMER, "--dry-run")
    assert "[dry run]" in out and "would store 192" in out
    assert not Reading.objects.exists() and not IngestionRun.objects.exists()


def test_backfill_days_covers_the_last_n_days_including_today(vendor, monkeypatch):
    seen = {}

    def fake_run(**kwargs):
        seen.update(kwargs)
        return IngestionRun(date_from=kwargs["date_from"], date_to=kwargs["date_to"],
                            outcome="succeeded")  # fmt: skip

    monkeypatch.setattr("ingestion.management.commands.ingest_data.ingestion_run", fake_run)
    today = dt.datetime.now(dt.UTC).date()
    _call("--backfill-days", "2")
    assert (seen["date_from"], seen["date_to"]) == (today - dt.timedelta(days=1), today)
    _call()
    assert seen["date_from"] == seen["date_to"] == today


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-13-01"], "invalid date '2026-13-01'"),
        (["--date", "yesterday"], "expected YYYY-MM-DD"),
        (["--backfill-days", "0"], "between 1 and 366"),
        (["--backfill-days", "x"], "invalid number of days"),
        (["--date", "2026-01-01", "--backfill-days", "2"], "not allowed with argument"),
        (["--log-level", "LOUD"], "invalid choice"),
    ],
)
def test_invalid_arguments_are_usage_errors_naming_the_problem(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("ingest_data", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_a_usage_error_exits_2_with_usage():
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest_data", "--backfill-days", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "factory_site.settings.test"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "usage: " in result.stderr and "between 1 and 366" in result.stderr


def test_a_future_date_is_refused(vendor):
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(CommandError, match="future"):
        _call("--date", future)


def test_vendor_unreachable_is_a_command_error(settings):
    settings.INGEST_API_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.INGEST_MAX_ATTEMPTS = 1
    with pytest.raises(CommandError, match=r"could not|failed") as info:
        _call("--date", DAY.isoformat())
    assert info.value.returncode == 1
    assert IngestionRun.objects.get().outcome == "failed"


def test_a_held_lock_exits_with_tempfail(vendor):
    lock_acquire(holder=holder_describe(run_id="nightly"), ttl=dt.timedelta(minutes=5))
    with pytest.raises(CommandError, match="another ingestion run holds the lock") as info:
        _call("--date", DAY.isoformat())
    assert info.value.returncode == 75


def test_progress_bar_on_a_terminal():
    stream = io.StringIO()
    reporter = ProgressReporter(stream, tty=True)
    state = dict(machine_days_total=4, fetched=10, stored=8, duplicates=1, skipped=1,
                 elapsed_s=2.0)  # fmt: skip
    reporter(ProgressState(machine_days_done=2, **state))
    reporter(ProgressState(machine_days_done=4, finished=True, **state))
    text = stream.getvalue()
    assert text.startswith("\r") and "[###############---------------]" in text
    assert text.endswith("\n") and "4/4 machine-days" in text


def _child_env(server, tmp_path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factory_site.settings.local",
        "MONGODB_URI": connection.settings_dict["HOST"],
        "MONGODB_NAME": connection.settings_dict["NAME"],
        "INGEST_API_URL": server.url,
        "INGEST_BATCH_SIZE": "20",
        "INGEST_LOCK_TTL_S": "2",
        "LOG_DIR": str(tmp_path),
    }


def test_exit_codes_of_a_real_process(tmp_path):
    server = simulator_start()
    try:
        ok = subprocess.run(
            [sys.executable, "manage.py", "ingest_data", "--date", DAY.isoformat(),
             "--customer", CUSTOMER],
            cwd=ROOT, env=_child_env(server, tmp_path), capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    finally:
        server.stop()
    assert ok.returncode == 0, ok.stderr
    assert "succeeded" in ok.stdout
    assert "ingestion run" in (tmp_path / "ingestion.log").read_text()
    env = {**_child_env(server, tmp_path), "INGEST_MAX_ATTEMPTS": "1"}  # server stopped
    down = subprocess.run(
        [sys.executable, "manage.py", "ingest_data", "--date", DAY.isoformat()],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert down.returncode == 1
    assert "failed" in down.stderr


def test_kill_9_halfway_then_rerun_leaves_exactly_the_vendor_data(tmp_path):
    server = simulator_start(latency_seconds=0.3)
    try:
        child = subprocess.Popen(
            [sys.executable, "manage.py", "ingest_data", "--date", DAY.isoformat(),
             "--customer", CUSTOMER, "--no-progress"],
            cwd=ROOT, env=_child_env(server, tmp_path),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while Reading.objects.count() < 40 and time.monotonic() < deadline:
            assert child.poll() is None, "the run finished before it could be killed"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        partial = Reading.objects.count()
        assert 40 <= partial < 192
        assert Waveform.objects.count() == partial  # whole batches only
        killed = IngestionRun.objects.get()
        assert killed.outcome == "running" and IngestionLock.objects.exists()

        # The server aborts the dead process's open transaction only after its lifetime limit
        # (60 s by default); ending all sessions aborts it now, as an operator could.
        connection.connection.admin.command("killAllSessions", [])
        time.sleep(2.1)  # the dead run's lease (2 s) expires
        with vendor_client(server) as client:
            run = ingestion_run(date_from=DAY, date_to=DAY, customer=CUSTOMER, client=client)
        ids = expected_ids(server, days=[DAY], customer=CUSTOMER)
    finally:
        server.stop()
    assert set(Reading.objects.values_list("external_id", flat=True)) == ids
    assert Reading.objects.count() == Waveform.objects.count() == len(ids)
    assert run.stored + run.duplicates == len(ids)
    killed.refresh_from_db()
    assert killed.outcome == "failed" and "abandoned" in killed.error
    ingested = rollup_snapshot(BearingHourlyRollup)
    assert sum(d["count"] for d in ingested) == len(ids)
    rollups_rebuild()
    assert_rollups_equal(ingested, rollup_snapshot(BearingHourlyRollup))
    assert collection(IngestionLock).count_documents({}) == 0
