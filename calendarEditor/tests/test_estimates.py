"""Estimated start times (DESIGN §4). Pure: no Django, no database."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendarEditor.services.estimates import (
    STATUSES,
    MachineTiming,
    estimated_start_at_back,
    estimated_starts,
    humanize_wait,
    start_after_queue,
    time_until_free,
    turnover_hours,
)

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def timing(status: str = "idle", **overrides: object) -> MachineTiming:
    # Turnover 14 h (10 h cooldown + 4 h warmup) keeps the hand-computed sums easy to follow.
    values: dict[str, object] = {"status": status, "cooldown_hours": 10.0, "warmup_hours": 4.0}
    values.update(overrides)
    return MachineTiming(**values)  # type: ignore[arg-type]


def running(started_hours_ago: float, estimated_hours: float) -> MachineTiming:
    return timing(
        "running",
        status_changed_at=NOW - hours(started_hours_ago),
        running_started_at=NOW - hours(started_hours_ago),
        running_estimated_hours=estimated_hours,
    )


# --- turnover and time until free -------------------------------------------------------


def test_turnover_is_warmup_plus_cooldown() -> None:
    assert turnover_hours(timing()) == 14.0
    assert turnover_hours(timing(cooldown_hours=0.0, warmup_hours=0.0)) == 0.0


def test_idle_machine_is_free_now() -> None:
    assert time_until_free(timing("idle"), NOW) == timedelta(0)


def test_running_machine_is_free_after_time_left_plus_turnover() -> None:
    # Started 10 h ago, 24 h estimated: 14 h left, then 14 h turnover.
    assert time_until_free(running(10, 24), NOW) == hours(28)


def test_overrunning_machine_is_free_after_turnover_only() -> None:
    # Started 30 h ago with 24 h estimated: 6 h over, which must not count as negative time.
    assert time_until_free(running(30, 24), NOW) == hours(14)


def test_running_entry_wins_over_status() -> None:
    in_warmup = timing(
        "warmup",
        status_changed_at=NOW,
        running_started_at=NOW - hours(2),
        running_estimated_hours=5.0,
    )
    assert time_until_free(in_warmup, NOW) == hours(3 + 14)


def test_running_status_without_running_entry_is_free_now() -> None:
    assert time_until_free(timing("running", status_changed_at=NOW - hours(1)), NOW) == hours(0)


def test_running_entry_needs_both_start_and_estimate() -> None:
    only_start = timing("idle", running_started_at=NOW - hours(1))
    only_estimate = timing("idle", running_estimated_hours=5.0)
    assert time_until_free(only_start, NOW) == timedelta(0)
    assert time_until_free(only_estimate, NOW) == timedelta(0)


def test_cooldown_in_progress_finishes_after_cooldown_hours() -> None:
    assert time_until_free(timing("cooldown", status_changed_at=NOW - hours(3)), NOW) == hours(7)


def test_warmup_in_progress_still_has_the_cooldown_after_it() -> None:
    # 3 h of warmup left, then the 10 h cooldown that follows it.
    assert time_until_free(timing("warmup", status_changed_at=NOW - hours(1)), NOW) == hours(13)


@pytest.mark.parametrize("status", ["cooldown", "warmup"])
def test_phase_that_should_have_ended_means_free_now(status: str) -> None:
    assert time_until_free(timing(status, status_changed_at=NOW - hours(50)), NOW) == hours(0)


@pytest.mark.parametrize(("status", "phase"), [("cooldown", 10), ("warmup", 14)])
def test_phase_without_timestamp_is_assumed_to_have_just_begun(status: str, phase: int) -> None:
    assert time_until_free(timing(status), NOW) == hours(phase)


@pytest.mark.parametrize("status", ["maintenance", "offline"])
def test_unavailable_machine_is_estimated_as_idle(status: str) -> None:
    assert time_until_free(timing(status, status_changed_at=NOW - hours(1)), NOW) == hours(0)


# --- estimated starts -----------------------------------------------------------------


def test_idle_queue_starts() -> None:
    # #1 now; #2 after 24 h + 14 h; #3 after a further 48 h + 14 h.
    assert estimated_starts(timing("idle"), [24, 48, 12], NOW) == [
        NOW,
        NOW + hours(38),
        NOW + hours(100),
    ]
    assert estimated_start_at_back(timing("idle"), [24, 48, 12], NOW) == NOW + hours(126)


def test_running_queue_starts() -> None:
    # Free at +28 h (see above); then 6 h + 14 h per entry ahead.
    assert estimated_starts(running(10, 24), [6, 6], NOW) == [NOW + hours(28), NOW + hours(48)]
    assert estimated_start_at_back(running(10, 24), [6, 6], NOW) == NOW + hours(68)


def test_overrun_queue_starts() -> None:
    assert estimated_starts(running(30, 24), [1.5], NOW) == [NOW + hours(14)]
    assert estimated_start_at_back(running(30, 24), [1.5], NOW) == NOW + hours(29.5)


def test_cooldown_queue_starts() -> None:
    cooling = timing("cooldown", status_changed_at=NOW - hours(3))
    assert estimated_starts(cooling, [24, 8], NOW) == [NOW + hours(7), NOW + hours(45)]


def test_warmup_queue_starts() -> None:
    warming = timing("warmup", status_changed_at=NOW - hours(1))
    assert estimated_starts(warming, [2], NOW) == [NOW + hours(13)]
    assert estimated_start_at_back(warming, [2], NOW) == NOW + hours(29)


def test_empty_queue() -> None:
    assert estimated_starts(running(10, 24), [], NOW) == []
    assert estimated_start_at_back(running(10, 24), [], NOW) == NOW + hours(28)


def test_fractional_hours_are_not_rounded() -> None:
    machine = timing(cooldown_hours=0.25, warmup_hours=0.0)
    assert estimated_starts(machine, [1 / 3, 0.1], NOW) == [
        NOW,
        NOW + timedelta(minutes=35),
    ]


def test_starts_keep_the_timezone_of_now() -> None:
    berlin = timezone(timedelta(hours=1))
    now = NOW.astimezone(berlin)
    (start,) = estimated_starts(running(10, 24), [1], now)
    assert start.tzinfo is berlin
    assert start == NOW + hours(28)


# --- validation -----------------------------------------------------------------------


def test_unknown_status_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown machine status"):
        timing("broken")


@pytest.mark.parametrize(
    "overrides",
    [
        {"cooldown_hours": -1.0},
        {"warmup_hours": float("nan")},
        {"running_estimated_hours": float("inf")},
    ],
)
def test_bad_hours_are_rejected(overrides: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="hours"):
        timing(**overrides)


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="duration"):
        estimated_starts(timing(), [3, -1], NOW)


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2025, 3, 3, 9, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        timing("cooldown", status_changed_at=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        time_until_free(timing(), naive)


# --- humanize_wait --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=-3), "now"),
        (timedelta(0), "now"),
        (timedelta(minutes=29, seconds=59), "now"),
        (timedelta(minutes=30), "in about 1 h"),
        (timedelta(hours=1), "in about 1 h"),
        (timedelta(hours=1, minutes=29), "in about 1 h"),
        (timedelta(hours=1, minutes=30), "in about 2 h"),
        (timedelta(hours=5), "in about 5 h"),
        (timedelta(hours=47, minutes=29), "in about 47 h"),
        (timedelta(hours=47, minutes=30), "in about 2 days"),
        (timedelta(hours=48), "in about 2 days"),
        (timedelta(hours=59, minutes=59), "in about 2 days"),
        (timedelta(hours=60), "in about 3 days"),
        (timedelta(hours=100), "in about 4 days"),
        (timedelta(days=14), "in about 14 days"),
    ],
)
def test_humanize_wait(delta: timedelta, text: str) -> None:
    assert humanize_wait(delta) == text


def test_module_imports_no_django() -> None:
    # A fresh interpreter, because pytest-django may already have loaded Django here.
    code = (
        "import sys, calendarEditor.services.estimates; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    repo_root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=repo_root, check=False).returncode == 0


# --- properties -----------------------------------------------------------------------

phase_hours = st.floats(min_value=0, max_value=72, allow_nan=False)
offsets = st.floats(min_value=-200, max_value=200, allow_nan=False)
nows = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
durations = st.lists(st.floats(min_value=0, max_value=500, allow_nan=False), max_size=12)


@st.composite
def timings(draw: st.DrawFn, now: datetime) -> MachineTiming:
    has_run = draw(st.booleans())
    changed = draw(st.none() | offsets.map(lambda h: now + hours(h)))
    return MachineTiming(
        status=draw(st.sampled_from(STATUSES)),
        cooldown_hours=draw(phase_hours),
        warmup_hours=draw(phase_hours),
        status_changed_at=changed,
        running_started_at=now + hours(draw(offsets)) if has_run else None,
        running_estimated_hours=draw(phase_hours) if has_run else None,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[MachineTiming, list[float], datetime]:
    now = draw(nows)
    return draw(timings(now)), draw(durations), now


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_starts_never_precede_now_and_never_go_backwards(
    scenario: tuple[MachineTiming, list[float], datetime],
) -> None:
    machine, queue, now = scenario
    starts = estimated_starts(machine, queue, now)
    assert len(starts) == len(queue)
    if starts:
        assert starts[0] >= now
        assert starts[0] == now + time_until_free(machine, now)
    assert all(earlier <= later for earlier, later in pairwise(starts))


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.floats(min_value=0, max_value=500, allow_nan=False))
def test_back_of_queue_is_the_next_start(
    scenario: tuple[MachineTiming, list[float], datetime], extra: float
) -> None:
    machine, queue, now = scenario
    back = estimated_start_at_back(machine, queue, now)
    assert back == estimated_starts(machine, [*queue, extra], now)[-1]
    assert back >= now


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_start_after_queue_agrees_with_the_list_form(
    scenario: tuple[MachineTiming, list[float], datetime],
) -> None:
    machine, queue, now = scenario
    summed = start_after_queue(machine, len(queue), sum(queue), now)
    # Adding per-entry timedeltas rounds to the microsecond each time; summing first does not.
    assert abs(summed - estimated_start_at_back(machine, queue, now)) <= timedelta(milliseconds=1)


def test_start_after_queue_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        start_after_queue(timing(), -1, 0, NOW)


def test_a_page_of_the_queue_starts_after_the_hours_ahead_of_it() -> None:
    # Two entries (24 h, 48 h) ahead, each followed by a 14 h turnover: 100 h.
    page = estimated_starts(timing("idle"), [12, 6], NOW, ahead_count=2, ahead_hours=72)
    assert page == [NOW + hours(100), NOW + hours(126)]
    assert page == estimated_starts(timing("idle"), [24, 48, 12, 6], NOW)[2:]


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.integers(min_value=0, max_value=12))
def test_any_page_agrees_with_the_whole_queue(
    scenario: tuple[MachineTiming, list[float], datetime], cut: int
) -> None:
    machine, queue, now = scenario
    ahead, page = queue[:cut], queue[cut:]
    paged = estimated_starts(machine, page, now, ahead_count=len(ahead), ahead_hours=sum(ahead))
    whole = estimated_starts(machine, queue, now)[len(ahead) :]
    # Summing the hours ahead first rounds differently from adding them one by one.
    assert len(paged) == len(whole)
    assert all(abs(a - b) <= timedelta(milliseconds=1) for a, b in zip(paged, whole, strict=True))


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_each_prefix_ends_where_the_next_position_starts(
    scenario: tuple[MachineTiming, list[float], datetime],
) -> None:
    machine, queue, now = scenario
    starts = estimated_starts(machine, queue, now)
    for k, start in enumerate(starts):
        assert estimated_start_at_back(machine, queue[:k], now) == start


@settings(max_examples=200, deadline=None)
@given(st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=365)))
def test_humanize_wait_always_reads_now_or_about(delta: timedelta) -> None:
    text = humanize_wait(delta)
    if delta < timedelta(minutes=30):
        assert text == "now"
    elif delta < timedelta(hours=47, minutes=30):
        assert text.startswith("in about ")
        assert text.endswith(" h")
    else:
        assert text.startswith("in about ")
        assert text.endswith(" days")
