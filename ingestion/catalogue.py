"""Stage 1, the catalogue sync: the vendor's machines and bearings -> Machine and Bearing.

New machines and bearings are inserted, known ones (by the vendor's external id) get their
vendor-owned fields ``$set`` where they changed; staff-owned fields (notes) are never touched.
The result maps the vendor's ids to what computing and storing a reading needs.

A machine's owner (customer and area) is copied onto its bearings, readings and rollups, so a
machine the vendor moved to another owner is moved with all its data by
``machine_owner_propagate`` (which also finishes a move a crash interrupted), never by a plain
``$set`` of the machine's fields.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from bson import ObjectId
from pymongo import InsertOne, UpdateOne

from ingestion.client import Machine as VendorMachine
from monitoring.models import Bearing, Direction, Foundation, Machine, MachineGroup
from monitoring.mongo import collection
from monitoring.services import OWNER_FIELDS, machine_owner_propagate, machines_refresh
from monitoring.vibration.markers import spectrum_markers

logger = logging.getLogger("ingestion.catalogue")


@dataclass(frozen=True)
class BearingTarget:
    """What computing and storing a bearing's reading needs (ids are None in a dry run)."""

    bearing_id: ObjectId | None
    machine_id: ObjectId | None
    machine_external_id: str
    customer: str
    area: str
    iso_group: int
    foundation: str
    #: Speed of the shaft the bearing carries (Bearing.shaft_hz): its 1x, and its ISO band.
    shaft_hz: float | None
    #: BPFO, BPFI, BSF, FTF (Hz) at that speed; None without a speed or a usable geometry.
    fault_frequencies: dict[str, float] | None = None


@dataclass
class CatalogueResult:
    """Outcome of the machine/bearing upsert."""

    machines_created: int = 0
    machines_updated: int = 0
    machines_moved: int = 0
    bearings_created: int = 0
    bearings_updated: int = 0
    machine_ids: dict[str, ObjectId | None] = field(default_factory=dict)
    bearings: dict[str, BearingTarget] = field(default_factory=dict)


def _machine_fields(vendor: VendorMachine) -> dict:
    """Vendor-owned machine fields; staff-owned ones (notes) are never in here."""
    group = vendor.iso_group if vendor.iso_group in MachineGroup.values else None
    foundation = vendor.foundation.strip().lower() if vendor.foundation else ""
    if group is None or foundation not in Foundation.values:
        logger.warning(
            "machine %s: unknown ISO group/foundation %r/%r; using group 2, rigid",
            vendor.external_id, vendor.iso_group, vendor.foundation,
        )  # fmt: skip
        group = group or MachineGroup.MEDIUM.value
        foundation = foundation if foundation in Foundation.values else Foundation.RIGID.value
    return {
        "machine_name": vendor.name,
        "customer": vendor.customer,
        "area": vendor.area,
        "subarea": vendor.subarea,
        "machine_type": vendor.machine_type,
        "running_speed_rpm": vendor.running_speed_rpm,
        "iso_group": group,
        "foundation": foundation,
    }


def _bearing_fields(vendor_bearing, machine: VendorMachine, machine_id) -> dict:
    """Vendor-owned bearing fields, with the customer kept in sync with its machine."""
    b = vendor_bearing
    return {
        "machine_id": machine_id,
        "bearing_location": f"{b.location} {b.position}".strip(),
        "bearing_type": b.bearing_type,
        "position": b.position,
        "rolling_elements": b.rolling_elements,
        "ball_diameter_mm": b.ball_diameter_mm,
        "pitch_diameter_mm": b.pitch_diameter_mm,
        "contact_angle_deg": b.contact_angle_deg,
        "shaft_speed_rpm": b.shaft_speed_rpm,
        "measurement_direction": _direction(b),
        "customer": machine.customer,
    }


def _direction(vendor_bearing) -> str | None:
    """The vendor's measurement direction if it is one we know; else None, logged."""
    direction = vendor_bearing.measurement_direction
    if direction is None or direction in Direction.values:
        return direction
    logger.warning(
        "bearing %s: unknown measurement direction %r; stored as none",
        vendor_bearing.external_id, direction,
    )  # fmt: skip
    return None


