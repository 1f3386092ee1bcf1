"""Training in matching: a machine that requires it skips untrained members. Pure: no database."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from calendarEditor.services.matching import (
    TRAINING_REQUIRED,
    MachineSpec,
    Requirements,
    incompatibility_reasons,
    match,
)
from calendarEditor.tests.matching_support import (
    failed_rules,
    machine,
    machine_lists,
    requirements,
)

training_lists = machine_lists.flatmap(
    lambda specs: st.tuples(*[st.booleans() for _ in specs]).map(
        lambda flags: [
            dataclasses.replace(spec, requires_training=flag)
            for spec, flag in zip(specs, flags, strict=True)
        ]
    )
)
qualified_sets = st.frozensets(st.integers(min_value=1, max_value=1000), max_size=20)


def trained(spec: MachineSpec, qualified: frozenset[int] | None) -> bool:
    return qualified is None or not spec.requires_training or spec.id in qualified


def test_an_untrained_member_is_told_training_is_required() -> None:
    spec = machine(requires_training=True)
    assert incompatibility_reasons(Requirements(), spec, qualified_machine_ids=set()) == [
        TRAINING_REQUIRED
    ]
    assert match(Requirements(), [spec], qualified_machine_ids={2}).reasons == {
        "Hidalgo": ("training required",)
    }


def test_a_qualified_member_passes() -> None:
    spec = machine(requires_training=True)
    result = match(Requirements(), [spec], qualified_machine_ids={spec.id})
    assert result.best == spec


def test_training_reads_after_availability_and_before_the_physics() -> None:
    spec = machine(requires_training=True, accepts_entries=False, optical=False)
    reasons = incompatibility_reasons(Requirements(optical=True), spec, qualified_machine_ids=())
    assert reasons == ["queue closed", TRAINING_REQUIRED, "no optical access"]


def test_unchecked_training_leaves_every_machine_as_before() -> None:
    spec = machine(requires_training=True)
    assert incompatibility_reasons(Requirements(), spec) == []


@settings(max_examples=200, deadline=None)
@given(requirements, training_lists, st.none() | qualified_sets)
def test_compatible_iff_every_rule_and_training_pass(
    req: Requirements, machines: list[MachineSpec], qualified: frozenset[int] | None
) -> None:
    result = match(req, machines, qualified_machine_ids=qualified)
    expected = {
        spec.name for spec in machines if not failed_rules(req, spec) and trained(spec, qualified)
    }
    assert {spec.name for spec in result.compatible} == expected
    for spec in machines:
        reasons = result.reasons.get(spec.name, ())
        assert reasons.count(TRAINING_REQUIRED) == (0 if trained(spec, qualified) else 1)


@settings(max_examples=200, deadline=None)
@given(requirements, training_lists, qualified_sets, qualified_sets)
def test_more_training_never_loses_a_machine(
    req: Requirements, machines: list[MachineSpec], some: frozenset[int], more: frozenset[int]
) -> None:
    fewer = match(req, machines, qualified_machine_ids=some)
    wider = match(req, machines, qualified_machine_ids=some | more)
    assert {s.name for s in fewer.compatible} <= {s.name for s in wider.compatible}


@settings(max_examples=200, deadline=None)
@given(requirements, machine_lists, qualified_sets)
def test_machines_without_the_requirement_ignore_training(
    req: Requirements, machines: list[MachineSpec], qualified: frozenset[int]
) -> None:
    assert match(req, machines, qualified_machine_ids=qualified) == match(req, machines)
