"""/metrics: closed unless configured, per-route request figures, ingestion and readings figures
read from the database index-led (no collection scan), database errors counted."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from factory_site import metrics
from monitoring.models import IngestionRun
from monitoring.services import latest_state_rebuild, rollups_rebuild
from tests.factories import BearingFactory, IngestionRunFactory, MachineFactory, ReadingFactory
from tests.monitoring.conftest import recorder  # noqa: F401 - the command recorder fixture

pytestmark = pytest.mark.django_db
TOKEN = "scrape-secret-0123456789"


@pytest.fixture(autouse=True)
def fresh_snapshot(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    cache.delete(metrics.SNAPSHOT_KEY)
    yield
    cache.delete(metrics.SNAPSHOT_KEY)


def scrape(**headers) -> dict:
    """{(name, labels): value} of one authorised scrape."""
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def plant():
    """Two areas, three bearings, a reading every hour for the last 30 hours, two runs."""
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    pumps = MachineFactory(customer="Acme", area="Utilities")
    press = MachineFactory(customer="Acme", area="Press shop")
    bearings = [BearingFactory(machine=pumps), BearingFactory(machine=pumps),
                BearingFactory(machine=press)]  # fmt: skip
    for hour in range(1, 31):
        for bearing in bearings:
            ReadingFactory(bearing=bearing, timestamp=now - dt.timedelta(hours=hour, minutes=-5))
    rollups_rebuild()
    latest_state_rebuild()
    IngestionRunFactory(started_at=now - dt.timedelta(days=1), stored=90, skipped=0)
    last = IngestionRunFactory(
        started_at=now - dt.timedelta(hours=2), finished_at=now - dt.timedelta(hours=2) +
        dt.timedelta(seconds=42), outcome=IngestionRun.Outcome.COMPLETED_WITH_ERRORS,
        stored=12, skipped=3,
    )  # fmt: skip
    return now, last


@pytest.mark.parametrize(
    "token, allowed, header, remote, expected",
    [
        ("", [], f"Bearer {TOKEN}", "127.0.0.1", 404),  # nothing configured: closed
        (TOKEN, [], "", "127.0.0.1", 403),
        (TOKEN, [], "Bearer wrong", "127.0.0.1", 403),
        (TOKEN, [], f"Bearer {TOKEN}", "127.0.0.1", 200),
        ("", ["10.0.0.0/8"], "", "10.1.2.3", 200),
        ("", ["10.0.0.0/8"], "", "192.168.1.1", 403),
        (TOKEN, ["10.0.0.0/8"], f"Bearer {TOKEN}", "192.168.1.1", 403),  # both must hold
    ],
)
def test_metrics_are_protected(settings, token, allowed, header, remote, expected):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = token, allowed
    response = Client().get("/metrics", HTTP_AUTHORIZATION=header, REMOTE_ADDR=remote)
    assert response.status_code == expected


def test_requests_are_counted_per_route_pattern_and_status(staff_client):
    before = scrape()
    machine = MachineFactory()
    staff_client.get(f"/admin/monitoring/machine/{machine.pk}/change/")
    staff_client.get("/admin/monitoring/machine/not-an-id/change/")
    Client().get("/no/such/page")
    after = scrape()
    route = "admin/monitoring/machine/<path:object_id>/change/"

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("factory_http_requests_total", route=route, method="GET", status="200") == 1
    # one series per pattern, whatever the id: raw paths never become labels
    assert not [k for k in after if "not-an-id" in repr(k) or "no/such" in repr(k)]
    assert delta("factory_http_requests_total", route="<unmatched>", method="GET",
                 status="404") == 1  # fmt: skip
    assert delta("factory_http_request_duration_seconds_count", route=route, status="200") == 1


def test_ingestion_and_readings_figures(plant):
    _now, last = plant
    samples = scrape()
    assert samples[("factory_ingestion_last_run_stored", ())] == 12
    assert samples[("factory_ingestion_last_run_skipped", ())] == 3
    assert samples[("factory_ingestion_last_run_duration_seconds", ())] == 42
    assert samples[("factory_ingestion_last_success_timestamp_seconds", ())] == (
        last.finished_at.timestamp()
    )
    assert samples[("factory_ingestion_last_run_outcome", (("outcome", "completed_with_errors"),))]
    utilities = (("area", "Utilities"), ("customer", "Acme"))
    # 24 full hours x 2 bearings; the readings 25-30 hours ago are outside the window
    assert samples[("factory_readings_last_24h", utilities)] == 48
    assert samples[("factory_bearings", utilities)] == 2
    assert samples[("factory_readings_per_bearing_per_day", utilities)] == 24
    press = (("area", "Press shop"), ("customer", "Acme"))
    assert samples[("factory_readings_per_bearing_per_day", press)] == 24
    assert samples[("factory_metrics_database_up", ())] == 1


def _plan(command: dict) -> str:
    body = {k: v for k, v in command.items() if not k.startswith(("$", "lsid"))}
    body.pop("txnNumber", None)
    if "aggregate" in body:
        body["cursor"] = {}
    return repr(connection.get_database().command({"explain": body, "verbosity": "queryPlanner"}))


def test_a_scrape_scans_no_collection_and_is_cached(plant, recorder, settings):  # noqa: F811
    settings.METRICS_DB_CACHE_SECONDS = 60
    scrape()
    commands = list(recorder.commands)
    assert 1 <= len(commands) <= 5, commands
    for command in commands:
        plan = _plan(command)
        assert "COLLSCAN" not in plan, (command, plan)
        assert "IXSCAN" in plan, (command, plan)
    recorder.commands.clear()
    scrape()
    assert recorder.commands == []  # the next scrapes in the period read no database at all


def test_database_errors_are_counted(monkeypatch):
    connection.close_pool()  # a new client, created with the listeners
    before = scrape().get(("factory_database_errors_total", (("kind", "NoSuchCommand"),)), 0)
    with pytest.raises(Exception):  # noqa: B017 - any command error will do
        connection.get_database().command({"noSuchCommand": 1})
    after = scrape().get(("factory_database_errors_total", (("kind", "NoSuchCommand"),)), 0)
    if after == before:  # the server names the error differently: any new kind counts
        total = sum(v for (n, _), v in scrape().items() if n == "factory_database_errors_total")
        assert total >= 1
    else:
        assert after == before + 1


def test_open_alarms_by_customer_severity_and_state():
    from monitoring.alarms.lifecycle import alarm_act
    from monitoring.alarms.models import Alarm
    from monitoring.alarms.services import alarms_evaluate
    from monitoring.mongo import collection
    from tests.monitoring.alarms.support import series

    assert not [k for k in scrape() if k[0] == "factory_open_alarms"]  # none made up
    cache.delete(metrics.SNAPSHOT_KEY)
    for customer in ("Acme", "Globex"):
        bearing = BearingFactory(machine=MachineFactory(customer=customer))
        alarms_evaluate(readings=series(bearing, [1.0] * 10 + [5.0], store=True))
    zone = collection(Alarm).find_one({"customer": "Globex", "rule_type": "zone"})
    alarm_act(alarm_id=zone["_id"], action="clear", actor="t", expected_version=zone["version"])
    samples = scrape()

    def open_alarms(customer, severity, state):
        labels = (("customer", customer), ("severity", severity), ("state", state))
        return samples.get(("factory_open_alarms", labels))

    assert open_alarms("Acme", "danger", "active") == 1
    assert open_alarms("Globex", "danger", "active") is None  # cleared, still open
    assert open_alarms("Globex", "danger", "cleared") == 1
    expected = collection(Alarm).count_documents({"closed": False})
    assert sum(v for (n, _), v in samples.items() if n == "factory_open_alarms") == expected
