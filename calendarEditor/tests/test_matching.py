"""Matching requirements to machines (DESIGN §3). Pure: no Django, no database."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calendarEditor.services.matching import (
    MatchResult,
    Requirements,
    format_number,
    incompatibility_reasons,
    match,
    rank_key,
)
from calendarEditor.tests.matching_support import T0, machine


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
