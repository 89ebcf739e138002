"""Raw-data storage: a spectrum vs a waveform per reading, and apply_retention over a year.

    .venv/bin/python bench/bench_storage.py [--records 200] [--bearings 96] [--per-day 12]
        [--days 365] [--rounds 30] [--control-rounds 10] [--stats-rounds 3] [--timeout 120]
        [--skip-records]

One command, on a throwaway embedded database (the database and gunicorns of bench/run.py's
``Processes``, stopped on exit), prints:

1. storage per reading (collStats: average document, index and storage bytes per document) of
   the spectrum ingestion used to store and of the raw waveform it stores now, for the same
   simulator records (int16, the vendor's default; float32 for comparison);
2. ``apply_retention`` over ``--days`` of a plant of ``--bearings`` bearings with
   ``--per-day`` readings per bearing and day (12: every 2 hours, the demo's cadence), each with
   a real-size waveform, and two readings per bearing pinned (the evidence tier). The year is
   generated ONCE into ``bench_before`` and copied to ``bench_after`` (same server, raw BSON,
   the same indexes); two gunicorns with the production settings (dashboard cache off: every
   request computes; worker timeout ``--timeout``, every call over the default 30 s reported)
   serve the two copies. First ``--control-rounds`` of the dashboards on both untouched copies
   (A/A: what the copy and the machine's noise alone do to the ratio); then
   ``manage.py apply_retention`` runs on the AFTER copy only (timed; its RetentionRun gives
   the service's own time), with the waveforms and stored bytes per tier before and after (the
   ``$group`` of ``/api/stats``' retention section); then the dashboards (KPIs, hourly and
   status trends, a machine's daily and hourly time series) are requested through httpx
   alternately before/after, round by round, for ``--rounds`` (answers compared once), and
   ``/api/stats`` last for ``--stats-rounds``: p50 after/before per endpoint against
   ``--target`` (1.1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from bson import Binary  # noqa: E402


def _per_doc(db, name: str) -> dict:
    stats = db.command("collStats", name)
    n = stats.get("count") or 1
    return {
        "docs": stats.get("count"),
        "avg_doc_B": round(stats.get("avgObjSize") or stats.get("size", 0) / n),
        "index_B": round(stats.get("totalIndexSize", 0) / n),
        "storage_B": round(stats.get("storageSize", 0) / n),
    }


def storage_per_reading(db, records: int) -> None:
    """Spectrum vs waveform documents of the same simulator records, by collStats, in ``db``."""
    from ingestion.client import Measurement, Waveform
    from ingestion.pipeline import _waveform_document, reading_object_id
    from ingestion.simulator import SimulatorConfig
    from ingestion.simulator.dataset import VendorDataset
    from ingestion.wire import decode_waveform
    from monitoring.models import Spectrum
    from monitoring.vibration.measurement import compute_measurement

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
            row = _per_doc(db, coll)
            print(f"{name:<22}{row['docs']:>7}{row['avg_doc_B']:>11}{row['index_B']:>9}"
                  f"{row['storage_B']:>11}")  # fmt: skip


BEFORE, AFTER = "bench_before", "bench_after"
DEFAULT_WORKER_TIMEOUT_S = 30.0  # gunicorn.conf.py's GUNICORN_TIMEOUT default
#: Distinct waveform payloads cycled through the plant (content is noise either way; the
#: stored size is what matters, and compressing 400,000 fresh ones would time numpy and zlib).
WAVEFORM_POOL = 512


def plant_load(*, bearings: int, per_day: int, days: int, end: dt.datetime) -> dict:
    """Readings (rollups, latest state) and a real-size waveform for each, a day at a time;
    a few pinned readings (the evidence tier). Returns figures."""
    sys.path.insert(0, str(ROOT / "bench"))
    import datagen

    from monitoring.models import Reading, Waveform
    from monitoring.mongo import collection
    from monitoring.retention import reading_pin
    from monitoring.services import latest_state_update, rollups_apply

    fleet = datagen.fleet_create(machines=bearings // 4, bearings_per_machine=4, seed=7)
    rng = np.random.default_rng(7)
    pool = [
        np.rint(rng.normal(0, 6000, 4096)).astype("<i2").tobytes() for _ in range(WAVEFORM_POOL)
    ]
    readings_coll, waveforms_coll = collection(Reading), collection(Waveform)
    # The bench-only bulk-load shortcut (datagen.secondary_indexes_drop): restored below.
    specs = {coll: datagen.secondary_indexes_drop(coll) for coll in (readings_coll, waveforms_coll)}
    step = dt.timedelta(days=1) / per_day
    latest: dict = {}
    total = 0
    for day in range(days):
        readings, docs = [], []
        for slot in range(day * per_day, (day + 1) * per_day):
            when = end - slot * step
            values = datagen._slot_values(7, slot, len(fleet))
            readings += [datagen._reading(b, slot, when, values, k) for k, b in enumerate(fleet)]
        for r in readings:
            data = pool[total % WAVEFORM_POOL]
            total += 1
            docs.append({
                "_id": r["_id"], "reading_id": r["_id"], "sample_rate_hz": 5120.0,
                "n_samples": 4096, "encoding": "int16", "scale": 3e-5, "compression": "none",
                "data": Binary(data), "stored_bytes": len(data), "tier": None,
            })  # fmt: skip
            latest.setdefault(r["bearing_id"], r)
        readings_coll.insert_many(readings, ordered=False)
        waveforms_coll.insert_many(docs, ordered=False)
        rollups_apply(readings)
    latest_state_update(latest)
    started = time.perf_counter()
    for coll, spec in specs.items():
        datagen.secondary_indexes_restore(coll, spec)
    index_s = time.perf_counter() - started
    # Evidence: two pinned readings per bearing, past the raw window (a few hundred a year).
    pinned = []
    for k, bearing in enumerate(fleet):
        for slot in ((120 + k) * per_day, (250 + k % 100) * per_day):
            if slot < days * per_day:
                when = end - slot * step
                pinned.append(datagen._object_id(f"{bearing['external_id']}-{slot}", when))
    reading_pin(reading_ids=pinned)
    return {"readings": total, "pinned": len(pinned), "index_build_s": index_s}


def database_copy(client, source: str, target: str) -> dict:
    """Copy every collection of ``source`` into ``target`` on the same server (raw BSON in
    batches, then the same indexes from index_information()); returns figures."""
    sys.path.insert(0, str(ROOT / "bench"))
    import datagen
    from bson.codec_options import CodecOptions
    from bson.raw_bson import RawBSONDocument

    raw = CodecOptions(document_class=RawBSONDocument)
    src, dst = client.get_database(source, codec_options=raw), client[target]
    client.drop_database(target)
    docs = 0
    for name in src.list_collection_names():
        specs = {k: v for k, v in src[name].index_information().items() if k != "_id_"}
        dst.create_collection(name)
        batch: list = []
        for doc in src[name].find({}, batch_size=2000):
            batch.append(doc)
            if len(batch) >= 2000:
                dst[name].insert_many(batch, ordered=False)
                docs += len(batch)
                batch = []
        if batch:
            dst[name].insert_many(batch, ordered=False)
            docs += len(batch)
        datagen.secondary_indexes_restore(dst[name], specs)
    return {"documents": docs}


def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def dashboard_urls(machine_id, now: dt.datetime) -> dict[str, str]:
    """The dashboards a plant engineer opens, over the whole year where the API allows."""
    ts = f"/api/machines/{machine_id}/timeseries"
    start, week = _iso(now - dt.timedelta(days=300)), _iso(now - dt.timedelta(days=7))
    return {
        "kpis": "/api/dashboard/kpis",
        "trends/hourly 720h": "/api/dashboard/trends/hourly?hours=720",
        "trends/status 90d": "/api/dashboard/trends/status?days=90",
        "timeseries day 300d": f"{ts}?interval=day&start={start}&end={_iso(now)}",
        "timeseries hour 7d": f"{ts}?interval=hour&start={week}&end={_iso(now)}",
        "stats": "/api/stats",
    }


def _comparable(name: str, body: dict) -> dict:
    """An answer without what retention is meant to change (/api/stats' tiers) or what moves
    between two requests on its own (the time the answer was computed)."""
    return {k: v for k, v in body.items() if k != "generated_at" and (
        name != "stats" or k != "retention")}  # fmt: skip


def interleaved(clients: dict, urls: dict, *, rounds: int, budget_s: float) -> dict:
    """Latencies of each URL on each server, requested alternately round by round (who goes
    first alternates too), so machine noise hits both alike; stops after ``rounds`` or
    ``budget_s`` per URL. A URL that fails on either side at warm-up (an error, or not 200) is
    not measured further. Returns {name: {"samples": {server: [s]}, "warm": {server: s},
    "errors": [...]}}."""
    import httpx

    def timed(side: str, url: str) -> tuple[float, str | None]:
        t0 = time.perf_counter()
        try:
            response = clients[side].get(url)
        except httpx.HTTPError as exc:
            return time.perf_counter() - t0, f"{side}: {exc!r}"
        took = time.perf_counter() - t0
        if response.status_code != 200:
            return took, f"{side}: {response.status_code} {response.text[:120]!r}"
        return took, None

    out = {}
    for name, url in urls.items():
        row = {"samples": {side: [] for side in clients}, "warm": {}, "errors": []}
        out[name] = row
        for side in clients:  # warm-up, and a 200 from both
            row["warm"][side], error = timed(side, url)
            if error:
                row["errors"].append(f"warm-up {error}")
        if row["errors"]:
            continue
        started = time.monotonic()
        for n in range(rounds):
            order = list(clients) if n % 2 == 0 else list(reversed(clients))
            for side in order:
                took, error = timed(side, url)
                if error:
                    row["errors"].append(error)
                else:
                    row["samples"][side].append(took)
            if n >= 4 and time.monotonic() - started > budget_s:
                break
    return out


def ratios_print(title: str, samples: dict, *, target: float | None) -> dict:
    """Print p50 per side and after/before per endpoint; return the ratios."""
    import run as bench_run

    print(f"\n   {title}")
    head = f"   {'endpoint (p50 / p95 ms)':<24}{'before':>17}{'after':>17}{'after/before':>14}"
    print(head + (f"  <= {target}" if target else ""))
    ratios = {}
    for name, row in samples.items():
        sides = row["samples"]
        if not sides[BEFORE] or not sides[AFTER]:
            print(f"   {name:<24}not measured: {'; '.join(row['errors'])[:300]}")
            continue
        if row["errors"]:
            print(f"   {name}: {len(row['errors'])} failed calls, e.g. {row['errors'][0][:200]}")
        b, a = bench_run.percentiles(sides[BEFORE]), bench_run.percentiles(sides[AFTER])
        ratios[name] = a["p50"] / b["p50"]
        verdict = ""
        if target:
            verdict = "  PASS" if ratios[name] <= target else "  FAIL"
        print(f"   {name:<24}{b['p50']:>8.1f} / {b['p95']:>6.1f}{a['p50']:>8.1f} / {a['p95']:>6.1f}"
              f"{ratios[name]:>13.2f}x{verdict}  (n={b['n']})")  # fmt: skip
    over = []
    for name, row in samples.items():
        for side in (BEFORE, AFTER):
            times = [row["warm"].get(side, 0.0), *row["samples"][side]]
            slow = [t for t in times if t > DEFAULT_WORKER_TIMEOUT_S]
            if slow:
                over.append(
                    f"{name} on {side}: {len(slow)} of {len(times)} (max {max(slow):.0f} s)"
                )
    if over:
        print(f"   calls over gunicorn's default {DEFAULT_WORKER_TIMEOUT_S:.0f} s worker timeout "
              "(they would fail as deployed): " + "; ".join(over))  # fmt: skip
    return ratios


def _tiers(db) -> dict:
    """Waveforms and stored bytes per tier: the $group per tier /api/stats' retention section
    runs (monitoring.selectors.spectra._tier_storage), on the (tier, stored_bytes) index."""
    out = {}
    for name, tier in (("raw", None), ("daily", "daily"), ("evidence", "evidence")):
        rows = list(
            db.waveforms.aggregate(
                [
                    {"$match": {"tier": tier}},
                    {"$project": {"_id": 0, "stored_bytes": 1}},
                    {"$group": {"_id": None, "n": {"$sum": 1}, "b": {"$sum": "$stored_bytes"}}},
                ]
            )
        )
        out[name] = {"count": rows[0]["n"], "bytes": rows[0]["b"]} if rows else {
            "count": 0, "bytes": 0}  # fmt: skip
    return out


def retention_year(options, procs, tmp: Path) -> None:
    """A year of the plant generated once and copied; apply_retention on the AFTER copy;
    dashboards served by two gunicorns, measured alternately before/after."""
    import httpx
    import run as bench_run
    from pymongo import MongoClient

    client = MongoClient(procs.uri)
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    end = (now - dt.timedelta(hours=1)).replace(tzinfo=None)
    started = time.perf_counter()
    plant = plant_load(bearings=options.bearings, per_day=options.per_day, days=options.days,
                       end=end)  # fmt: skip
    load_s = time.perf_counter() - started
    sys.path.insert(0, str(ROOT / "bench"))
    import datagen

    token = datagen.api_token_create()
    print(f"\n2. apply_retention over {options.days} days: {options.bearings} bearings x "
          f"{options.per_day} readings a day = {plant['readings']:,} readings, each with a "
          f"real-size waveform, {plant['pinned']} pinned; generated once in {load_s:.0f} s "
          f"(indexes rebuilt in {plant['index_build_s']:.0f} s)")  # fmt: skip
    started = time.perf_counter()
    copied = database_copy(client, BEFORE, AFTER)
    print(f"   copied {BEFORE} -> {AFTER} ({copied['documents']:,} documents, indexes from "
          f"index_information) in {time.perf_counter() - started:.0f} s")  # fmt: skip
    # gunicorn.conf.py's worker timeout is 30 s; /api/stats over a year of raw waveforms can
    # take longer on SecantusDB, so the servers get more and every call over 30 s is reported.
    env = {**os.environ, "MONGODB_TIMEOUT_MS": "2000", "GUNICORN_TIMEOUT": str(options.timeout)}
    servers = {db: procs.gunicorn_start(env, db, token, cache=False) for db in (BEFORE, AFTER)}
    headers = bench_run.auth_headers(token)
    clients = {
        db: httpx.Client(base_url=server.base_url, headers=headers, timeout=options.timeout + 30)
        for db, server in servers.items()
    }
    machine = client[BEFORE].machines.find_one({"external_id": bench_run.MACHINE}) or (
        client[BEFORE].machines.find_one({})
    )
    urls = dashboard_urls(machine["_id"], now)
    tiers_before = _tiers(client[AFTER])
    # /api/stats reads every raw waveform's tier entry (tens of seconds here): measured last,
    # with a few rounds, so a slow or failed call cannot hold up the dashboards' rounds.
    heavy = {name: url for name, url in urls.items() if name == "stats"}
    urls = {name: url for name, url in urls.items() if name not in heavy}
    if options.control_rounds:
        control = interleaved(clients, urls, rounds=options.control_rounds,
                              budget_s=options.budget)  # fmt: skip
        ratios_print(f"control: both copies untouched (A/A), {options.control_rounds} rounds "
                     "before the run", control, target=None)  # fmt: skip

    # apply_retention on the AFTER copy: the management command, as cron runs it; a run that
    # fails is resumable, so it is started again (at most 3 times), as the next night would.
    command = [sys.executable, "manage.py", "apply_retention"]
    log_path = tmp / "apply_retention.log"
    # The bulk deletes keep SecantusDB busy for seconds: a long server-selection timeout (as
    # for run.Processes.datagen), so pymongo's heartbeat does not cancel a batch.
    command_env = {**env, "MONGODB_NAME": AFTER, "MONGODB_TIMEOUT_MS": "120000"}
    bench_run.db_quiesce(client)
    started = time.perf_counter()
    for attempt in range(1, 4):
        with open(log_path, "a") as handle:
            done = subprocess.run(command, cwd=ROOT, env=command_env,
                                  stdout=handle, stderr=subprocess.STDOUT)  # fmt: skip
        if done.returncode == 0:
            break
        print(f"   apply_retention attempt {attempt} exited {done.returncode}: "
              f"{log_path.read_text().splitlines()[-1:]}")  # fmt: skip
        bench_run.db_quiesce(client)
    took = time.perf_counter() - started
    output = log_path.read_text().splitlines()
    if done.returncode != 0:
        raise RuntimeError("apply_retention failed:\n" + "\n".join(output[-20:]))
    run_doc = client[AFTER].retention_runs.find_one({"dry_run": False}, sort=[("_id", -1)])
    service_s = (run_doc["finished_at"] - run_doc["started_at"]).total_seconds()
    tiers_after = _tiers(client[AFTER])
    print(f"   `manage.py apply_retention` on {AFTER}: {took:.1f} s wall "
          f"({service_s:.1f} s in the service by its RetentionRun, {run_doc['days']} days, "
          f"{service_s / max(1, run_doc['days']):.2f} s per day of "
          f"{options.bearings * options.per_day:,} readings)")  # fmt: skip
    print(f"   its last line: {output[-1] if output else ''}")
    print(f"   removed {run_doc['waveforms_removed']:,} waveforms "
          f"({run_doc['waveform_bytes_removed'] / 1e6:,.1f} MB stored bytes), "
          f"{run_doc['spectra_removed']:,} spectra "
          f"({run_doc['spectrum_bytes_removed'] / 1e6:,.1f} MB)")  # fmt: skip
    print(f"\n   {'waveforms per tier (as /api/stats)':<34}{'before: docs':>13}{'MB':>9}"
          f"{'after: docs':>13}{'MB':>9}{'change: docs':>14}{'MB':>9}")  # fmt: skip
    rows = [(tier, tiers_before[tier], tiers_after[tier]) for tier in ("raw", "daily", "evidence")]
    total = [{k: sum(r[side][k] for r in rows) for k in ("count", "bytes")} for side in (1, 2)]
    labels = {"raw": "raw (not thinned)", "daily": "daily", "evidence": "evidence"}
    for tier, b, a in [*rows, ("all", *total)]:
        change, change_mb = a["count"] - b["count"], (a["bytes"] - b["bytes"]) / 1e6
        print(f"   {labels.get(tier, 'all (the change: removed)'):<34}{b['count']:>13,}"
              f"{b['bytes'] / 1e6:>9,.1f}{a['count']:>13,}{a['bytes'] / 1e6:>9,.1f}"
              f"{change:>+14,}{change_mb:>+9,.1f}")  # fmt: skip

    # Same answers: retention touches no reading or rollup.
    for name, url in urls.items():
        responses = {db: c.get(url) for db, c in clients.items()}
        if any(r.status_code != 200 for r in responses.values()):
            codes = {db: r.status_code for db, r in responses.items()}
            print(f"   NOTE: {name} not compared: {codes}")
            continue
        answers = {db: _comparable(name, r.json()) for db, r in responses.items()}
        if answers[BEFORE] != answers[AFTER]:
            keys = sorted(k for k in answers[BEFORE] if answers[BEFORE][k] != answers[AFTER].get(k))
            print(
                f"   NOTE: {name} answers differ between before and after in {keys}: "
                f"{[answers[BEFORE][k] for k in keys]} != {[answers[AFTER].get(k) for k in keys]}"
            )
    samples = interleaved(clients, urls, rounds=options.rounds, budget_s=options.budget)
    title = (
        f"after apply_retention, {options.rounds} rounds (httpx, gunicorn with production "
        f"settings, dashboard cache off, worker timeout {options.timeout} s), alternating"
    )
    ratios = ratios_print(title, samples, target=options.target)
    bench_run.db_quiesce(client)
    heavy_samples = interleaved(clients, heavy, rounds=options.stats_rounds, budget_s=0)
    warm = ", ".join(f"{side} {t:.1f} s" for side, t in heavy_samples["stats"]["warm"].items())
    title = f"/api/stats, {options.stats_rounds} rounds, alternating (warm-up: {warm})"
    ratios.update(ratios_print(title, heavy_samples, target=options.target))
    urls.update(heavy)
    missed = [n for n in urls if n not in ratios or ratios[n] > options.target]
    print(
        f"   target after/before <= {options.target}: "
        + ("met by every endpoint" if not missed else "missed by " + ", ".join(missed))
    )
    for c in clients.values():
        c.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--bearings", type=int, default=96)
    parser.add_argument(
        "--per-day", type=int, default=12, help="Readings per bearing and day (12: every 2 h)."
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=30, help="Rounds after the run.")
    parser.add_argument(
        "--control-rounds", type=int, default=10, help="A/A rounds before the run (0: none)."
    )
    parser.add_argument("--budget", type=float, default=240.0, help="Seconds per endpoint.")
    parser.add_argument("--target", type=float, default=1.1)
    parser.add_argument("--stats-rounds", type=int, default=3, help="Rounds of /api/stats.")
    parser.add_argument(
        "--timeout", type=int, default=120, help="GUNICORN_TIMEOUT of the two servers (s)."
    )
    parser.add_argument("--skip-records", action="store_true", help="Skip part 1.")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    import run as bench_run

    tmp = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    procs = bench_run.Processes(tmp)
    try:
        uri = procs.database_start()
        os.environ.update(bench_run.django_env(uri, tmp))
        # Bulk loads keep SecantusDB busy for seconds: see run.Processes.datagen.
        os.environ.update(MONGODB_NAME=BEFORE, MONGODB_TIMEOUT_MS="120000")
        import django

        django.setup()
        from django.core.management import call_command
        from pymongo import MongoClient

        call_command("migrate", verbosity=0, interactive=False)
        if not options.skip_records:
            storage_per_reading(MongoClient(uri)["bench_records"], options.records)
        retention_year(options, procs, tmp)
    except Exception:
        for server in procs.servers:
            print(f"--- {server.log_path.name} (last lines)\n{bench_run.tail(server.log_path)}")
        raise
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
