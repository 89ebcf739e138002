"""Golden answers: every endpoint's JSON over the shared fleet, byte for byte.

The files in ``golden/`` were written by the code before the API core was rebuilt (one read
path and one renderer per resource), so a change in any answer fails here. Ids are random per
run: every 24-hex id is replaced by ``<id-N>`` in order of first appearance, cursors by
``<cursor>``, and the measured database latency by a placeholder; floats compare to 12
significant digits (a server may sum a bucket's readings in any order). To accept a deliberate
change:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/monitoring/test_api_golden.py
"""

import json
import os
import re
from pathlib import Path

import pytest

from tests.factories import fleet_fixtures
from tests.monitoring.conftest import TokenClient

fleet, fleet_db = fleet_fixtures()

GOLDEN = Path(__file__).parent / "golden"
T0, T1 = "2026-03-08T00:00:00Z", "2026-03-10T12:30:00Z"

# name -> (user, URL template over the fleet's objects)
CASES = {
    "machines": ("staff", "/api/machines"),
    "machines_ordered": ("staff", "/api/machines?ordering=-status,machine_name&page_size=2"),
    "machines_filtered": ("staff", "/api/machines?area=Utilities&status=Normal,Alert"),
    "machines_acme": ("acme", "/api/machines"),
    "search_text": ("staff", "/api/machines/search?q=PUMP"),
    "search_alert": ("staff", "/api/machines/search?has_alert=true"),
    "search_no_alert": ("acme", "/api/machines/search?has_alert=false&ordering=last_reading_at"),
    "machine": ("staff", "/api/machines/{m1}"),
    "latest_readings": ("staff", "/api/machines/{m1}/latest-readings"),
    "timeseries_raw": ("staff", f"/api/machines/{{m1}}/timeseries?start={T0}&end={T1}"),
    "timeseries_hour": (
        "staff",
        f"/api/machines/{{m1}}/timeseries?start={T0}&end={T1}&interval=hour&metrics="
        "velocity.rms,acceleration.kurtosis",
    ),
    "timeseries_day": (
        "staff",
        f"/api/machines/{{m1}}/timeseries?start={T0}&end={T1}&interval=day&agg=max"
        "&bearing_id={b1}",
    ),
    "bearings_of_machine": ("staff", "/api/bearings?machine_id={m1}"),
    "bearings": ("acme", "/api/bearings?page_size=3&page=2"),
    "readings": ("staff", "/api/data/query"),
    "readings_filtered": (
        "staff",
        "/api/data/query?machine_id={m1}&fields=id,timestamp,velocity,status&page_size=3",
    ),
    "readings_globex": ("globex", "/api/data/query?min_velocity_rms=1&status=Normal,Alert"),
    "fft": ("staff", "/api/readings/{r3}/fft"),
    "waveform": ("staff", "/api/readings/{r3}/waveform"),
    "envelope": ("staff", "/api/readings/{r3}/envelope"),
    "kpis": ("staff", "/api/dashboard/kpis"),
    "kpis_acme": ("acme", "/api/dashboard/kpis?area=Utilities"),
    "trends_hourly": ("staff", "/api/dashboard/trends/hourly?hours=60"),
    "trends_hourly_kolkata": ("acme", "/api/dashboard/trends/hourly?hours=6&tz=Asia/Kolkata"),
    "trends_status": ("staff", "/api/dashboard/trends/status?days=4&tz=Europe/Berlin"),
    "stats": ("staff", "/api/stats"),
    "stats_globex": ("globex", "/api/stats"),
    "health": ("staff", "/health"),
}

USERS = {
    "staff": dict(is_staff=True),
    "acme": dict(is_staff=False, customers=["Acme"]),
    "globex": dict(is_staff=False, customers=["Globex"]),
}
HEX_ID = re.compile(r"\b[0-9a-f]{24}\b")
CURSOR = re.compile(r"cursor=[A-Za-z0-9_-]+")
LATENCY = re.compile(r'"database_latency_ms":\s*[0-9.]+')


def normalized(text: str) -> str:
    """The answer with run-dependent values replaced (see the module docstring)."""
    ids: dict[str, str] = {}
    text = HEX_ID.sub(lambda m: ids.setdefault(m.group(0), f"<id-{len(ids)}>"), text)
    text = CURSOR.sub("cursor=<cursor>", text)
    return LATENCY.sub('"database_latency_ms": "<ms>"', text)


def rounded(value):
    """Floats to 12 significant digits, everywhere in a JSON value."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("name", sorted(CASES))
def test_answer_matches_the_golden_file(name, fleet_db):
    user, template = CASES[name]
    objects = {"m1": fleet_db.m1.pk, "b1": fleet_db.b1.pk, "r3": fleet_db.readings[3].pk}
    response = TokenClient(f"golden-{user}", **USERS[user]).get(template.format(**objects))
    assert response.status_code == 200, response.content[:300]
    answer = normalized(json.dumps(response.json(), indent=1, sort_keys=True))
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(answer + "\n")
    assert rounded(json.loads(answer)) == rounded(json.loads(path.read_text()))
