"""Properties of matching (DESIGN §3), checked by hypothesis. Pure: no Django, no database."""

from __future__ import annotations

import dataclasses
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from calendarEditor.services.matching import (
    MachineSpec,
    Requirements,
    incompatibility_reasons,
    match,
    rank_key,
)
from calendarEditor.tests.matching_support import (
    NAMES,
    failed_rules,
    independent_rank,
    machine_lists,
    requirements,
    specs,
)

# --- properties ------------------------------------------------------------------------


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
