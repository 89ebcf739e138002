"""The simulated fleet: a fixed catalogue of customers, machines and bearings.

Identifiers, names and geometry never change with the seed, so demos and tests can name
machines; the seed only varies each bearing's baseline levels (see `build_fleet`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitoring.vibration.zones import ISO10816_3_BOUNDARIES_MM_S

#: Machine developing an outer-race defect on its pump drive-end bearing.
OUTER_RACE_MACHINE_ID = "MCH-RVC-001"
OUTER_RACE_BEARING_ID = "BRG-RVC-001-3"
#: Fan with an imbalanced impeller (high 1x on the fan bearings).
IMBALANCE_MACHINE_ID = "MCH-BPP-007"
IMBALANCE_BEARING_ID = "BRG-BPP-007-3"

MACHINE_TYPES = ("pump", "fan", "motor", "compressor", "gearbox")


@dataclass(frozen=True)
class BearingGeometry:
    """Catalogue geometry of a rolling-element bearing (elements per row for double rows)."""

    designation: str
    rolling_elements: int
    ball_diameter_mm: float
    pitch_diameter_mm: float
    contact_angle_deg: float = 0.0


#: Approximate catalogue geometries of common industrial bearings.
BEARING_GEOMETRIES: dict[str, BearingGeometry] = {
    g.designation: g
    for g in (
        BearingGeometry("6205", 9, 7.94, 38.5),
        BearingGeometry("6206", 9, 9.53, 46.0),
        BearingGeometry("6308", 8, 15.08, 65.0),
        BearingGeometry("6310", 8, 19.05, 80.0),
        BearingGeometry("6312", 8, 22.23, 95.0),
        BearingGeometry("6316", 8, 28.58, 127.5),
        BearingGeometry("7310", 12, 17.46, 80.0, 40.0),
        BearingGeometry("NU212", 15, 15.0, 85.0),
        BearingGeometry("22220", 18, 20.5, 140.0, 10.0),
    )
}


@dataclass(frozen=True)
class BearingSpec:
    """One monitored bearing with its seed-dependent baseline vibration levels."""

    external_id: str
    machine_external_id: str
    location: str
    position: str
    geometry: BearingGeometry
    shaft_speed_rpm: float
    measurement_direction: str
    # Baseline synthesis parameters: 1x and 2x velocity RMS (mm/s), broadband noise RMS (g),
    # the structural resonance that impacts excite (Hz), a temperature baseline (deg C) and
    # 2x line frequency velocity RMS for motor bearings (mm/s).
    v1x_mm_s: float
    v2x_mm_s: float
    noise_g: float
    resonance_hz: float
    temperature_c: float
    electrical_mm_s: float
    # Share of the machine's fault felt at this bearing (1 at the source, less further away).
    outer_race_gain: float = 0.0
    imbalance_mm_s: float = 0.0
    gear_mesh_hz: float = 0.0


@dataclass(frozen=True)
class MachineSpec:
    """One machine train as the vendor describes it."""

    external_id: str
    name: str
    customer: str
    area: str
    subarea: str
    machine_type: str
    running_speed_rpm: float
    iso_group: int
    foundation: str
    rated_power_kw: float
    bearings: tuple[BearingSpec, ...]


@dataclass(frozen=True)
class Fleet:
    """The whole catalogue with lookups by external id."""

    machines: tuple[MachineSpec, ...]

    def __post_init__(self) -> None:
        """Build the id indexes once; the dataclass is frozen so use object.__setattr__."""
        object.__setattr__(self, "_machines", {m.external_id: m for m in self.machines})
        object.__setattr__(
            self, "_bearings", {b.external_id: b for m in self.machines for b in m.bearings}
        )

    def machine(self, external_id: str) -> MachineSpec | None:
        """The machine with this id, or None."""
        return self._machines.get(external_id)  # type: ignore[attr-defined]

    def bearing(self, external_id: str) -> BearingSpec | None:
        """The bearing with this id, or None."""
        return self._bearings.get(external_id)  # type: ignore[attr-defined]

    @property
    def customers(self) -> tuple[str, ...]:
        """Customer names in catalogue order."""
        return tuple(dict.fromkeys(m.customer for m in self.machines))


# Machine trains: (location, position, bearing designation) per bearing, by type and size.
# "large" trains are ISO group 1 (> 300 kW).
_TRAINS: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {
    ("pump", "small"): (
        ("Motor", "DE", "6310"),
        ("Motor", "NDE", "6308"),
        ("Pump", "DE", "6308"),
        ("Pump", "NDE", "6206"),
    ),
    ("pump", "large"): (
        ("Motor", "DE", "6316"),
        ("Motor", "NDE", "6312"),
        ("Pump", "DE", "22220"),
        ("Pump", "NDE", "NU212"),
    ),
    ("fan", "small"): (
        ("Motor", "DE", "6310"),
        ("Motor", "NDE", "6308"),
        ("Fan", "DE", "22220"),
        ("Fan", "NDE", "22220"),
    ),
    ("motor", "small"): (("Motor", "DE", "6308"), ("Motor", "NDE", "6205")),
    ("motor", "large"): (("Motor", "DE", "6316"), ("Motor", "NDE", "6312")),
    ("compressor", "small"): (
        ("Motor", "DE", "6312"),
        ("Motor", "NDE", "6310"),
        ("Compressor", "DE", "NU212"),
        ("Compressor", "NDE", "6310"),
        ("Compressor", "Thrust", "7310"),
    ),
    ("compressor", "large"): (
        ("Motor", "DE", "6316"),
        ("Motor", "NDE", "6312"),
        ("Compressor", "DE", "NU212"),
        ("Compressor", "NDE", "6312"),
        ("Compressor", "Thrust", "7310"),
    ),
    ("gearbox", "small"): (
        ("Motor", "DE", "6310"),
        ("Motor", "NDE", "6308"),
        ("Gearbox input shaft", "DE", "NU212"),
        ("Gearbox input shaft", "NDE", "6312"),
        ("Gearbox output shaft", "DE", "22220"),
        ("Gearbox output shaft", "NDE", "22220"),
    ),
}
_TRAINS[("gearbox", "large")] = _TRAINS[("gearbox", "small")]

# Sensor axis by position: radial sensors on the ends, an axial one on thrust bearings.
_DIRECTIONS = {"DE": "horizontal", "NDE": "vertical", "Thrust": "axial"}

# Gearboxes: input pinion teeth and ratio, for gear mesh and output shaft speed.
_PINION_TEETH = 23
_GEAR_RATIO = 4.2

# (id, name, customer, area, subarea, type, rpm, ISO group, foundation, rated kW)
_CATALOGUE: tuple[tuple[str, str, str, str, str, str, float, int, str, float], ...] = (
    ("MCH-BPP-001", "Pulper Feed Pump P-101", "Baltic Pulp & Paper", "Stock Preparation",
     "Pulper Line", "pump", 1480, 2, "rigid", 75),
    ("MCH-BPP-002", "Pulper Agitator Motor M-102", "Baltic Pulp & Paper", "Stock Preparation",
     "Pulper Line", "motor", 990, 2, "rigid", 110),
    ("MCH-BPP-003", "Refiner Drive Gearbox G-110", "Baltic Pulp & Paper", "Stock Preparation",
     "Refining", "gearbox", 1490, 1, "rigid", 400),
    ("MCH-BPP-004", "Refiner Feed Pump P-111", "Baltic Pulp & Paper", "Stock Preparation",
     "Refining", "pump", 2960, 2, "rigid", 55),
    ("MCH-BPP-005", "Headbox Fan Pump P-201", "Baltic Pulp & Paper", "Paper Machine 2",
     "Wet End", "pump", 990, 1, "rigid", 630),
    ("MCH-BPP-006", "Vacuum Blower B-205", "Baltic Pulp & Paper", "Paper Machine 2",
     "Wet End", "fan", 1480, 2, "rigid", 160),
    ("MCH-BPP-007", "Hood Exhaust Fan F-310", "Baltic Pulp & Paper", "Paper Machine 2",
     "Dryer Section", "fan", 990, 2, "rigid", 132),
    ("MCH-BPP-008", "Dryer Group Gearbox G-320", "Baltic Pulp & Paper", "Paper Machine 2",
     "Dryer Section", "gearbox", 1480, 2, "rigid", 90),
    ("MCH-RVC-001", "Cooling Water Pump P-401A", "Rhine Valley Chemicals", "Utilities",
     "Cooling Water", "pump", 2960, 2, "rigid", 90),
    ("MCH-RVC-002", "Cooling Water Pump P-401B", "Rhine Valley Chemicals", "Utilities",
     "Cooling Water", "pump", 2960, 2, "rigid", 90),
    ("MCH-RVC-003", "Cooling Tower Fan F-402", "Rhine Valley Chemicals", "Utilities",
     "Cooling Water", "fan", 1480, 2, "flexible", 45),
    ("MCH-RVC-004", "Instrument Air Compressor C-410", "Rhine Valley Chemicals", "Utilities",
     "Compressed Air", "compressor", 2960, 1, "rigid", 315),
    ("MCH-RVC-005", "Instrument Air Compressor C-411", "Rhine Valley Chemicals", "Utilities",
     "Compressed Air", "compressor", 2960, 1, "rigid", 315),
    ("MCH-RVC-006", "Reactor Agitator Gearbox G-501", "Rhine Valley Chemicals", "Process Hall",
     "Line A", "gearbox", 1480, 2, "rigid", 75),
    ("MCH-RVC-007", "Solvent Transfer Pump P-502", "Rhine Valley Chemicals", "Process Hall",
     "Line A", "pump", 2960, 2, "rigid", 30),
    ("MCH-RVC-008", "Scrubber Exhaust Fan F-505", "Rhine Valley Chemicals", "Process Hall",
     "Line A", "fan", 1480, 2, "flexible", 37),
    ("MCH-SWA-001", "Raw Water Pump P-11", "Sierra Water Authority", "North Pumping Station",
     "Raw Water", "pump", 990, 1, "rigid", 500),
    ("MCH-SWA-002", "Raw Water Pump P-12", "Sierra Water Authority", "North Pumping Station",
     "Raw Water", "pump", 990, 1, "rigid", 500),
    ("MCH-SWA-003", "High Lift Pump P-21", "Sierra Water Authority", "North Pumping Station",
     "Treated Water", "pump", 1480, 1, "flexible", 355),
    ("MCH-SWA-004", "Aeration Blower B-31", "Sierra Water Authority", "Treatment Plant",
     "Aeration", "compressor", 2960, 2, "rigid", 250),
    ("MCH-SWA-005", "Aeration Blower B-32", "Sierra Water Authority", "Treatment Plant",
     "Aeration", "compressor", 2960, 2, "rigid", 250),
    ("MCH-SWA-006", "Backwash Pump P-41", "Sierra Water Authority", "Treatment Plant",
     "Filtration", "pump", 1480, 2, "rigid", 45),
    ("MCH-SWA-007", "Filter Gallery Exhaust Fan F-42", "Sierra Water Authority",
     "Treatment Plant", "Filtration", "fan", 1480, 2, "rigid", 22),
    ("MCH-SWA-008", "Sludge Pump Motor M-43", "Sierra Water Authority", "Treatment Plant",
     "Filtration", "motor", 1480, 2, "flexible", 37),
)  # fmt: skip


def stable_int(text: str) -> int:
    """A 63-bit integer from text that, unlike hash(), is the same in every process."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def stable_unit(*parts: object) -> float:
    """A uniform number in [0, 1) that depends only on `parts` (deterministic fault draws)."""
    return stable_int("|".join(map(str, parts))) / float(1 << 63)


