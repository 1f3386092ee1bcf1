"""How positions, waits, times and durations read on the member pages."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone

from calendarEditor.templatetags.queue_tags import (
    capability_label,
    duration,
    ordinal,
    position_badge,
    position_label,
    start_time,
    wait,
)

NOW = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (113, "113th"),
    ],
)
def test_ordinals(number, expected):
    assert ordinal(number) == expected


@pytest.mark.parametrize(
    ("position", "expected"),
    [(1, "ON DECK"), (2, "2nd in line"), (3, "3rd in line"), (4, "#4"), (21, "#21"), (None, "")],
)
def test_position_labels(position, expected):
    assert position_label(position) == expected


def test_on_deck_badge_stands_out():
    html = position_badge(1)
    assert 'class="badge on-deck"' in html
    assert ">ON DECK<" in html
    assert 'title="1st in line"' in html


def test_later_badges_say_the_place_in_words():
    assert 'title="22nd in line"' in position_badge(22)
    assert ">#22<" in position_badge(22)
    assert 'class="badge position"' in position_badge(2)
    assert ">2nd in line<" in position_badge(2)
    assert position_badge(None) == ""


def test_badge_filter_renders_in_a_template():
    rendered = Template("{% load queue_tags %}{{ p|position_badge }}").render(Context({"p": 12}))
    assert rendered == '<span class="badge position" title="12th in line">#12</span>'


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(hours=30), "in about 30 h"),
        (timedelta(minutes=10), "now"),
        (NOW + timedelta(hours=5), "in about 5 h"),
        (NOW - timedelta(hours=2), "now"),
        (NOW + timedelta(days=3), "in about 3 days"),
        (None, ""),
    ],
)
def test_wait_reads_a_duration_or_a_start(value, expected):
    assert wait(value) == expected


@time_machine.travel(NOW, tick=False)
def test_start_time_is_a_weekday_and_time_in_the_lab_zone():
    with timezone.override(ZoneInfo("UTC")):
        assert start_time(NOW + timedelta(hours=26)) == "Wed 14:00"
        assert start_time(NOW + timedelta(days=9)) == "Thu 12 Jun 12:00"
    with timezone.override(ZoneInfo("America/New_York")):
        assert start_time(NOW) == "Tue 08:00"
    assert start_time(None) == ""


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(10, "10 h"), (2.5, "2.5 h"), (36, "36 h (1.5 days)"), (48, "48 h (2 days)"), (None, "")],
)
def test_durations(hours, expected):
    assert duration(hours) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("temperature_dependent", "Temperature dependent"),
        ("SQUID_magnetometry", "SQUID magnetometry"),
        ("rotator", "Rotator"),
    ],
)
def test_capability_labels(name, expected):
    assert capability_label(name) == expected
