"""Seeded, reproducible benchmark data: a plant's machines, bearings, readings and rollups.

Readings are written straight into the collections (with their rollups and latest state built by
the same functions ingestion uses), because pushing a million waveforms through the simulator
would benchmark the simulator. Growing a data set from 100,000 to 1,000,000 readings adds older
history to the same plant, which is what a year of operation does to a real deployment.

Everything is a function of the seed and of ``end`` (the newest reading time): ids are derived
like ingestion derives them (time prefix + hash of the vendor id) and each 10-minute slot draws
its values from its own generator, so a data set grown 100,000 -> 1,000,000 holds exactly the
documents of one generated at 1,000,000 in one go, and two databases generated with the same
arguments are identical (the benchmark compares them side by side).

Command line (the benchmark runs it once per database, in a child process, so each database gets
its own Django connection)::

    MONGODB_URI=... MONGODB_NAME=bench DJANGO_SETTINGS_MODULE=... \
        python bench/datagen.py --readings 100000 --end 2026-05-01T12:00:00 [--seed 7]

brings the database to ``--readings`` readings (creating the plant, spectra and a staff user with
an API token on first use), and prints one JSON line with what it did.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import hashlib
import json
import os
import random
import secrets
import sys
import time
from pathlib import Path

import numpy as np
from bson import ObjectId

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CUSTOMERS = ["Acme Paper", "Borealis Steel", "Cobalt Foods"]
AREAS = ["Utilities", "Production", "Packaging", "Boilers"]
TYPES = ["Pump", "Fan", "Motor", "Compressor", "Gearbox"]
INTERVAL = dt.timedelta(minutes=10)
BATCH = 5000
FLEET_CREATED = dt.datetime(2026, 1, 1)
# Loads at least this big drop the readings' secondary indexes first (see readings_bulk_load).
BULK_LOAD_THRESHOLD = 50_000
BENCH_USERNAME = "bench"


def _models():
    """The monitoring models and services (imported late: Django must be set up first)."""
    from monitoring import models, services

    return models, services


def _collection(model):
    """The pymongo collection behind a model (imported late, like the models)."""
    from monitoring.mongo import collection

    return collection(model)


# --------------------------------------------------------------------------------------------
# Ids
# --------------------------------------------------------------------------------------------


def _object_id(key: str, when: dt.datetime) -> ObjectId:
    """A deterministic ObjectId: 4 bytes of time (naive UTC) + 8 bytes of a hash of ``key``.

    The same scheme as ingestion's ``reading_object_id``, so ids sort by time as real ones do.
    """
    seconds = calendar.timegm(when.timetuple()) & 0xFFFFFFFF
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return ObjectId(seconds.to_bytes(4, "big") + digest)


# --------------------------------------------------------------------------------------------
# The plant
# --------------------------------------------------------------------------------------------


def fleet_create(*, machines: int, bearings_per_machine: int, seed: int) -> list[dict]:
    """Create machines and bearings; return the bearings as plain dicts (with ``area``)."""
    models, _ = _models()
    rng = random.Random(seed)
    machine_docs, bearing_docs = [], []
    for m in range(machines):
        customer = CUSTOMERS[m % len(CUSTOMERS)]
        external_id = f"BM-{m:05d}"
        machine = {
            "_id": _object_id(f"{seed}:{external_id}", FLEET_CREATED),
            "external_id": external_id, "machine_name": f"Machine {m:05d}",
            "customer": customer, "area": rng.choice(AREAS), "subarea": f"Line {m % 7}",
            "machine_type": rng.choice(TYPES), "running_speed_rpm": 1480.0, "iso_group": 2,
            "foundation": "rigid", "notes": "", "status": None, "last_reading_at": None,
            "bearing_count": bearings_per_machine,
            "created_at": FLEET_CREATED, "updated_at": FLEET_CREATED,
        }  # fmt: skip
        machine_docs.append(machine)
        for b in range(bearings_per_machine):
            bearing_external_id = f"BB-{m:05d}-{b}"
            bearing_docs.append({
                "_id": _object_id(f"{seed}:{bearing_external_id}", FLEET_CREATED),
                "machine_id": machine["_id"],
                "external_id": bearing_external_id, "bearing_location": f"Position {b}",
                "bearing_type": "6205", "position": "H", "rolling_elements": 9,
                "ball_diameter_mm": 7.94, "pitch_diameter_mm": 38.5, "contact_angle_deg": 0.0,
                "customer": customer, "area": machine["area"], "status": None,
                "last_reading_id": None, "last_reading_at": None,
                "last_velocity_rms": None, "last_acceleration_rms": None,
                "last_temperature": None,
                "created_at": FLEET_CREATED, "updated_at": FLEET_CREATED,
            })  # fmt: skip
    _collection(models.Machine).insert_many(machine_docs)
    # Bearings have no area of their own (readings carry their machine's): keep it out of the
    # stored document but in the returned dicts.
    stored = [{k: v for k, v in b.items() if k != "area"} for b in bearing_docs]
    _collection(models.Bearing).insert_many(stored)
    return bearing_docs


def fleet_load() -> list[dict]:
    """The stored plant's bearings, in creation order, with their machine's ``area``."""
    models, _ = _models()
    areas = {m["_id"]: m.get("area", "") for m in _collection(models.Machine).find({}, {"area": 1})}
    bearings = list(
        _collection(models.Bearing).find({}, {"machine_id": 1, "external_id": 1, "customer": 1})
    )
    bearings.sort(key=lambda b: b["external_id"])  # zero-padded: lexical = creation order
    for bearing in bearings:
        bearing["area"] = areas.get(bearing["machine_id"], "")
    return bearings


# --------------------------------------------------------------------------------------------
# Readings
# --------------------------------------------------------------------------------------------


def _slot_values(seed: int, slot: int, n: int) -> dict[str, np.ndarray]:
    """The indicator values of one 10-minute slot for ``n`` bearings (one generator per slot,
    so the data does not depend on how a load is split)."""
    rng = np.random.default_rng([seed, slot])
    return {
        "velocity": rng.gamma(2.0, 0.6, n),
        "acceleration": rng.gamma(2.0, 0.1, n),
        "kurtosis": rng.normal(3.0, 0.3, n),
        "temperature": rng.normal(45.0, 5.0, n),
    }


def _status(velocity: float) -> str:
    """The ISO zone of a velocity RMS (group 2, rigid: 1.4 / 2.8 / 4.5 mm/s)."""
    if velocity < 1.4:
        return "Normal"
    if velocity < 2.8:
        return "Satisfactory"
    if velocity < 4.5:
        return "Alert"
    return "Unacceptable"


def _reading(bearing: dict, slot: int, when: dt.datetime, values: dict, k: int) -> dict:
    velocity = float(values["velocity"][k])
    acc = float(values["acceleration"][k])
    external_id = f"{bearing['external_id']}-{slot}"
    return {
        "_id": _object_id(external_id, when), "external_id": external_id,
        "machine_id": bearing["machine_id"], "bearing_id": bearing["_id"],
        "customer": bearing["customer"], "area": bearing["area"], "timestamp": when,
        "status": _status(velocity),
        "acceleration": {"rms": acc, "peak": acc * 3.2, "crest_factor": 3.2,
                         "kurtosis": float(values["kurtosis"][k])},
        "velocity": {"rms": velocity, "peak": velocity * 1.45, "crest_factor": 1.45},
        "temperature": float(values["temperature"][k]), "ingested_at": when,
    }  # fmt: skip


def readings_add(
    *, bearings: list[dict], count: int, end: dt.datetime, seed: int, offset: int = 0
) -> float:
    """Add ``count`` readings going back in time from ``end`` (skipping the ``offset`` newest
    already written); maintain rollups and latest state; return seconds taken.

    Reading ``n`` is bearing ``n % len(bearings)`` at ``end - (n // len(bearings)) * 10 min``.
    Batches end on hour boundaries; rollups go through the same ``rollups_apply`` ingestion
    uses (new buckets inserted, stored ones incremented).
    """
    _, services = _models()
    started = time.perf_counter()
    readings = _collection(_models()[0].Reading)
    per_slot = len(bearings)
    batch: list[dict] = []
    latest: dict = {}
    slot_cache: tuple[int, dict] | None = None
    previous_hour = None
    for n in range(offset, offset + count):
        slot, which = divmod(n, per_slot)
        when = end - slot * INTERVAL
        hour = services.hour_start(when)
        if len(batch) >= BATCH and hour != previous_hour:
            _flush(readings, batch)
            batch = []
        previous_hour = hour
        if slot_cache is None or slot_cache[0] != slot:
            slot_cache = (slot, _slot_values(seed, slot, per_slot))
        bearing = bearings[which]
        doc = _reading(bearing, slot, when, slot_cache[1], which)
        batch.append(doc)
        if bearing["_id"] not in latest or latest[bearing["_id"]]["timestamp"] < when:
            latest[bearing["_id"]] = doc
    if batch:
        _flush(readings, batch)
    services.latest_state_update(latest)
    return time.perf_counter() - started


def _flush(readings, batch: list[dict]) -> None:
    _, services = _models()
    readings.insert_many(batch, ordered=False)
    services.rollups_apply(batch)


# --------------------------------------------------------------------------------------------
# Bulk loads: the bench-only index shortcut
# --------------------------------------------------------------------------------------------


def secondary_indexes_drop(coll) -> dict[str, dict]:
    """BENCH-ONLY SHORTCUT: drop a collection's secondary indexes; return their specs.

    On SecantusDB, inserting readings into the indexed collection runs ~1,300 docs/s, but
    ~9,000 docs/s without secondary indexes and ~3,300 docs/s to build them afterwards, so a
    bulk load of a million readings drops them first and restores them with
    :func:`secondary_indexes_restore`. Never do this on a live database: queries would scan
    and unique constraints would not hold while the indexes are gone.
    """
    specs = {name: spec for name, spec in coll.index_information().items() if name != "_id_"}
    for name in specs:
        coll.drop_index(name)
    return specs


def secondary_indexes_restore(coll, specs: dict[str, dict]) -> None:
    """Recreate indexes from ``index_information()`` specs: same keys, names and options."""
    for name, spec in specs.items():
        options = {k: v for k, v in spec.items() if k not in ("key", "v", "ns")}
        coll.create_index(list(spec["key"]), name=name, **options)


def readings_bulk_load(
    *, bearings: list[dict], count: int, end: dt.datetime, seed: int, offset: int = 0
) -> dict:
    """:func:`readings_add`, around a drop/restore of the readings' secondary indexes for big
    loads (bench-only, see :func:`secondary_indexes_drop`); return timings in seconds."""
    models, _ = _models()
    readings = _collection(models.Reading)
    timings: dict = {"count": count, "indexes_dropped": False}
    specs: dict = {}
    if count >= BULK_LOAD_THRESHOLD:
        specs = secondary_indexes_drop(readings)
        timings["indexes_dropped"] = True
    timings["load_s"] = readings_add(
        bearings=bearings, count=count, end=end, seed=seed, offset=offset
    )
    if specs:
        started = time.perf_counter()
        secondary_indexes_restore(readings, specs)
        timings["index_build_s"] = time.perf_counter() - started
        timings["index_names"] = sorted(specs)
        after = readings.index_information()
        missing = sorted(set(specs) - set(after))
        if missing:
            raise RuntimeError(f"indexes not restored: {missing}")
    return timings


# --------------------------------------------------------------------------------------------
# Alarms
# --------------------------------------------------------------------------------------------

SLOTS_PER_DAY = 144  # 10-minute slots in a day
#: A bearing in this share of the plant is troubled (a worn bearing, a loose foot): it raises
#: an alarm on ALARM_RATE_TROUBLED of its days, the others on ALARM_RATE of theirs.
TROUBLED_SHARE = 0.15
ALARM_RATE_TROUBLED = 0.35
ALARM_RATE = 0.03
#: Zone boundaries A/B, B/C, C/D of the generated machines (ISO 10816-3 group 2, rigid).
LIMITS = (1.4, 2.8, 4.5)
ENGINEERS = ["a.berg", "m.ortiz", "s.nakamura"]
RESOLUTIONS = ["repaired", "false_alarm", "accepted"]


def alarm_plan(seed: int, day: int, index: int) -> dict | None:
    """The alarm bearing ``index`` raises on day ``day`` (counted back from ``end``), or None.

    A pure function of its arguments, so alarms, like readings, do not depend on how a data
    set was grown. Times are in 10-minute slots counted back from ``end``, like readings'.
    """
    troubled = np.random.default_rng([seed, 2, index]).random() < TROUBLED_SHARE
    rng = np.random.default_rng([seed, 3, day, index])
    if rng.random() >= (ALARM_RATE_TROUBLED if troubled else ALARM_RATE):
        return None
    kind = rng.random()
    if kind < 0.55:
        rule_type, rule_key = "zone", "zone"
        severity = "danger" if rng.random() < 0.25 else "alert"
    elif kind < 0.9:
        rule_type, rule_key, severity = "baseline", "baseline:velocity.rms", "warning"
    else:
        rule_type, rule_key, severity = "trend", "trend", "warning"
    # Most conditions pass within hours; one in twenty lasts days to weeks (a defect growing).
    if rng.random() < 0.05:
        duration = int(rng.uniform(5, 40) * SLOTS_PER_DAY)
    else:
        duration = 3 + int(rng.exponential(36))
    return {
        "slot": day * SLOTS_PER_DAY + int(rng.integers(SLOTS_PER_DAY)),
        "rule_type": rule_type, "rule_key": rule_key, "severity": severity,
        "duration": duration,  # slots until the condition clears
        "ack_after": 1 + int(rng.exponential(24)),  # slots from the raise to an acknowledgement
        "close_after": 6 + int(rng.exponential(144)),  # slots from clearing to a person closing
        "value": float(rng.uniform(1.0, 1.6)),  # the worst value, in thresholds
        "engineer": ENGINEERS[int(rng.integers(len(ENGINEERS)))],
        "resolution": RESOLUTIONS[int(rng.integers(len(RESOLUTIONS)))],
    }  # fmt: skip


def _next_raise(seed: int, day: int, index: int, rule_key: str, before_slot: int) -> int | None:
    """The slot of the bearing's next alarm under the same rule raised after ``day``'s (a newer,
    smaller slot) but before the condition clears at ``before_slot``; None if there is none."""
    for newer in range(day - 1, -1, -1):
        if (newer + 1) * SLOTS_PER_DAY <= before_slot:
            return None
        plan = alarm_plan(seed, newer, index)
        if plan is not None and plan["rule_key"] == rule_key:
            return plan["slot"] if plan["slot"] > before_slot else None
    return None


def _alarm_document(
    bearing: dict, index: int, day: int, plan: dict, *, end: dt.datetime, seed: int
) -> dict:
    """One alarm as monitoring.alarms.lifecycle stores it after its steps up to ``end``: raised
    (lifecycle._insert), acknowledged and closed by a person (alarm_act), cleared by the rule
    (lifecycle._clear). One active alarm per subject: an alarm clears before the same rule's
    next one on the bearing is raised (the reopen window is not modelled)."""
    from monitoring.alarms import lifecycle

    def at(slot: int) -> dt.datetime:
        return end - slot * INTERVAL

    def reading_id(slot: int) -> ObjectId:
        return _object_id(f"{bearing['external_id']}-{slot}", at(slot))

    slot, severity = plan["slot"], plan["severity"]
    raised_at = at(slot)
    _id = _object_id(f"alarm:{seed}:{day}:{index}", raised_at)
    subject = f"{bearing['_id']}:{plan['rule_key']}"
    clear_slot = slot - plan["duration"]
    following = _next_raise(seed, day, index, plan["rule_key"], clear_slot)
    if following is not None:
        clear_slot = following + 1  # cleared by the reading before the next raise
    threshold = {"zone": LIMITS[2] if severity == "danger" else LIMITS[1]}.get(
        plan["rule_type"], LIMITS[1] * 1.25
    )
    value = round(threshold * plan["value"], 3)
    evidence: dict = {"value": value, "threshold": threshold, "unit": "mm/s",
                      "indicator": "velocity.rms", "at": lifecycle.iso(raised_at)}  # fmt: skip
    if plan["rule_type"] == "zone":
        evidence["zone"] = "D" if value >= LIMITS[2] else "C"
    elif plan["rule_type"] == "baseline":
        evidence["baseline"] = round(threshold - 0.25 * LIMITS[1], 3)
    else:
        evidence = {"indicator": "velocity.rms", "threshold": LIMITS[2], "unit": "mm/s",
                    "projected_at": lifecycle.iso(raised_at + dt.timedelta(days=20)),
                    "points": 300, "at": lifecycle.iso(raised_at)}  # fmt: skip
        value = None
    doc = {
        "_id": _id, "customer": bearing["customer"], "area": bearing["area"],
        "machine_id": bearing["machine_id"], "bearing_id": bearing["_id"],
        "rule_type": plan["rule_type"], "rule_id": "", "subject": subject, "open_key": subject,
        "severity": severity, "state": "active", "acknowledged": False, "closed": False,
        "resolution": "", "raised_at": raised_at, "updated_at": raised_at,
        "acknowledged_at": None, "acknowledged_by": "", "cleared_at": None, "cleared_by": "",
        "closed_at": None, "closed_by": "", "assignee": "", "trigger_reading_id": reading_id(slot),
        "worst_reading_id": reading_id(slot), "worst_value": value, "evidence": evidence,
        "occurrences": 1, "comments": [], "version": 1,
    }  # fmt: skip
    steps = [(slot, {"at": lifecycle.iso(raised_at), "step": "raised", "severity": severity,
                     "by": lifecycle.SYSTEM})]  # fmt: skip
    close_slot = clear_slot - plan["close_after"]
    # Acknowledged unless closed first (a closed alarm takes no acknowledgement).
    ack_slot = slot - plan["ack_after"]
    if ack_slot >= 0 and ack_slot > close_slot:
        doc.update(acknowledged=True, acknowledged_at=at(ack_slot),
                   acknowledged_by=plan["engineer"])  # fmt: skip
        steps.append((ack_slot, {"at": lifecycle.iso(at(ack_slot)), "step": "acknowledged",
                                 "severity": severity, "by": plan["engineer"]}))  # fmt: skip
    if clear_slot >= 0:
        doc.update(state="cleared", open_key=f"~{_id}", cleared_at=at(clear_slot),
                   cleared_by=lifecycle.SYSTEM)  # fmt: skip
        steps.append((clear_slot, {"at": lifecycle.iso(at(clear_slot)), "step": "cleared",
                                   "severity": severity, "by": lifecycle.SYSTEM,
                                   "reading_id": reading_id(clear_slot)}))  # fmt: skip
        if close_slot >= 0:
            doc.update(closed=True, closed_at=at(close_slot), closed_by=plan["engineer"],
                       resolution=plan["resolution"])  # fmt: skip
            steps.append((close_slot, {"at": lifecycle.iso(at(close_slot)), "step": "closed",
                                       "severity": severity, "by": plan["engineer"]}))  # fmt: skip
    steps.sort(key=lambda step: -step[0])  # oldest first: slots count back from end
    doc["history"] = [step for _, step in steps]
    doc["version"] = len(steps)
    doc["revision"] = f"{_id}:{doc['version']}"
    doc["updated_at"] = at(steps[-1][0])
    return doc


def alarms_add(
    *, bearings: list[dict], count: int, end: dt.datetime, seed: int, offset: int = 0
) -> dict:
    """The alarms of the readings :func:`readings_add` writes for the same arguments: each
    alarm is stored with the data set that holds its trigger reading, so alarms accumulate in
    proportion to history (closed ones; a few stay open near ``end``). Refreshes the machines'
    open-alarm counts (lifecycle.machine_alarm_counts_refresh); returns what it wrote."""
    from monitoring.alarms.lifecycle import machine_alarm_counts_refresh
    from monitoring.alarms.models import Alarm

    per_slot = len(bearings)
    stop = offset + count
    docs = []
    if count > 0:
        first_day = (offset // per_slot) // SLOTS_PER_DAY
        last_day = ((stop - 1) // per_slot) // SLOTS_PER_DAY
        for day in range(first_day, last_day + 1):
            for index, bearing in enumerate(bearings):
                plan = alarm_plan(seed, day, index)
                if plan is None or not offset <= plan["slot"] * per_slot + index < stop:
                    continue
                docs.append(_alarm_document(bearing, index, day, plan, end=end, seed=seed))
    alarms = _collection(Alarm)
    if docs:
        alarms.insert_many(docs, ordered=False)
    machine_alarm_counts_refresh({b["machine_id"] for b in bearings})
    return {
        "added": len(docs),
        "total": alarms.count_documents({}),
        "open": alarms.count_documents({"closed": False}),
        "active": alarms.count_documents({"closed": False, "state": "active"}),
    }


# --------------------------------------------------------------------------------------------
# Spectra, the API user, checks
# --------------------------------------------------------------------------------------------


def spectra_add(*, bearings: list[dict], seed: int, limit: int = 50) -> list[ObjectId]:
    """Store a spectrum for some bearings' latest readings; return those reading ids.

    Shaped like ingestion's (``_id`` = the reading's id, 2,048 float32 lines) so its stored size
    is what a real spectrum costs.
    """
    models, _ = _models()
    rng = np.random.default_rng([seed, 1])
    ids, docs = [], []
    cursor = (
        _collection(models.Bearing)
        .find({"last_reading_id": {"$ne": None}}, {"last_reading_id": 1, "external_id": 1})
        .limit(limit)
    )
    for bearing in sorted(cursor, key=lambda b: b["external_id"]):
        amplitudes = np.abs(rng.normal(0, 0.01, 2048)).astype("<f4")
        amplitudes[20] = 0.5
        docs.append({
            "_id": bearing["last_reading_id"], "reading_id": bearing["last_reading_id"],
            "sample_rate_hz": 5120.0, "n_samples": 4096, "resolution_hz": 1.25,
            "n_lines": 2048, "window": "hann", "amplitude_unit": "g",
            "amplitudes": amplitudes.tobytes(),
        })  # fmt: skip
        ids.append(bearing["last_reading_id"])
    if docs:
        _collection(models.Spectrum).insert_many(docs)
    return ids


def api_token_create() -> str | None:
    """A staff user and its DRF token, when token authentication is installed (else None)."""
    from django.conf import settings

    if "rest_framework.authtoken" not in settings.INSTALLED_APPS:
        return None
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user_model = get_user_model()
    user = user_model.objects.filter(username=BENCH_USERNAME).first()
    if user is None:
        user = user_model.objects.create_user(
            BENCH_USERNAME, password=secrets.token_urlsafe(24), is_staff=True
        )
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def rollups_check(*, samples: int = 5, seed: int = 0) -> tuple[list[str], list[str]]:
    """Problems and warnings found comparing rollups with readings.

    The area rollups' counts must add up to the readings, and a few random bearing-hour rollups
    must equal a ``$group`` over that bearing's readings of that hour (both through indexes).
    The hour is selected as ``$gt`` a millisecond before its start: SecantusDB 0.7.0b3 drops
    documents equal to a ``$gte`` bound when it scans an index of the shape
    ``{bearing_id: 1, timestamp: -1, _id: -1}``; the same hour selected with ``$gte`` is
    compared too, and a difference is reported as a warning naming that bug.
    """
    models, _ = _models()
    readings = _collection(models.Reading)
    problems, warnings = [], []
    total = readings.estimated_document_count()
    rolled = list(
        _collection(models.AreaHourlyRollup).aggregate(
            [{"$group": {"_id": None, "n": {"$sum": "$count"}}}]
        )
    )
    rolled_total = rolled[0]["n"] if rolled else 0
    if rolled_total != total:
        problems.append(f"area rollups count {rolled_total} readings, collection has {total}")
    bearing_rollups = _collection(models.BearingHourlyRollup)
    rng = random.Random(seed)
    n_rollups = bearing_rollups.estimated_document_count()
    group = {
        "$group": {
            "_id": None,
            "n": {"$sum": 1},
            "v_sum": {"$sum": "$velocity.rms"},
            "v_max": {"$max": "$velocity.rms"},
            "t_min": {"$min": "$temperature"},
        }
    }
    bearing_ids = sorted(b["_id"] for b in _collection(models.Bearing).find({}, {"_id": 1}))
    newest = _collection(models.AreaHourlyRollup).find_one(sort=[("hour", -1)])
    hours = n_rollups // max(1, len(bearing_ids))
    for _ in range(samples if n_rollups and newest else 0):
        # An indexed pick (unique bearing_id, hour): a skip() would scan the collection.
        hour = newest["hour"] - dt.timedelta(hours=rng.randrange(max(1, hours)))
        rollup = bearing_rollups.find_one({"bearing_id": rng.choice(bearing_ids), "hour": hour})
        if rollup is None:
            continue
        start, stop = rollup["hour"], rollup["hour"] + dt.timedelta(hours=1)
        found = {}
        for bound, value in (("$gt", start - dt.timedelta(milliseconds=1)), ("$gte", start)):
            match = {"bearing_id": rollup["bearing_id"], "timestamp": {bound: value, "$lt": stop}}
            rows = list(readings.aggregate([{"$match": match}, group]))
            got = rows[0] if rows else {"n": 0, "v_sum": 0.0, "v_max": None, "t_min": None}
            found[bound] = (got["n"], got["v_sum"], got["v_max"], got["t_min"])
        want = (
            rollup["count"],
            rollup["velocity_rms"]["sum"],
            rollup["velocity_rms"]["max"],
            rollup["temperature"]["min"],
        )

        def same(have, want=want) -> bool:
            return have[0] == want[0] and all(
                np.isclose(a, b, rtol=1e-9) for a, b in zip(have[1:], want[1:], strict=True)
            )

        if not same(found["$gt"]):
            problems.append(f"rollup {rollup['bearing_id']} {start}: {want} != {found['$gt']}")
        elif not same(found["$gte"]):
            warnings.append(
                f"readings of bearing {rollup['bearing_id']} at or after {start} (the $gte "
                f"bound): {found['$gte'][0]} found, {want[0]} stored; SecantusDB drops "
                "documents equal to a $gte bound on a {..., timestamp: -1, _id: -1} index"
            )
    return problems, warnings


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def generate(
    *,
    readings: int,
    end: dt.datetime,
    seed: int,
    machines: int,
    bearings_per_machine: int,
    check: bool = True,
) -> dict:
    """Bring the configured database to ``readings`` readings; return what was done."""
    models, _ = _models()
    result: dict = {"seed": seed, "end": end.isoformat()}
    started = time.perf_counter()
    if _collection(models.Machine).estimated_document_count() == 0:
        bearings = fleet_create(
            machines=machines, bearings_per_machine=bearings_per_machine, seed=seed
        )
        result["fleet_created"] = True
    else:
        bearings = fleet_load()
        result["fleet_created"] = False
    existing = _collection(models.Reading).estimated_document_count()
    to_add = max(0, readings - existing)
    result.update(existing=existing, added=to_add, bearings=len(bearings))
    if to_add:
        result["load"] = readings_bulk_load(
            bearings=bearings, count=to_add, end=end, seed=seed, offset=existing
        )
    alarms_started = time.perf_counter()
    result["alarms"] = alarms_add(
        bearings=bearings, count=to_add, end=end, seed=seed, offset=existing
    )
    result["alarms"]["seconds"] = time.perf_counter() - alarms_started
    if result["fleet_created"]:
        result["spectra"] = [str(i) for i in spectra_add(bearings=bearings, seed=seed)]
    result["token"] = api_token_create()
    if check:
        check_started = time.perf_counter()
        result["problems"], result["warnings"] = rollups_check(seed=seed)
        result["check_s"] = time.perf_counter() - check_started
    result["readings"] = _collection(models.Reading).estimated_document_count()
    result["seconds"] = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    """Generate into the database named by MONGODB_URI / MONGODB_NAME; print a JSON line."""
    parser = argparse.ArgumentParser(description="Bring a bench database to N readings.")
    parser.add_argument("--readings", type=int, required=True, help="Total readings wanted.")
    parser.add_argument(
        "--end", required=True, help="Newest reading time, naive UTC ISO (10-minute aligned)."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--machines", type=int, default=100)
    parser.add_argument("--bearings-per-machine", type=int, default=4)
    parser.add_argument("--no-check", action="store_true", help="Skip the rollup check.")
    options = parser.parse_args(argv)
    name = os.environ.get("MONGODB_NAME", "")
    if not name.startswith("bench"):
        # It drops indexes while loading: never point it at a database that matters.
        parser.error(f"MONGODB_NAME must start with 'bench' (got {name!r})")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factory_site.settings.production")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    end = dt.datetime.fromisoformat(options.end).replace(tzinfo=None)
    result = generate(
        readings=options.readings,
        end=end,
        seed=options.seed,
        machines=options.machines,
        bearings_per_machine=options.bearings_per_machine,
        check=not options.no_check,
    )
    result["db"] = name
    print(json.dumps(result, default=str), flush=True)
    return 1 if result.get("problems") else 0


if __name__ == "__main__":
    sys.exit(main())
