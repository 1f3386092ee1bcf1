"""The settings of scheduled work, read and checked in one place.

Each reader fails loudly (ImproperlyConfigured) on a value it cannot use, so
a typo in a deployment's variables stops the runner instead of silently
changing when members are reminded.
"""

from datetime import datetime, time, timedelta, tzinfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

DEFAULTS: dict[str, object] = {
    "CHECK_IN_REMINDER_HOURS": 12,
    "CHECK_OUT_REMINDER_AFTER_HOURS": None,  # None: remind once the estimated end passes
    "CHECK_OUT_REMINDER_REPEAT_HOURS": 12,
    "CHECK_OUT_SNOOZE_MAX_HOURS": 24,
    "STILL_IN_USE_HOURS": 48,  # 0: never ask
    "QUIET_HOURS_START": "",  # "00:00"; empty: no quiet hours
    "QUIET_HOURS_END": "",
    "NOTIFICATION_RETENTION_DAYS": 90,
    "DAILY_SUMMARY_TIME": "07:00",
    "DAILY_SUMMARY_WAITING_DAYS": 7,
    "DUE_WORK_DELIVERY_LIMIT": 100,
    "DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS": 60,  # 0: the middleware never runs the work
}


def _raw(name: str) -> object:
    return getattr(settings, name, DEFAULTS[name])


def hours(name: str, *, allow_zero: bool = False) -> float:
    value = _raw(name)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a number of hours.") from None
    if number < 0 or (number == 0 and not allow_zero):
        floor = "0 or more" if allow_zero else "above 0"
        raise ImproperlyConfigured(f"{name}={value!r} must be {floor}.")
    return number


def optional_hours(name: str) -> float | None:
    value = _raw(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return hours(name)


def whole(name: str, *, minimum: int = 0) -> int:
    value = _raw(name)
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    return number


def clock_time(name: str) -> time | None:
    """A "HH:MM" setting in the lab's time zone; empty means unset."""
    value = str(_raw(name) or "").strip()
    if not value:
        return None
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a time such as 06:30.") from None


def check_all() -> None:
    """Read every setting once, so a bad value stops a run before any job starts."""
    for name in ("CHECK_IN_REMINDER_HOURS", "CHECK_OUT_REMINDER_REPEAT_HOURS"):
        hours(name)
    hours("CHECK_OUT_SNOOZE_MAX_HOURS")
    hours("STILL_IN_USE_HOURS", allow_zero=True)
    optional_hours("CHECK_OUT_REMINDER_AFTER_HOURS")
    whole("NOTIFICATION_RETENTION_DAYS", minimum=1)
    whole("DAILY_SUMMARY_WAITING_DAYS", minimum=1)
    whole("DUE_WORK_DELIVERY_LIMIT", minimum=1)
    whole("DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS")
    quiet_hours()
    if clock_time("DAILY_SUMMARY_TIME") is None:
        raise ImproperlyConfigured("DAILY_SUMMARY_TIME must be a time such as 07:00.")


def lab_zone() -> tzinfo:
    return timezone.get_default_timezone()


def quiet_hours() -> tuple[time, time] | None:
    start, end = clock_time("QUIET_HOURS_START"), clock_time("QUIET_HOURS_END")
    if (start is None) != (end is None):
        raise ImproperlyConfigured("Set both QUIET_HOURS_START and QUIET_HOURS_END, or neither.")
    if start is None or end is None or start == end:
        return None
    return start, end


def is_quiet(moment: datetime) -> bool:
    """Inside the quiet hours, in lab time; a period such as 22:00-06:00 spans midnight."""
    period = quiet_hours()
    if period is None:
        return False
    start, end = period
    local = timezone.localtime(moment, lab_zone()).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def daily_window_start(moment: datetime) -> datetime:
    """The start of the once-a-day window holding ``moment``: the latest DAILY_SUMMARY_TIME."""
    at = clock_time("DAILY_SUMMARY_TIME") or time(7)
    local = timezone.localtime(moment, lab_zone())
    start = timezone.make_aware(datetime.combine(local.date(), at), lab_zone())
    if start > moment:
        start = timezone.make_aware(
            datetime.combine(local.date() - timedelta(days=1), at), lab_zone()
        )
    return start


def snooze_limit_hours(machine_override: float | None) -> float:
    """The longest check-out snooze: the machine's own limit, else the site's."""
    if machine_override is not None and machine_override > 0:
        return machine_override
    return hours("CHECK_OUT_SNOOZE_MAX_HOURS")