def _bearing_spec(
    machine: tuple, index: int, location: str, position: str, designation: str, seed: int
) -> BearingSpec:
    """Build one bearing with baseline levels drawn from a seed- and id-specific generator."""
    machine_id, _, _, _, _, machine_type, rpm, group, foundation, _ = machine
    bearing_id = f"BRG-{machine_id.removeprefix('MCH-')}-{index}"
    rng = np.random.default_rng([seed, stable_int(bearing_id)])
    # Healthy levels sit well inside zone A: 1x at 30-50 % of the A/B boundary, 2x smaller.
    zone_ab = ISO10816_3_BOUNDARIES_MM_S[(group, foundation)][0]
    v1x = zone_ab * rng.uniform(0.3, 0.5)
    shaft_rpm = float(rpm)
    gear_mesh = 0.0
    if location.startswith("Gearbox"):
        gear_mesh = _PINION_TEETH * rpm / 60.0
        if location == "Gearbox output shaft":
            shaft_rpm = round(rpm / _GEAR_RATIO, 1)
    outer_race_gain = 0.0
    imbalance = 0.0
    if machine_id == OUTER_RACE_MACHINE_ID:
        # The defect sits in the pump DE bearing; neighbours see it attenuated.
        outer_race_gain = {"Pump": {"DE": 1.0, "NDE": 0.3}, "Motor": {"DE": 0.15}}.get(
            location, {}
        ).get(position, 0.0)
    if machine_id == IMBALANCE_MACHINE_ID:
        imbalance = {("Fan", "DE"): 4.0, ("Fan", "NDE"): 3.3, ("Motor", "DE"): 1.2}.get(
            (location, position), 0.6
        )
    return BearingSpec(
        external_id=bearing_id,
        machine_external_id=machine_id,
        location=location,
        position=position,
        geometry=BEARING_GEOMETRIES[designation],
        shaft_speed_rpm=shaft_rpm,
        measurement_direction=_DIRECTIONS[position],
        v1x_mm_s=float(v1x),
        v2x_mm_s=float(v1x * rng.uniform(0.2, 0.45)),
        noise_g=float(rng.uniform(0.01, 0.03) * (1.5 if machine_type == "gearbox" else 1.0)),
        resonance_hz=float(rng.uniform(1500.0, 2200.0)),
        temperature_c=float(rng.uniform(35.0, 55.0)),
        electrical_mm_s=float(rng.uniform(0.05, 0.15)) if location == "Motor" else 0.0,
        outer_race_gain=outer_race_gain,
        imbalance_mm_s=imbalance,
        gear_mesh_hz=gear_mesh,
    )


