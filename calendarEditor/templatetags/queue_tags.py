"""How queue positions, waits and times read on every page.

The plain functions are also used by views for flash messages, so a position or
a start time reads the same in a message as on the page.
"""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from calendarEditor.id_urls import id_url
from calendarEditor.services import estimates, matching
from calendarEditor.services.temperatures import temperature_state

register = template.Library()

# Further away than this, a weekday alone is ambiguous, so the date is shown too.
_WEEKDAY_ONLY = timedelta(days=6)


@register.filter(name="id_url")
def id_url_filter(pk: int, name: str) -> str:
    """``{{ entry.pk|id_url:"schedule-entry" }}``: ``{% url %}`` for long lists (see id_urls)."""
    return id_url(name, pk)


@register.filter
def ordinal(number: int | None) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 21 -> "21st", 112 -> "112th"."""
    if number is None:
        return ""
    number = int(number)
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


@register.filter
def position_label(position: int | None) -> str:
    """ "ON DECK" for #1, "2nd in line" and "3rd in line", then "#N"."""
    if position is None:
        return ""
    position = int(position)
    if position == 1:
        return "ON DECK"
    if position <= 3:
        return f"{ordinal(position)} in line"
    return f"#{position}"


@register.filter
def position_badge(position: int | None) -> SafeString:
    """The position label as a badge; its title always says the place in words."""
    if position is None:
        return mark_safe("")
    css = "badge on-deck" if int(position) == 1 else "badge position"
    return format_html(
        '<span class="{}" title="{} in line">{}</span>',
        css,
        ordinal(position),
        position_label(position),
    )


@register.filter
def wait(value: datetime | timedelta | None) -> str:
    """A start time or a duration as "now", "in about 5 h" or "in about 3 days"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value - timezone.now()
    return estimates.humanize_wait(value)


@register.filter
def start_time(value: datetime | None) -> str:
    """ "Tue 14:00" in the lab's time zone; with the date when more than six days away."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    if abs(value - timezone.now()) > _WEEKDAY_ONLY:
        return f"{local:%a} {local.day} {local:%b %H:%M}"
    return f"{local:%a %H:%M}"


@register.filter
def duration(hours: float | None) -> str:
    """Hours as "10 h", or "36 h (1.5 days)" from a day on."""
    if hours is None:
        return ""
    text = f"{matching.format_number(round(hours, 2))} h"
    if hours >= 24:
        text += f" ({matching.format_number(round(hours / 24, 1))} days)"
    return text


@register.filter
def number(value: float | None) -> str:
    """A measurement without binary noise: 0.3 -> "0.3", 12.0 -> "12"."""
    return "" if value is None else matching.format_number(value)


@register.filter
def capability_label(name: str) -> str:
    """ "temperature_dependent" -> "Temperature dependent"."""
    text = " ".join(str(name).replace("_", " ").split())
    # Only the first letter changes, so acronyms such as "SQUID" keep their case.
    return text[:1].upper() + text[1:]


@register.filter
def temperature(machine: object) -> object:
    """The machine's latest reading with its age, or stale: ``{% with state=m|temperature %}``."""
    return temperature_state(machine)