def _model_defaults(model) -> dict:
    """A complete new document for a model: every concrete field at its default."""
    now = dt.datetime.now(dt.UTC)
    doc = {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        stamped = getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
        doc[f.column] = now if stamped else f.get_default()
    return doc


def _upsert_ops(
    model, wanted: dict[str, dict], existing: dict[str, dict], keep: tuple = ()
) -> tuple[list, int, int]:
    """Insert new documents, $set changed vendor fields only; returns (ops, created, updated).

    Fields in ``keep`` are written on insert only (another step changes them on stored ones).
    """
    ops: list = []
    created = updated = 0
    now = dt.datetime.now(dt.UTC)
    for external_id, fields in wanted.items():
        current = existing.get(external_id)
        if current is None:
            doc = {**_model_defaults(model), **fields, "external_id": external_id}
            ops.append(InsertOne(doc))
            created += 1
            continue
        changed = {k: v for k, v in fields.items() if k not in keep and current.get(k) != v}
        if changed:
            changed["updated_at"] = now
            ops.append(UpdateOne({"_id": current["_id"]}, {"$set": changed}))
            updated += 1
    return ops, created, updated


def _by_external_id(model, external_ids: list[str]) -> dict[str, dict]:
    cursor = collection(model).find({"external_id": {"$in": external_ids}})
    return {doc["external_id"]: doc for doc in cursor}


def _upsert(
    model, wanted: dict[str, dict], *, dry_run: bool, keep: tuple = ()
) -> tuple[dict[str, dict], int, int]:
    """Write ``wanted`` (external id -> vendor fields); return (stored docs, created, updated)."""
    existing = _by_external_id(model, list(wanted))
    ops, created, updated = _upsert_ops(model, wanted, existing, keep)
    if ops and not dry_run:
        collection(model).bulk_write(ops, ordered=False)
        existing = _by_external_id(model, list(wanted))
    return existing, created, updated


def _owners_propagate(wanted: dict[str, dict], stored: dict[str, dict], *, dry_run: bool) -> int:
    """Move the machines whose owner the vendor changed (or whose move was interrupted)."""
    moved = 0
    for external_id, fields in wanted.items():
        doc = stored.get(external_id)
        owner = {k: fields[k] for k in OWNER_FIELDS}
        if doc is None or (
            not doc.get("pending_owners") and all(doc.get(k) == v for k, v in owner.items())
        ):
            continue
        logger.warning(
            "machine %s moves from %s/%s to %s/%s with its data%s", external_id,
            doc.get("customer"), doc.get("area"), owner["customer"], owner["area"],
            " [dry run]" if dry_run else "",
        )  # fmt: skip
        if not dry_run:
            machine_owner_propagate(machine_id=doc["_id"], **owner)
        moved += 1
    return moved


def _targets(
    machines: list[VendorMachine], wanted: dict, bearings: dict, result: CatalogueResult,
    stored: dict,
) -> None:  # fmt: skip
    """Fill ``result.bearings``: each vendor bearing's target for computing and storing."""
    for m in machines:
        fields = wanted[m.external_id]
        for b in m.bearings:
            bearing = stored.get(b.external_id)
            shaft_hz = Bearing.shaft_hz(bearings[b.external_id], fields)
            markers = spectrum_markers(shaft_hz=shaft_hz, geometry=bearings[b.external_id])
            result.bearings[b.external_id] = BearingTarget(
                bearing_id=bearing["_id"] if bearing else None,
                machine_id=result.machine_ids[m.external_id],
                machine_external_id=m.external_id,
                customer=m.customer,
                area=m.area,
                iso_group=fields["iso_group"],
                foundation=fields["foundation"],
                shaft_hz=shaft_hz,
                fault_frequencies=markers.fault_frequencies,
            )


def catalogue_upsert(*, machines: list[VendorMachine], dry_run: bool = False) -> CatalogueResult:
    """Create new machines/bearings and update vendor-owned fields of known ones by external id."""
    result = CatalogueResult()
    wanted = {m.external_id: _machine_fields(m) for m in machines}
    stored_machines, result.machines_created, result.machines_updated = _upsert(
        Machine, wanted, dry_run=dry_run, keep=OWNER_FIELDS
    )
    result.machines_moved = _owners_propagate(wanted, stored_machines, dry_run=dry_run)
    result.machine_ids = {
        ext: stored_machines[ext]["_id"] if ext in stored_machines else None for ext in wanted
    }
    wanted_bearings = {
        b.external_id: _bearing_fields(b, m, result.machine_ids[m.external_id])
        for m in machines
        for b in m.bearings
    }
    stored_bearings, result.bearings_created, result.bearings_updated = _upsert(
        Bearing, wanted_bearings, dry_run=dry_run
    )
    if (result.bearings_created or result.bearings_updated) and not dry_run:
        # Bearing counts (and status, should a bearing have moved between machines).
        machines_refresh([mid for mid in result.machine_ids.values() if mid is not None])
    _targets(machines, wanted, wanted_bearings, result, stored_bearings)
    logger.info(
        "catalogue: %d machines (%d new, %d updated, %d moved), %d bearings (%d new, %d updated)%s",
        len(machines), result.machines_created, result.machines_updated, result.machines_moved,
        len(wanted_bearings),
        result.bearings_created, result.bearings_updated, " [dry run]" if dry_run else "",
    )  # fmt: skip
    return result
