"""Retention tiers: what apply_retention keeps, removes, resumes, and never touches."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ingestion.lock import lock_acquire
from monitoring import retention
from monitoring.models import Reading, RetentionRun, Spectrum, Waveform
from monitoring.mongo import collection
from monitoring.services import latest_state_rebuild, rollups_rebuild
from tests.factories import (
    BearingFactory,
    MachineFactory,
    ReadingFactory,
    SpectrumFactory,
    WaveformFactory,
    velocity,
)
from tests.monitoring.conftest import TokenClient

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
#: 100 days after START: START's first 10 days are past the 90-day raw window.
NOW = START + dt.timedelta(days=100, hours=12)


@pytest.fixture
def plant(monkeypatch):
    """Two bearings, a reading every 4 h for 12 days from START; waveforms, or legacy
    spectra on days 0-1 of bearing 2; the worst reading of each bearing-day is at 08:00."""
    from monitoring import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    machine = MachineFactory(customer="Acme", running_speed_rpm=1500.0)
    bearings = [BearingFactory(machine=machine) for _ in range(2)]
    readings = []
    for day in range(12):
        for hour in range(0, 24, 4):
            for i, b in enumerate(bearings):
                worst = hour == 8
                r = ReadingFactory(
                    bearing=b,
                    timestamp=START + dt.timedelta(days=day, hours=hour),
                    status="Alert" if worst else "Normal",
                    velocity=velocity(5.0 if worst else 1.0 + hour / 100),
                )
                if i == 1 and day < 2:
                    SpectrumFactory(reading=r)
                else:
                    WaveformFactory(reading=r)
                readings.append(r)
    rollups_rebuild()
    latest_state_rebuild()
    return bearings, readings


def _raw_ids() -> tuple[set, set]:
    waveforms = {d["reading_id"] for d in collection(Waveform).find({}, {"reading_id": 1})}
    spectra = {d["reading_id"] for d in collection(Spectrum).find({}, {"reading_id": 1})}
    return waveforms, spectra


def test_cutoff_is_the_first_whole_day_inside_the_raw_window(settings):
    settings.RETENTION_WAVEFORM_DAYS = 90
    assert retention.retention_cutoff(now=NOW) == START + dt.timedelta(days=11)


def test_thins_old_days_to_the_worst_reading_per_bearing_plus_pinned(plant):
    _bearings, readings = plant
    pinned = readings[2]  # day 0, 04:00, bearing 0: not the worst
    retention.reading_pin(reading_ids=[pinned.pk])
    run = retention.retention_apply(now=NOW)

    assert run.outcome == "succeeded" and run.days == 11
    waveforms, spectra = _raw_ids()
    by_id = {r.pk: r for r in readings}
    old = [r for r in readings if r.timestamp < START + dt.timedelta(days=11)]
    kept = [r for r in old if r.pk in waveforms or r.pk in spectra]
    # One per bearing and day (the 08:00 worst) plus the pinned one.
    assert len(kept) == 2 * 11 + 1
    assert {r.timestamp.hour for r in kept if r.pk != pinned.pk} == {8}
    assert pinned.pk in waveforms
    # The raw window is untouched: day 11 keeps all 12 waveforms.
    recent = [r for r in readings if r.timestamp >= START + dt.timedelta(days=11)]
    assert all(r.pk in waveforms for r in recent)
    # Legacy spectra thinned the same way (bearing 2, days 0-1).
    assert {by_id[i].timestamp.hour for i in spectra} == {8} and len(spectra) == 2
    assert run.waveforms_removed == 11 * 2 * 5 - 2 * 5 - 1
    assert run.spectra_removed == 2 * 5 and run.spectrum_bytes_removed == 10 * 2048 * 4
    assert run.kept_daily == 22 and run.kept_evidence == 1
    tiers = {
        d["reading_id"]: d["tier"]
        for d in collection(Waveform).find({}, {"tier": 1, "reading_id": 1})
    }
    assert tiers[pinned.pk] == "evidence"
    assert sorted(set(tiers.values()), key=str) == [None, "daily", "evidence"]
    # Readings themselves are all kept.
    assert Reading.objects.count() == len(readings)


def test_dry_run_counts_the_same_and_deletes_nothing(plant):
    before = _raw_ids()
    dry = retention.retention_apply(now=NOW, dry_run=True)
    assert _raw_ids() == before and dry.thinned_before is None
    real = retention.retention_apply(now=NOW)
    for field in ("waveforms_removed", "waveform_bytes_removed", "spectra_removed", "kept_daily"):
        assert getattr(dry, field) == getattr(real, field), field


def test_a_crashed_run_is_finished_by_the_next_and_a_rerun_does_nothing(plant, monkeypatch):
    def crash(plan):
        if plan.day == START + dt.timedelta(days=3):
            raise SystemExit("killed")

    # Crash inside a day too: after its survivors are marked, before all its deletes.
    with pytest.raises(SystemExit):
        retention.retention_apply(now=NOW, on_day=crash)
    failed = RetentionRun.objects.get()
    assert failed.outcome == "failed" and failed.thinned_before == START + dt.timedelta(days=4)
    calls = []

    def crash_mid_day():
        calls.append(1)
        if len(calls) == 1:
            raise SystemExit("killed mid-day")

    with pytest.raises(SystemExit):
        retention.retention_apply(now=NOW, batch_size=2, check=crash_mid_day)
    finished = retention.retention_apply(now=NOW)
    assert finished.outcome == "succeeded"
    waveforms, spectra = _raw_ids()
    assert len(waveforms) + len(spectra) == 2 * 11 + 12  # as one clean run leaves it
    again = retention.retention_apply(now=NOW)
    assert again.days == 0 and again.waveforms_removed == 0
    assert _raw_ids() == (waveforms, spectra)


def _answers(client, machine_id) -> dict:
    t = "start=2026-01-01T00:00:00Z&end=2026-01-13T00:00:00Z"
    urls = {
        "kpis": "/api/dashboard/kpis",
        "hourly": "/api/dashboard/trends/hourly?hours=720",
        "status": "/api/dashboard/trends/status?days=90",
        "ts_hour": f"/api/machines/{machine_id}/timeseries?interval=hour&{t}",
        "ts_day": f"/api/machines/{machine_id}/timeseries?interval=day&{t}",
        "ts_raw": f"/api/machines/{machine_id}/timeseries?interval=raw&{t}",
        "readings": "/api/data/query?page_size=500",
    }
    out = {name: client.get(url).json() for name, url in urls.items()}
    stats = client.get("/api/stats").json()
    out["stats"] = {k: stats[k] for k in ("oldest_reading_at", "newest_reading_at")}
    out["stats_readings"] = stats["collections"]["readings"]
    return out


def test_every_dashboard_answers_the_same_after_every_tier_is_applied(plant, settings):
    """The data set aged past every tier: retention as if a year later, dashboards now."""
    settings.DASHBOARD_CACHE_SECONDS = 0
    bearings, _ = plant
    client = TokenClient()
    machine_id = bearings[0].machine_id
    before = _answers(client, machine_id)
    retention.retention_apply(now=NOW + dt.timedelta(days=365))
    assert len(_raw_ids()[0]) + len(_raw_ids()[1]) == 2 * 12  # only the daily survivors left
    assert _answers(client, machine_id) == before


def test_unpinning_lets_the_next_run_thin_it(plant):
    _, readings = plant
    pinned = readings[2]
    retention.reading_pin(reading_ids=[pinned.pk])
    retention.retention_apply(now=NOW)
    assert pinned.pk in _raw_ids()[0]
    retention.reading_pin(reading_ids=[pinned.pk], pinned=False)
    run = retention.retention_apply(now=NOW)
    assert pinned.pk not in _raw_ids()[0] and run.waveforms_removed == 1


def test_evidence_hook_returns_the_pinned_readings(plant):
    _, readings = plant
    ids = [r.pk for r in readings[:5]]
    assert retention.evidence_reading_ids(reading_ids=ids) == set()
    retention.reading_pin(reading_ids=ids[1:3])
    assert retention.evidence_reading_ids(reading_ids=ids) == set(ids[1:3])
    assert retention.evidence_reading_ids(reading_ids=[]) == set()


def test_alarm_and_baseline_readings_are_evidence_and_outlive_the_raw_window(plant):
    from bson import ObjectId

    from monitoring.alarms.models import Alarm, Baseline

    bearings, readings = plant
    # Day 0, bearing 0: readings at 00:00, 04:00, 12:00 and 16:00 (08:00 is the day's keeper).
    trigger, worst, base_1, base_2 = (readings[i] for i in (0, 2, 6, 8))
    collection(Alarm).insert_one({
        "_id": ObjectId(), "subject": "x", "open_key": "x", "rule_type": "zone",
        "trigger_reading_id": trigger.pk, "worst_reading_id": worst.pk,
    })  # fmt: skip
    collection(Baseline).insert_one(
        {"_id": ObjectId(), "bearing_id": bearings[0].pk, "reading_ids": [base_1.pk, base_2.pk]}
    )
    day0 = [r.pk for r in readings[:12]]
    expected = {trigger.pk, worst.pk, base_1.pk, base_2.pk}
    assert retention.evidence_reading_ids(reading_ids=day0) == expected
    retention.retention_apply(now=NOW)
    found = collection(Waveform).find({"reading_id": {"$in": day0}})
    kept = {d["reading_id"]: d["tier"] for d in found}
    assert {rid for rid, tier in kept.items() if tier == "evidence"} == expected
    assert set(kept) == expected | {readings[4].pk}  # plus the day's keeper (08:00)


def test_admin_pin_and_unpin_actions(admin_client, plant):
    _, readings = plant
    url = reverse("admin:monitoring_reading_changelist")
    ids = [str(readings[0].pk), str(readings[1].pk)]
    response = admin_client.post(url, {"action": "pin", "_selected_action": ids}, follow=True)
    assert response.status_code == 200 and "2 reading(s) pinned" in response.content.decode()
    assert Reading.objects.filter(pinned=True).count() == 2
    admin_client.post(url, {"action": "unpin", "_selected_action": ids[:1]})
    assert list(Reading.objects.filter(pinned=True)) == [readings[1]]


def test_command_prints_tiers_and_refuses_while_ingestion_runs(plant):
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "would remove 100 waveforms" in out.getvalue() and _raw_ids()[0]
    lease = lock_acquire(holder="someone", ttl=dt.timedelta(minutes=5))
    with pytest.raises(CommandError) as excinfo:
        call_command("apply_retention", stdout=io.StringIO())
    assert excinfo.value.returncode == 75
    from ingestion.lock import lock_release

    lock_release(lease=lease)
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "removed 100 waveforms" in out.getvalue()


def test_stats_show_storage_per_tier_and_the_next_run(plant, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    retention.reading_pin(reading_ids=[plant[1][2].pk])
    retention.retention_apply(now=NOW - dt.timedelta(days=2))  # leaves 2 days due at NOW
    body = TokenClient().get("/api/stats").json()["retention"]
    assert body["waveform_days"] == 90 and body["cutoff"] == "2026-01-12T00:00:00Z"
    tiers = body["waveforms"]
    assert (tiers["daily"]["count"], tiers["evidence"]["count"]) == (2 * 9 - 2, 1)
    assert tiers["raw"]["count"] == 2 * 2 * 6 + 12  # days 9-10 not yet thinned, day 11
    assert tiers["raw"]["bytes"] == sum(
        d["stored_bytes"] for d in collection(Waveform).find({"tier": None})
    )
    assert body["next_run"] == {
        "days": 2, "waveforms": 2 * 2 * 5, "spectra": 0,
        "waveform_bytes": body["next_run"]["waveform_bytes"],
    }  # fmt: skip
    assert body["next_run"]["waveform_bytes"] > 0
    plant_user = TokenClient("p", is_staff=False, customers=["Acme"])
    assert plant_user.get("/api/stats").json()["retention"] is None


def test_stats_retention_figures_use_indexes(plant, recorder):
    from tests.monitoring.test_api_index_use import _plan

    retention.retention_apply(now=NOW - dt.timedelta(days=2))
    from monitoring.scope import Scope
    from monitoring.selectors import spectra

    recorder.commands.clear()
    figures = spectra.storage_tiers_get(scope=Scope.everything())
    assert figures["next_run"]["waveforms"] == 20
    explained = 0
    for command in list(recorder.commands):
        name = next(iter(command))
        # The tiers come from their running totals: no sum over the waveforms.
        assert not (name == "aggregate" and command[name] == "waveforms"), command
        if command[name] in ("readings", "waveforms", "spectra"):
            explained += 1
            assert "COLLSCAN" not in _plan(command), command
    assert explained >= 2 * 3  # per due day: readings, waveforms, spectra


def test_running_tier_totals_equal_a_recount_after_thinning_and_unpinning(plant, monkeypatch):
    from monitoring import services
    from monitoring.models import WaveformTierTotal

    def totals():
        return {d["_id"]: (d["count"], d["bytes"]) for d in collection(WaveformTierTotal).find()}

    _, readings = plant
    services.waveform_tiers_recount()  # start from exact totals
    monkeypatch.setattr(retention, "waveform_tiers_recount", lambda: None)
    retention.reading_pin(reading_ids=[readings[2].pk])
    retention.retention_apply(now=NOW)
    retention.reading_pin(reading_ids=[readings[2].pk], pinned=False)
    running = totals()
    assert running["daily"][0] > 0 and running["evidence"][0] == 0 and running["raw"][0] > 0
    services.waveform_tiers_recount()
    assert running == totals()


def test_ingestion_adds_its_waveforms_to_the_raw_total():
    from monitoring import services
    from monitoring.models import WaveformTierTotal
    from tests.ingestion.support import DAY, simulator_start, vendor_client

    server = simulator_start()
    try:
        with vendor_client(server) as client:
            from ingestion.run import ingestion_run

            ingestion_run(date_from=DAY, date_to=DAY, client=client, batch_size=50)
    finally:
        server.stop()
    raw = collection(WaveformTierTotal).find_one({"_id": "raw"})
    assert raw["count"] == collection(Waveform).count_documents({}) > 0
    assert services.waveform_tiers_recount()["raw"] == {
        "count": raw["count"],
        "bytes": raw["bytes"],
    }


def test_readings_stored_without_pinned_are_not_pinned(admin_client, plant):
    """Ingestion's documents (and readings older than the field) carry no `pinned`."""
    _, readings = plant
    collection(Reading).update_many({}, {"$unset": {"pinned": ""}})
    assert retention.evidence_reading_ids(reading_ids=[r.pk for r in readings]) == set()
    assert admin_client.get(reverse("admin:monitoring_reading_changelist")).status_code == 200
    page = reverse("admin:monitoring_reading_change", args=[readings[0].pk])
    html = admin_client.get(page).content.decode()
    # The admin chart of a reading with only a waveform: derived through the /fft selector.
    assert "<svg" in html and "2049 lines" in html
    retention.reading_pin(reading_ids=[readings[0].pk])
    assert retention.evidence_reading_ids(reading_ids=[readings[0].pk]) == {readings[0].pk}
