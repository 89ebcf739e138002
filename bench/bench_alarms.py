"""Alarm evaluation benchmark: its cost per reading against raw insert_many, side by side.

    .venv/bin/python bench/bench_alarms.py [--bearings 100] [--readings-per-bearing 60]

Starts a throwaway embedded database, creates machines and bearings, and in one run times, for
the same reading documents in batches of 1,000: (1) raw ``insert_many`` into the readings
collection; (2) ``alarms_evaluate`` of each batch (baselines, zone with hysteresis, trend,
lifecycle writes; a tenth of the bearings drift into zone C/D so alarms are raised). Prints
readings/s of each, the evaluation cost per reading and the ratio insert / (insert + evaluate),
which is what evaluation leaves of the store's raw speed (target >= 0.6).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_ingest import _setup_django


def _documents(bearings, per_bearing: int) -> list[dict]:
    from bson import ObjectId

    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    docs = []
    for i in range(per_bearing):
        for n, b in enumerate(bearings):
            drift = 1.0 + (0.08 * i if n % 10 == 0 else 0.0)
            docs.append({
                "_id": ObjectId(), "external_id": f"bench-{n}-{i}", "machine_id": b.machine_id,
                "bearing_id": b.pk, "customer": b.customer, "area": "", "status": "Normal",
                "timestamp": start + dt.timedelta(minutes=10 * i),
                "acceleration": {"rms": 0.2, "peak": 0.6, "crest_factor": 3.0, "kurtosis": 3.0},
                "velocity": {"rms": drift, "peak": drift * 1.4, "crest_factor": 1.4},
                "temperature": 40.0, "ingested_at": start + dt.timedelta(minutes=10 * i),
            })  # fmt: skip
    return docs


def bench_main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bearings", type=int, default=100)
    parser.add_argument("--readings-per-bearing", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-alarms-") as tmp:
        _setup_django(Path(tmp))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from monitoring.alarms.models import Alarm
        from monitoring.alarms.services import alarms_evaluate
        from monitoring.models import Bearing, Machine, Reading
        from monitoring.mongo import collection

        machines = [
            Machine.objects.create(external_id=f"M{i}", machine_name=f"M{i}", customer="Acme")
            for i in range(args.bearings // 4 + 1)
        ]
        bearings = [Bearing.objects.create(machine=machines[i // 4], external_id=f"B{i}",
                                           bearing_location="DE", customer="Acme")
                    for i in range(args.bearings)]  # fmt: skip
        docs = _documents(bearings, args.readings_per_bearing)
        batches = [docs[i : i + 1000] for i in range(0, len(docs), 1000)]
        t0 = time.perf_counter()
        for batch in batches:
            collection(Reading).insert_many(batch, ordered=True)
        insert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for batch in batches:
            alarms_evaluate(readings=batch, now=batch[-1]["timestamp"])
        evaluate_s = time.perf_counter() - t0
        n = len(docs)
        print(f"readings: {n} ({args.bearings} bearings x {args.readings_per_bearing}), "
              f"alarms raised: {collection(Alarm).count_documents({})}")  # fmt: skip
        print(f"raw insert_many:   {n / insert_s:10.0f} readings/s")
        print(f"alarms_evaluate:   {n / evaluate_s:10.0f} readings/s "
              f"({evaluate_s / n * 1e6:.0f} us per reading)")  # fmt: skip
        ratio = insert_s / (insert_s + evaluate_s)
        print(f"insert + evaluate vs insert alone: {ratio:.2f}x (target >= 0.6)")
        from factory_site import embedded

        embedded.stop(Path(tmp) / "db")


if __name__ == "__main__":
    bench_main()
