"""The daily ingestion cron job, installed through a fake crontab (never the real one)."""

from __future__ import annotations

import io
import stat
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture
def fake_crontab(tmp_path, settings):
    """A crontab stand-in that keeps the table in a temp file: `-l` prints it, FILE installs."""
    table = tmp_path / "crontab.txt"
    script = tmp_path / "crontab"
    script.write_text(
        "#!/bin/sh\n"
        f'TABLE="{table}"\n'
        'if [ "$1" = "-l" ]; then [ -f "$TABLE" ] && cat "$TABLE"; exit 0; fi\n'
        'cp "$1" "$TABLE"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    settings.CRONTAB_EXECUTABLE = str(script)
    return table


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("ingest_cron", *args, stdout=out)
    return out.getvalue()


def test_cron_job_is_configured_daily_at_2_with_a_two_day_backfill():
    (schedule, func, args, _kwargs, suffix) = django_settings.CRONJOBS[0]
    assert schedule == django_settings.INGEST_CRON_SCHEDULE == "0 2 * * *"
    assert func == "django.core.management.call_command"
    assert args == ["ingest_data", "--backfill-days", "2"]
    assert suffix.startswith(">> ") and suffix.endswith("ingestion_cron.log 2>&1")


def test_retention_runs_daily_after_the_ingestion():
    (schedule, func, args, _kwargs, suffix) = django_settings.CRONJOBS[1]
    assert schedule == django_settings.RETENTION_CRON_SCHEDULE == "30 4 * * *"
    assert (func, args) == ("django.core.management.call_command", ["apply_retention"])
    assert suffix.endswith("retention_cron.log 2>&1")


def test_add_show_remove(fake_crontab, capsys):
    fake_crontab.write_text("15 * * * * /usr/local/bin/someone-elses-job\n")
    _run("add")
    lines = fake_crontab.read_text().splitlines()
    assert lines[0] == "15 * * * * /usr/local/bin/someone-elses-job"  # left alone
    # The ingestion job, retention after it, and the alarms' stale-sensor check every 15 minutes.
    jobs = [line for line in lines if "django-cronjobs" in line]
    (job,) = [line for line in jobs if "ingestion_cron.log" in line]
    (stale,) = [line for line in jobs if "alarms_cron.log" in line]
    (retention,) = [line for line in jobs if line.startswith("30 4 * * * ")]
    assert stale.startswith("*/15 * * * * ") and len(jobs) == 3
    assert job.startswith("0 2 * * * ") and retention.startswith("30 4 * * * ")
    assert f"{sys.executable} " in job and "manage.py crontab run " in job
    assert f"--settings={django_settings.CRONTAB_DJANGO_SETTINGS_MODULE}" in job
    assert f">> {Path(django_settings.LOG_DIR) / 'ingestion_cron.log'} 2>&1" in job

    _run("add")  # idempotent: replaces, never duplicates
    assert sum("django-cronjobs" in line for line in fake_crontab.read_text().splitlines()) == 3

    _run("show")
    assert "ingest_data" in capsys.readouterr().out

    _run("remove")
    assert fake_crontab.read_text().splitlines() == [lines[0]]


def test_add_fails_clearly_without_a_crontab_binary(settings, tmp_path):
    settings.CRONTAB_EXECUTABLE = str(tmp_path / "no-such-crontab")
    with pytest.raises(CommandError, match="install cron"):
        _run("add")
    settings.CRONTAB_EXECUTABLE = "crontab-that-is-not-on-path"
    with pytest.raises(CommandError, match="not found"):
        _run("add")


def test_the_installed_job_runs_a_two_day_backfill(fake_crontab, monkeypatch):
    import datetime as dt

    calls = []

    def fake_run(**kwargs):
        from monitoring.models import IngestionRun

        calls.append(kwargs)
        return IngestionRun(date_from=kwargs["date_from"], date_to=kwargs["date_to"],
                            outcome="succeeded")  # fmt: skip

    monkeypatch.setattr("ingestion.management.commands.ingest_data.ingestion_run", fake_run)
    _run("add")
    jobs = [line for line in fake_crontab.read_text().splitlines() if "crontab run" in line]
    (job,) = [line for line in jobs if line.startswith("0 2 * * * ")]
    job_hash = job.split("crontab run ")[1].split()[0]
    call_command("crontab", "run", job_hash, stdout=io.StringIO())
    today = dt.datetime.now(dt.UTC).date()
    assert [(c["date_from"], c["date_to"]) for c in calls] == [
        (today - dt.timedelta(days=1), today)
    ]
