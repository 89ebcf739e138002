"""Settings: production refuses to start without its secrets; URIs are used as given."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from factory_site.errors import redact_uri
from factory_site.settings.base import database_settings

ROOT = Path(__file__).resolve().parents[2]


def _load_production(extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MONGODB_"))}
    env.update(extra_env, DJANGO_SETTINGS_MODULE="factory_site.settings.production")
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "missing, present",
    [
        ("DJANGO_SECRET_KEY", {"MONGODB_URI": "mongodb://db.example:27017"}),
        ("MONGODB_URI", {"DJANGO_SECRET_KEY": "x" * 50}),
    ],
)
def test_production_refuses_to_start_without_secrets(missing, present):
    result = _load_production({**present, "DJANGO_ALLOWED_HOSTS": "monitor.example.com"})
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_starts_with_its_environment():
    result = _load_production(
        {
            "DJANGO_SECRET_KEY": "x" * 50,
            "MONGODB_URI": "mongodb://u:p@db.example:27017/?tls=true&authSource=admin",
            "DJANGO_ALLOWED_HOSTS": "monitor.example.com",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_uri_is_used_as_given_with_tls_and_auth():
    uri = "mongodb+srv://app:secret@cluster0.example.net/?tls=true&authSource=admin"
    db = database_settings(uri, "plant", None)
    assert db["HOST"] == uri and db["NAME"] == "plant"
    assert "EMBEDDED_PATH" not in db


def test_without_uri_the_embedded_engine_is_used(tmp_path):
    db = database_settings("", "plant", tmp_path)
    assert db["ENGINE"] == "factory_site.db" and db["EMBEDDED_PATH"] == str(tmp_path)


def test_redact_uri_drops_credentials():
    assert (
        redact_uri("mongodb://app:secret@db1:27017,db2:27017/x?tls=true")
        == "mongodb://db1:27017,db2:27017/x?tls=true"
    )


def test_production_code_never_imports_secantus():
    for path in ROOT.glob("[fmi]*/**/*.py"):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        assert "import secantus" not in text and "from secantus" not in text, path
    assert "secantusdb" not in (ROOT / "requirements.txt").read_text().lower()


def test_a_real_database_is_logged_without_credentials(caplog):
    from factory_site.db.base import DatabaseWrapper

    settings_dict = database_settings("mongodb://app:s3cret@db.example:27017/?tls=true", "x", None)
    defaults = {"USER": "", "PASSWORD": "", "PORT": "", "TIME_ZONE": None, "CONN_MAX_AGE": 0,
                "CONN_HEALTH_CHECKS": False, "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False,
                "TEST": {}}  # fmt: skip
    wrapper = DatabaseWrapper({**settings_dict, **defaults})
    DatabaseWrapper._announced = False
    with caplog.at_level("INFO", logger="factory_site.db"):
        params = wrapper.get_connection_params()
    assert params["host"] == settings_dict["HOST"]  # used as is, TLS and credentials included
    assert "database: MongoDB at mongodb://db.example:27017/?tls=true" in caplog.text
    assert "s3cret" not in caplog.text


def test_check_deploy_passes_with_the_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MONGODB_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="factory_site.settings.production",
        DJANGO_SECRET_KEY="k" * 20 + "-production-secret-" + "q7" * 10,
        MONGODB_URI="mongodb://app:secret@db.example:27017/?tls=true&authSource=admin",
        DJANGO_ALLOWED_HOSTS="monitor.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_gunicorn_workers_leave_the_loaded_application_out_of_garbage_collection(monkeypatch):
    import gc
    import runpy

    # Set, so loading the configuration does not create a metrics directory for this process.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", os.environ.get("PROMETHEUS_MULTIPROC_DIR", "x"))
    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    try:
        config["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
