"""Matching requirements to machines (DESIGN §3). Pure: no Django, no database."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendarEditor.services.matching import (
    FIELD_DIRECTIONS,
    MachineSpec,
    MatchResult,
    Requirements,
    format_number,
    incompatibility_reasons,
    match,
    rank_key,
)

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


def reasons_for(req: Requirements, **overrides: object) -> list[str]:
    return incompatibility_reasons(req, machine(**overrides))


# --- each rule and its reason -----------------------------------------------------------


def test_capable_machine_has_no_reasons() -> None:
    req = Requirements(
        min_temp=0.3,
        max_temp=300,
        field_x=1,
        field_y=2,
        field_z=9,
        field_direction="perpendicular",
        dc_lines=24,
        rf_lines=8,
        daughterboard="QBoard I",
        optical=True,
        capabilities=frozenset({"temperature_dependent"}),
    )
    assert reasons_for(req) == []


def test_empty_requirements_match_any_open_machine() -> None:
    bare = machine(
        field_x=0.0,
        field_y=0.0,
        field_z=0.0,
        field_direction="none",
        dc_lines=0,
        rf_lines=0,
        daughterboards=(),
        optical=False,
        capabilities=frozenset(),
    )
    assert incompatibility_reasons(Requirements(), bare) == []


def test_min_temperature_reason_matches_the_conventions_example() -> None:
    result = match(Requirements(min_temp=0.3), [machine("Griffin", min_temp=1.8)])
    assert result.reasons["Griffin"] == ("min temperature 1.8 K > required 0.3 K",)
    assert result.compatible == ()
    assert result.best is None


def test_max_temperature_reason() -> None:
    assert reasons_for(Requirements(max_temp=350), max_temp=300.0) == [
        "max temperature 300 K < required 350 K"
    ]


def test_temperature_limits_are_inclusive() -> None:
    assert reasons_for(Requirements(min_temp=1.8, max_temp=300), min_temp=1.8, max_temp=300) == []


def test_unspecified_temperatures_are_not_checked() -> None:
    assert reasons_for(Requirements(), min_temp=250.0, max_temp=260.0) == []


@pytest.mark.parametrize("axis", ["x", "y", "z"])
def test_field_reason_per_axis(axis: str) -> None:
    req = Requirements(**{f"field_{axis}": 9.0})  # type: ignore[arg-type]
    assert reasons_for(req, **{f"field_{axis}": 6.0}) == [f"field B_{axis} 6 T < required 9 T"]


def test_field_equal_to_the_maximum_is_enough() -> None:
    assert reasons_for(Requirements(field_z=12.0), field_z=12.0) == []


# (required, offered) -> supported: none needs nothing; a single direction needs that one or
# both; both needs both.
DIRECTION_TABLE = {
    ("none", "none"): True,
    ("none", "parallel"): True,
    ("none", "perpendicular"): True,
    ("none", "both"): True,
    ("parallel", "none"): False,
    ("parallel", "parallel"): True,
    ("parallel", "perpendicular"): False,
    ("parallel", "both"): True,
    ("perpendicular", "none"): False,
    ("perpendicular", "parallel"): False,
    ("perpendicular", "perpendicular"): True,
    ("perpendicular", "both"): True,
    ("both", "none"): False,
    ("both", "parallel"): False,
    ("both", "perpendicular"): False,
    ("both", "both"): True,
}


@pytest.mark.parametrize(("required", "offered"), sorted(DIRECTION_TABLE))
def test_direction_table(required: str, offered: str) -> None:
    reasons = reasons_for(Requirements(field_direction=required), field_direction=offered)
    if DIRECTION_TABLE[required, offered]:
        assert reasons == []
    else:
        assert reasons == [f"field direction {required} not supported (machine: {offered})"]


def test_direction_reason_text() -> None:
    assert reasons_for(
        Requirements(field_direction="perpendicular"), field_direction="parallel"
    ) == ["field direction perpendicular not supported (machine: parallel)"]


def test_line_reasons() -> None:
    assert reasons_for(Requirements(dc_lines=24, rf_lines=8), dc_lines=16, rf_lines=6) == [
        "DC lines 16 < required 24",
        "RF lines 6 < required 8",
    ]


def test_daughterboard_reason() -> None:
    assert reasons_for(
        Requirements(daughterboard="QBoard I"), daughterboards=("QBoard II", "DIP")
    ) == ["daughterboard QBoard I not accepted (accepts: QBoard II, DIP)"]


def test_daughterboard_reason_when_machine_accepts_none() -> None:
    assert reasons_for(Requirements(daughterboard="DIP"), daughterboards=()) == [
        "daughterboard DIP not accepted (accepts: none)"
    ]


@pytest.mark.parametrize(
    ("required", "accepted", "ok"),
    [
        ("QBoard I", ("QBoard II",), False),
        ("QBoard II", ("QBoard I",), False),
        ("QBoard", ("QBoard I", "QBoard II"), False),
        ("Board I", ("QBoard I",), False),
        ("QBoard I", ("QBoard II", "QBoard I"), True),
        ("  qboard ii ", ("QBoard II",), True),
        ("DIP", (" dip ",), True),
        ("", (), True),
        ("   ", ("DIP",), True),
    ],
)
def test_daughterboard_compares_whole_names(
    required: str, accepted: tuple[str, ...], ok: bool
) -> None:
    reasons = reasons_for(Requirements(daughterboard=required), daughterboards=accepted)
    assert (reasons == []) is ok


def test_optical_reason() -> None:
    assert reasons_for(Requirements(optical=True), optical=False) == ["no optical access"]
    assert reasons_for(Requirements(optical=False), optical=False) == []


def test_each_missing_capability_is_named_in_order() -> None:
    req = Requirements(capabilities=frozenset({"temperature_dependent", "rotator", "ac_susc"}))
    assert reasons_for(req, capabilities=frozenset({"rotator"})) == [
        "missing capability: ac_susc",
        "missing capability: temperature_dependent",
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"accepts_entries": False}, ["queue closed"]),
        ({"status": "maintenance"}, ["in maintenance"]),
        ({"status": "offline"}, ["offline"]),
        ({"accepts_entries": False, "status": "offline"}, ["queue closed", "offline"]),
        ({"status": "running"}, []),
        ({"status": "cooldown"}, []),
        ({"status": "warmup"}, []),
    ],
)
def test_availability_reasons(overrides: dict[str, object], expected: list[str]) -> None:
    assert reasons_for(Requirements(), **overrides) == expected


def test_every_failing_rule_adds_its_own_reason() -> None:
    req = Requirements(
        min_temp=0.3,
        max_temp=350,
        field_z=9,
        field_direction="perpendicular",
        dc_lines=24,
        rf_lines=8,
        daughterboard="QBoard I",
        optical=True,
        capabilities=frozenset({"temperature_dependent"}),
    )
    weak = machine(
        "Griffin",
        accepts_entries=False,
        status="maintenance",
        min_temp=1.8,
        max_temp=300.0,
        field_z=6.0,
        field_direction="parallel",
        dc_lines=16,
        rf_lines=6,
        daughterboards=("QBoard II", "DIP"),
        optical=False,
        capabilities=frozenset(),
    )
    assert incompatibility_reasons(req, weak) == [
        "queue closed",
        "in maintenance",
        "min temperature 1.8 K > required 0.3 K",
        "max temperature 300 K < required 350 K",
        "field B_z 6 T < required 9 T",
        "field direction perpendicular not supported (machine: parallel)",
        "DC lines 16 < required 24",
        "RF lines 6 < required 8",
        "daughterboard QBoard I not accepted (accepts: QBoard II, DIP)",
        "no optical access",
        "missing capability: temperature_dependent",
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.3, "0.3"),
        (12.0, "12"),
        (1.8, "1.8"),
        (300.0, "300"),
        (0.1 + 0.2, "0.3"),
        (1e-05, "0.00001"),
    ],
)
def test_format_number_drops_trailing_zeros(value: float, text: str) -> None:
    assert format_number(value) == text


# --- ranking ---------------------------------------------------------------------------


def test_earliest_estimated_start_wins() -> None:
    later = machine("Alpha", id=1, estimated_start=T0 + timedelta(hours=5), queue_length=0)
    sooner = machine("Zulu", id=2, estimated_start=T0 + timedelta(hours=1), queue_length=9)
    result = match(Requirements(), [later, sooner])
    assert result.compatible == (sooner, later)
    assert result.best == sooner
    assert result.reasons == {}


def test_equal_starts_go_to_the_shorter_queue_then_by_name() -> None:
    long_queue = machine("Alpha", id=1, estimated_start=T0, queue_length=3)
    bravo = machine("bravo", id=2, estimated_start=T0, queue_length=1)
    charlie = machine("Charlie", id=3, estimated_start=T0, queue_length=1)
    result = match(Requirements(), [long_queue, charlie, bravo])
    assert [spec.name for spec in result.compatible] == ["bravo", "Charlie", "Alpha"]


def test_machines_without_an_estimate_sort_last() -> None:
    unknown = machine("Alpha", id=1, estimated_start=None, queue_length=0)
    known = machine("Zulu", id=2, estimated_start=T0 + timedelta(days=300), queue_length=50)
    assert match(Requirements(), [unknown, known]).compatible == (known, unknown)


def test_rank_key_shape() -> None:
    spec = machine("Griffin", estimated_start=T0, queue_length=2)
    assert rank_key(spec) == (T0, 2, "griffin")
    assert rank_key(machine("Griffin"))[0] == datetime.max.replace(tzinfo=UTC)


def test_incompatible_machines_are_not_ranked() -> None:
    closed = machine("Alpha", accepts_entries=False, estimated_start=T0)
    open_ = machine("Zulu", estimated_start=T0 + timedelta(hours=1))
    result = match(Requirements(), [closed, open_])
    assert result.compatible == (open_,)
    assert result.reasons == {"Alpha": ("queue closed",)}


def test_no_machines() -> None:
    assert match(Requirements(), []) == MatchResult(compatible=(), reasons={})


# --- validation ------------------------------------------------------------------------


def test_unknown_direction_is_rejected() -> None:
    with pytest.raises(ValueError, match="field direction"):
        Requirements(field_direction="diagonal")
    with pytest.raises(ValueError, match="field direction"):
        machine(field_direction="Parallel")


def test_negative_line_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="line counts"):
        Requirements(dc_lines=-1)
    with pytest.raises(ValueError, match="line counts"):
        machine(rf_lines=-2)


def test_naive_estimated_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        machine(estimated_start=datetime(2025, 3, 3, 9, 0))


def test_duplicate_machine_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        match(Requirements(), [machine("Griffin", id=1), machine("Griffin", id=2)])


def test_lists_from_json_fields_are_frozen() -> None:
    req = Requirements(capabilities=["rotator"])  # type: ignore[arg-type]
    spec = machine(daughterboards=["DIP"], capabilities={"rotator"})
    assert req.capabilities == frozenset({"rotator"})
    assert spec.daughterboards == ("DIP",)
    assert spec.capabilities == frozenset({"rotator"})
    assert hash(req) == hash(Requirements(capabilities=frozenset({"rotator"})))


def test_module_imports_no_django() -> None:
    # A fresh interpreter, because pytest-django may already have loaded Django here.
    code = (
        "import sys, calendarEditor.services.matching; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    repo_root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=repo_root, check=False).returncode == 0


# --- properties ------------------------------------------------------------------------

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


@settings(max_examples=200, deadline=None)
@given(requirements, machine_lists)
def test_compatible_machines_pass_every_rule(
    req: Requirements, machines: list[MachineSpec]
) -> None:
    result = match(req, machines)
    for spec in result.compatible:
        assert spec.accepts_entries
        assert spec.status not in ("maintenance", "offline")
        assert req.min_temp is None or spec.min_temp <= req.min_temp
        assert req.max_temp is None or req.max_temp <= spec.max_temp
        assert req.field_x <= spec.field_x
        assert req.field_y <= spec.field_y
        assert req.field_z <= spec.field_z
        if req.field_direction == "both":
            assert spec.field_direction == "both"
        elif req.field_direction != "none":
            assert spec.field_direction in (req.field_direction, "both")
        assert req.dc_lines <= spec.dc_lines
        assert req.rf_lines <= spec.rf_lines
        if req.daughterboard.strip():
            names = [board.strip().casefold() for board in spec.daughterboards]
            assert req.daughterboard.strip().casefold() in names
        assert spec.optical or not req.optical
        assert req.capabilities <= spec.capabilities


@settings(max_examples=200, deadline=None)
@given(requirements, machine_lists)
def test_every_machine_is_either_compatible_or_explained(
    req: Requirements, machines: list[MachineSpec]
) -> None:
    result = match(req, machines)
    compatible = {spec.name for spec in result.compatible}
    expected_compatible = {spec.name for spec in machines if not failed_rules(req, spec)}
    assert compatible == expected_compatible
    assert set(result.reasons) == {spec.name for spec in machines} - compatible
    assert all(len(reasons) >= 1 for reasons in result.reasons.values())


@settings(max_examples=200, deadline=None)
@given(requirements, specs)
def test_one_reason_per_failed_rule(req: Requirements, spec: MachineSpec) -> None:
    reasons = incompatibility_reasons(req, spec)
    expected = failed_rules(req, spec)
    assert len(reasons) == len(expected)
    for opening in expected:
        assert sum(reason.startswith(opening) for reason in reasons) == 1, opening


@settings(max_examples=200, deadline=None)
@given(requirements, machine_lists)
def test_best_has_the_minimal_rank(req: Requirements, machines: list[MachineSpec]) -> None:
    result = match(req, machines)
    if not result.compatible:
        assert result.best is None
        return
    assert result.best is not None
    assert rank_key(result.best) == min(rank_key(spec) for spec in result.compatible)
    assert independent_rank(result.best) == min(map(independent_rank, result.compatible))


@settings(max_examples=200, deadline=None)
@given(machine_lists)
def test_ties_break_by_queue_length_then_name(machines: list[MachineSpec]) -> None:
    ranked = match(Requirements(), machines).compatible
    for ahead, behind in pairwise(ranked):
        if ahead.estimated_start is None:
            assert behind.estimated_start is None
        elif behind.estimated_start is not None:
            assert ahead.estimated_start <= behind.estimated_start
        if ahead.estimated_start == behind.estimated_start:
            assert ahead.queue_length <= behind.queue_length
            if ahead.queue_length == behind.queue_length:
                assert ahead.name.casefold() <= behind.name.casefold()


@settings(max_examples=200, deadline=None)
@given(requirements, specs, st.sampled_from(NAMES))
def test_no_rule_depends_on_the_name(req: Requirements, spec: MachineSpec, name: str) -> None:
    renamed = dataclasses.replace(spec, name=name)
    assert incompatibility_reasons(req, renamed) == incompatibility_reasons(req, spec)
