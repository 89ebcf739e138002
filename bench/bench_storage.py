"""Raw-data storage: a spectrum vs a waveform per reading, and apply_retention over a year.

    .venv/bin/python bench/bench_storage.py [--records 200] [--bearings 24] [--per-day 4]
                                            [--days 365] [--repeats 15]

One command, on a throwaway embedded database, prints side by side:

1. storage per reading (collStats: average document, index and storage bytes per document) of
   the spectrum ingestion used to store and of the raw waveform it stores now, for the same
   simulator records (int16, the vendor's default; float32 for comparison);
2. ``apply_retention`` over ``--days`` of a plant of ``--bearings`` bearings with
   ``--per-day`` readings per bearing and day, each with a real-size waveform: its time, the
   documents and bytes removed, and the dashboards' median latency (KPIs, hourly and status
   trends, a machine's daily and hourly time series) before and after, with the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from bson import Binary  # noqa: E402


def _setup_django(tmp: Path) -> None:
    """Local settings on a throwaway embedded database and log folder."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "factory_site.settings.local"
    os.environ["EMBEDDED_DB_PATH"] = str(tmp / "db")
    os.environ["LOG_DIR"] = str(tmp / "log")
    os.environ["DASHBOARD_CACHE_SECONDS"] = "0"
    os.environ["ACCESS_LOG"] = "false"
    os.environ.pop("MONGODB_URI", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _per_doc(name: str) -> dict:
    from django.db import connection

    stats = connection.database.command("collStats", name)
    n = stats.get("count") or 1
    return {
        "docs": stats.get("count"),
        "avg_doc_B": round(stats.get("avgObjSize") or stats.get("size", 0) / n),
        "index_B": round(stats.get("totalIndexSize", 0) / n),
        "storage_B": round(stats.get("storageSize", 0) / n),
    }


def storage_per_reading(records: int) -> None:
    """Spectrum vs waveform documents of the same simulator records, by collStats."""
    from django.db import connection

    from ingestion.client import Measurement, Waveform
    from ingestion.pipeline import _waveform_document, reading_object_id
    from ingestion.simulator import SimulatorConfig
    from ingestion.simulator.dataset import VendorDataset
    from ingestion.wire import decode_waveform
    from monitoring.models import Spectrum
    from monitoring.vibration.measurement import compute_measurement

    db = connection.database
    print(f"\n1. storage per reading, {records} simulator records (4,096 samples at 5,120 Hz)")
    print(f"{'collection':<22}{'docs':>7}{'avg doc B':>11}{'index B':>9}{'storage B':>11}")
    for encoding in ("int16", "float32"):
        ds = VendorDataset(SimulatorConfig(encoding=encoding))
        spectra, waveforms = [], []
        day = dt.date(2026, 11, 1)
        for machine in ds.machines():
            for item in ds.schedule(machine, day):
                record, _ = ds.record(item)
                wf = record["waveform"]
                when = item.timestamp
                rid = reading_object_id(measurement_id=item.measurement_id, timestamp=when)
                samples = decode_waveform(wf["data"], encoding=encoding, scale=wf["scale"])
                spec = compute_measurement(
                    samples, wf["sample_rate_hz"], group=2, foundation="rigid", peak_count=0
                )["spectrum"]
                spectra.append({
                    "_id": rid, "reading_id": rid, "sample_rate_hz": wf["sample_rate_hz"],
                    "n_samples": samples.size, "resolution_hz": spec["resolution_hz"],
                    "n_lines": spec["n_lines"], "window": "hann", "amplitude_unit": "g",
                    "amplitudes": Spectrum.encode_amplitudes(spec["amplitudes"]),
                })  # fmt: skip
                m = Measurement(
                    measurement_id=item.measurement_id, bearing_external_id="b",
                    machine_external_id="m",
                    timestamp=when, temperature_c=None,
                    waveform=Waveform(sample_rate_hz=wf["sample_rate_hz"],
                                      n_samples=wf["n_samples"], encoding=encoding,
                                      scale=wf["scale"], data_b64=wf["data"]),
                )  # fmt: skip
                waveforms.append(_waveform_document(rid, m, samples.size))
                if len(spectra) >= records:
                    break
            if len(spectra) >= records:
                break
        for name, docs in (
            (f"spectra ({encoding})", spectra),
            (f"waveforms ({encoding})", waveforms),
        ):
            coll = f"bench_{name.split()[0]}_{encoding}"
            db[coll].drop()
            db[coll].insert_many(docs)
            db[coll].create_index("reading_id", unique=True)
            row = _per_doc(coll)
            print(f"{name:<22}{row['docs']:>7}{row['avg_doc_B']:>11}{row['index_B']:>9}"
                  f"{row['storage_B']:>11}")  # fmt: skip


def plant_load(*, bearings: int, per_day: int, days: int, end: dt.datetime) -> int:
    """Readings (rollups, latest state) and a real-size waveform for each; returns readings."""
    sys.path.insert(0, str(ROOT / "bench"))
    import datagen

    from monitoring.models import Reading, Waveform
    from monitoring.mongo import collection
    from monitoring.services import latest_state_update, rollups_apply

    fleet = datagen.fleet_create(machines=bearings // 4, bearings_per_machine=4, seed=7)
    rng = np.random.default_rng(7)
    step = dt.timedelta(days=1) / per_day
    latest: dict = {}
    total = 0
    for slot in range(days * per_day):
        when = end - slot * step
        values = datagen._slot_values(7, slot, len(fleet))
        readings = [datagen._reading(b, slot, when, values, k) for k, b in enumerate(fleet)]
        docs = []
        for r in readings:
            counts = np.rint(rng.normal(0, 6000, 4096)).astype("<i2")
            data = Waveform.pack(counts.tobytes())
            docs.append({
                "_id": r["_id"], "reading_id": r["_id"], "sample_rate_hz": 5120.0,
                "n_samples": 4096, "encoding": "int16", "scale": 3e-5, "compression": "zlib",
                "data": Binary(data), "stored_bytes": len(data), "tier": None,
            })  # fmt: skip
            latest.setdefault(r["bearing_id"], r)
        collection(Reading).insert_many(readings)
        collection(Waveform).insert_many(docs)
        rollups_apply(readings)
        total += len(readings)
    latest_state_update(latest)
    return total


def _p50_ms(fn, repeats: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000.0


def dashboards(now: dt.datetime, repeats: int) -> dict[str, float]:
    """Median milliseconds of each dashboard answer (through the test client, uncached)."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from monitoring.models import Machine
    from monitoring.mongo import collection

    user, _ = get_user_model().objects.get_or_create(username="bench", is_staff=True)
    token = Token.objects.get_or_create(user=user)[0].key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    machine = collection(Machine).find_one({}, {"_id": 1})["_id"]
    start = (now - dt.timedelta(days=300)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    week = (now - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ts = f"/api/machines/{machine}/timeseries"
    urls = {
        "kpis": "/api/dashboard/kpis",
        "trends/hourly 720h": "/api/dashboard/trends/hourly?hours=720",
        "trends/status 90d": "/api/dashboard/trends/status?days=90",
        "timeseries day 300d": f"{ts}?interval=day&start={start}&end={end}",
        "timeseries hour 7d": f"{ts}?interval=hour&start={week}&end={end}",
    }  # fmt: skip
    out = {}
    for name, url in urls.items():
        assert client.get(url).status_code == 200, url
        out[name] = _p50_ms(lambda url=url: client.get(url), repeats)
    return out


def retention_year(options) -> None:
    """apply_retention over a year of the plant: time, removals, dashboards before/after."""
    from monitoring import clock
    from monitoring.retention import retention_apply

    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    clock.now = lambda: now  # one fixed instant for every answer before and after
    started = time.perf_counter()
    n = plant_load(bearings=options.bearings, per_day=options.per_day, days=options.days,
                   end=now - dt.timedelta(hours=1))  # fmt: skip
    load_s = time.perf_counter() - started
    print(f"\n2. apply_retention over {options.days} days: {options.bearings} bearings x "
          f"{options.per_day} readings a day = {n} readings with waveforms "
          f"(loaded in {load_s:.0f} s)")  # fmt: skip
    before_w = _per_doc("waveforms")
    before = dashboards(now, options.repeats)
    started = time.perf_counter()
    run = retention_apply()
    took = time.perf_counter() - started
    after_w = _per_doc("waveforms")
    after = dashboards(now, options.repeats)
    print(f"   run: {took:.1f} s for {run.days} days; removed {run.waveforms_removed} waveforms "
          f"({run.waveform_bytes_removed / 1e6:.1f} MB stored bytes), kept {run.kept_daily} "
          f"daily and {run.kept_evidence} evidence; waveforms {before_w['docs']} -> "
          f"{after_w['docs']}")  # fmt: skip
    print(f"   {'dashboard (p50 ms)':<24}{'before':>9}{'after':>9}{'after/before':>14}")
    for name in before:
        ratio = after[name] / before[name]
        print(f"   {name:<24}{before[name]:>9.1f}{after[name]:>9.1f}{ratio:>13.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--bearings", type=int, default=24)
    parser.add_argument("--per-day", type=int, default=4)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=15)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp_name:
        _setup_django(Path(tmp_name))
        from django.core.management import call_command

        from factory_site import embedded

        try:
            call_command("migrate", verbosity=0)
            storage_per_reading(options.records)
            retention_year(options)
        finally:
            from django.conf import settings
            from django.db import connection

            connection.close()
            embedded.stop(Path(settings.DATABASES["default"]["EMBEDDED_PATH"]))


if __name__ == "__main__":
    main()