def build_fleet(seed: int) -> Fleet:
    """Build the catalogue; the seed varies only baseline levels, never ids or geometry."""
    machines = []
    for row in _CATALOGUE:
        machine_id, name, customer, area, subarea, machine_type, rpm, group, foundation, kw = row
        size = "large" if group == 1 else "small"
        # Not every type has a large variant (fans); fall back to the medium train.
        train = _TRAINS.get((machine_type, size)) or _TRAINS[(machine_type, "small")]
        bearings = tuple(
            _bearing_spec(row, i, location, position, designation, seed)
            for i, (location, position, designation) in enumerate(train, start=1)
        )
        machines.append(
            MachineSpec(
                external_id=machine_id,
                name=name,
                customer=customer,
                area=area,
                subarea=subarea,
                machine_type=machine_type,
                running_speed_rpm=float(rpm),
                iso_group=group,
                foundation=foundation,
                rated_power_kw=float(kw),
                bearings=bearings,
            )
        )
    return Fleet(tuple(machines))


def bearing_to_wire(bearing: BearingSpec) -> dict[str, Any]:
    """The bearing as the vendor API serialises it."""
    g = bearing.geometry
    return {
        "id": bearing.external_id,
        "machine_id": bearing.machine_external_id,
        "location": bearing.location,
        "position": bearing.position,
        "type": g.designation,
        "shaft_speed_rpm": bearing.shaft_speed_rpm,
        "measurement_direction": bearing.measurement_direction,
        "geometry": {
            "rolling_elements": g.rolling_elements,
            "ball_diameter_mm": g.ball_diameter_mm,
            "pitch_diameter_mm": g.pitch_diameter_mm,
            "contact_angle_deg": g.contact_angle_deg,
        },
    }


def machine_to_wire(machine: MachineSpec) -> dict[str, Any]:
    """The machine, bearings embedded, as the vendor API serialises it."""
    return {
        "id": machine.external_id,
        "name": machine.name,
        "customer": machine.customer,
        "area": machine.area,
        "subarea": machine.subarea,
        "machine_type": machine.machine_type,
        "running_speed_rpm": machine.running_speed_rpm,
        "iso_group": machine.iso_group,
        "foundation": machine.foundation,
        "rated_power_kw": machine.rated_power_kw,
        "bearings": [bearing_to_wire(b) for b in machine.bearings],
    }
