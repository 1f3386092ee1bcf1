"""The pure timetable: opening hours in lab time, closed windows, the next change."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from calendarEditor.services.timetable import (
    CLOSED,
    OPEN,
    Period,
    Timetable,
    Window,
    effective,
    next_change,
    wish,
)

LAB = ZoneInfo("America/New_York")
WEEKDAYS = Timetable(periods=tuple(Period(day, time(8), time(18)) for day in range(5)))


def at(day: int, hour: float) -> datetime:
    """January 2030: the 7th is a Monday; ``day`` 0 = Monday."""
    return datetime(2030, 1, 7 + day, tzinfo=LAB) + timedelta(hours=hour)


def test_open_inside_opening_hours_and_closed_outside():
    assert wish(WEEKDAYS, at(2, 10), LAB).state == OPEN
    assert wish(WEEKDAYS, at(2, 8), LAB).state == OPEN
    assert wish(WEEKDAYS, at(2, 18), LAB).state == CLOSED
    assert wish(WEEKDAYS, at(5, 10), LAB).state == CLOSED  # Saturday
    assert wish(WEEKDAYS, at(2, 18), LAB).why == "outside opening hours"
    assert wish(WEEKDAYS, at(2, 10), LAB).why == "opening hours (Wed 08:00-18:00)"


def test_a_period_past_midnight_belongs_to_the_day_it_opened():
    nights = Timetable(periods=(Period(4, time(22), time(6)),))  # Friday night
    assert wish(nights, at(4, 23), LAB).state == OPEN
    assert wish(nights, at(5, 5.9), LAB).state == OPEN  # Saturday 05:54
    assert wish(nights, at(5, 6), LAB).state == CLOSED
    assert wish(nights, at(3, 23), LAB).state == CLOSED  # Thursday night


def test_equal_times_mean_a_whole_day():
    all_day = Timetable(periods=(Period(0, time(0), time(0)),))
    assert wish(all_day, at(0, 0), LAB).state == OPEN
    assert wish(all_day, at(0, 23.9), LAB).state == OPEN
    assert wish(all_day, at(1, 0), LAB).state == CLOSED


def test_a_closed_window_wins_over_opening_hours():
    window = Window(at(2, 9), at(2, 13), "Helium refill")
    rules = Timetable(WEEKDAYS.periods, (window,))
    closed = wish(rules, at(2, 10), LAB)
    assert closed.state == CLOSED
    assert closed.why == "closed window until Wed 9 Jan 13:00: Helium refill"
    assert wish(rules, at(2, 13), LAB).state == OPEN


def test_without_opening_hours_only_windows_have_a_wish():
    rules = Timetable(windows=(Window(at(2, 9), at(2, 13), "Service"),))
    assert wish(rules, at(2, 8), LAB).state is None
    assert wish(rules, at(2, 9), LAB).state == CLOSED
    assert effective(None) == OPEN


def test_opening_hours_keep_wall_clock_time_across_daylight_saving():
    # 2030-03-10 is the day the US clocks spring forward; Monday the 11th still opens at 08:00.
    mondays = Timetable(periods=(Period(0, time(8), time(18)),))
    monday = datetime(2030, 3, 11, 8, 0, tzinfo=LAB)
    assert wish(mondays, monday, LAB).state == OPEN
    assert wish(mondays, monday - timedelta(minutes=1), LAB).state == CLOSED


def test_next_change_finds_the_next_transition():
    assert next_change(WEEKDAYS, at(2, 10), LAB) == (at(2, 18), CLOSED)
    assert next_change(WEEKDAYS, at(4, 19), LAB) == (at(7, 8), OPEN)  # Friday evening → Monday
    rules = Timetable(WEEKDAYS.periods, (Window(at(2, 12), at(2, 20), "Service"),))
    assert next_change(rules, at(2, 10), LAB) == (at(2, 12), CLOSED)
    assert next_change(rules, at(2, 12), LAB) == (at(3, 8), OPEN)  # the window outlasts the day


def test_no_change_without_rules():
    assert next_change(Timetable(), at(0, 0), LAB) is None
    assert not Timetable().has_rules
