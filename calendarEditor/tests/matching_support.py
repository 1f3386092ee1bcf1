"""Shared builders for the matching tests: an example machine and hypothesis strategies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from calendarEditor.services.matching import FIELD_DIRECTIONS, MachineSpec, Requirements

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def machine(name: str = "Hidalgo", **overrides: object) -> MachineSpec:
    """A machine that can do everything the examples ask, unless told otherwise."""
    values: dict[str, object] = {
        "id": 1,
        "name": name,
        "accepts_entries": True,
        "status": "idle",
        "min_temp": 0.01,
        "max_temp": 400.0,
        "field_x": 14.0,
        "field_y": 14.0,
        "field_z": 14.0,
        "field_direction": "both",
        "dc_lines": 48,
        "rf_lines": 16,
        "daughterboards": ("QBoard I", "QBoard II", "DIP"),
        "optical": True,
        "capabilities": frozenset({"temperature_dependent", "rotator"}),
    }
    values.update(overrides)
    return MachineSpec(**values)  # type: ignore[arg-type]


TEMPS = st.sampled_from([0.01, 0.3, 1.8, 4.2, 10.0, 300.0, 350.0, 400.0])
FIELDS = st.sampled_from([0.0, 1.0, 6.0, 9.0, 12.0, 14.0])
LINES = st.integers(min_value=0, max_value=48)
BOARDS = ["QBoard I", "QBoard II", "DIP", " qboard i ", "QBOARD II"]
CAPS = st.frozensets(st.sampled_from(["temperature_dependent", "rotator", "ac_susc"]))
NAMES = ["Griffin", "griffin", "Hidalgo", "Optical", "alpha", "Alpha", "Zeta"]
STARTS = st.none() | st.sampled_from([T0 + timedelta(hours=h) for h in (0, 0, 3, 30)])

requirements = st.builds(
    Requirements,
    min_temp=st.none() | TEMPS,
    max_temp=st.none() | TEMPS,
    field_x=FIELDS,
    field_y=FIELDS,
    field_z=FIELDS,
    field_direction=st.sampled_from(FIELD_DIRECTIONS),
    dc_lines=LINES,
    rf_lines=LINES,
    daughterboard=st.sampled_from(["", *BOARDS]),
    optical=st.booleans(),
    capabilities=CAPS,
)

specs = st.builds(
    MachineSpec,
    id=st.integers(min_value=1, max_value=1000),
    name=st.sampled_from(NAMES),
    accepts_entries=st.booleans(),
    status=st.sampled_from(["idle", "running", "cooldown", "warmup", "maintenance", "offline"]),
    min_temp=TEMPS,
    max_temp=TEMPS,
    field_x=FIELDS,
    field_y=FIELDS,
    field_z=FIELDS,
    field_direction=st.sampled_from(FIELD_DIRECTIONS),
    dc_lines=LINES,
    rf_lines=LINES,
    daughterboards=st.lists(st.sampled_from(BOARDS), max_size=3).map(tuple),
    optical=st.booleans(),
    capabilities=CAPS,
    queue_length=st.integers(min_value=0, max_value=3),
    estimated_start=STARTS,
)

machine_lists = st.lists(specs, max_size=len(NAMES), unique_by=lambda spec: spec.name)


def failed_rules(req: Requirements, spec: MachineSpec) -> list[str]:
    """The opening words of each reason the spec must produce, worked out from DESIGN §3."""
    failed = []
    if not spec.accepts_entries:
        failed.append("queue closed")
    if spec.status == "maintenance":
        failed.append("in maintenance")
    if spec.status == "offline":
        failed.append("offline")
    if req.min_temp is not None and not spec.min_temp <= req.min_temp:
        failed.append("min temperature")
    if req.max_temp is not None and not req.max_temp <= spec.max_temp:
        failed.append("max temperature")
    for axis in "xyz":
        if not getattr(req, f"field_{axis}") <= getattr(spec, f"field_{axis}"):
            failed.append(f"field B_{axis}")
    allowed = {
        "none": set(FIELD_DIRECTIONS),
        "parallel": {"parallel", "both"},
        "perpendicular": {"perpendicular", "both"},
        "both": {"both"},
    }[req.field_direction]
    if spec.field_direction not in allowed:
        failed.append("field direction")
    if not req.dc_lines <= spec.dc_lines:
        failed.append("DC lines")
    if not req.rf_lines <= spec.rf_lines:
        failed.append("RF lines")
    wanted = req.daughterboard.strip().casefold()
    if wanted and wanted not in {board.strip().casefold() for board in spec.daughterboards}:
        failed.append("daughterboard")
    if req.optical and not spec.optical:
        failed.append("no optical access")
    failed.extend(f"missing capability: {cap}" for cap in req.capabilities - spec.capabilities)
    return failed


def independent_rank(spec: MachineSpec) -> tuple[int, datetime, int, str]:
    # Unknown starts go last: sort on "has no estimate" first, then the estimate itself.
    has_none = spec.estimated_start is None
    return (int(has_none), spec.estimated_start or T0, spec.queue_length, spec.name.lower())
