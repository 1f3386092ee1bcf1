"""iCalendar feeds: a member's own projected slots, and a machine's calendar.

Calendar apps fetch feeds without a session, so a feed URL carries a secret:
256 random bits, of which only the SHA-256 is stored (CalendarFeedToken). A
member has one live token; making a new one or revoking it stops every URL
that carried the old one. Both feeds use that one token: the machine feed
then knows who is looking and applies the privacy rules for that member, so
no feed ever shows names or titles its holder could not see on the site, and
there is one secret per member to manage rather than one per machine. A token
stops working when its member is suspended or deactivated.

Feeds are generated on request from the current estimates, so they follow the
queue as it moves; calendar apps are asked to refresh often.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from calendarEditor.models import Machine
from calendarEditor.models.calendar_feeds import CalendarFeedToken
from calendarEditor.services import calendar_items
from calendarEditor.services.calendar_items import CalendarItem
from calendarEditor.services.errors import QueueError
from userRegistration.models import is_approved_member

TOKEN_BYTES = 32  # 256 bits
REFRESH = "PT15M"
_PRODID = "-//Lab queue//Calendar feed//EN"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(member: AbstractBaseUser) -> str:
    """A new secret for ``member``'s feeds, replacing any live one. Shown once; not stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        revoke(member)
        try:
            CalendarFeedToken.objects.create(member=member, token_hash=token_hash(token))
        except IntegrityError:
            # Two clicks at once: the other request's token stands.
            raise QueueError("A calendar link was made a moment ago; reload the page.") from None
    return token


def revoke(member: AbstractBaseUser) -> int:
    """Stop every feed URL of ``member``; returns how many tokens were live (0 or 1)."""
    return CalendarFeedToken.objects.filter(member=member, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def live_token(member: AbstractBaseUser) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(member=member, revoked_at__isnull=True).first()


def member_for(token: str) -> AbstractBaseUser | None:
    """The member a feed token belongs to, if it is live and they may still use the queue."""
    if not token or len(token) > 100:
        return None
    found = (
        CalendarFeedToken.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .select_related("member__profile")
        .first()
    )
    if found is None or not found.member.is_active or not is_approved_member(found.member):
        return None
    CalendarFeedToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found.member


def member_feed(member: AbstractBaseUser, now: datetime | None = None) -> bytes:
    items = calendar_items.member_items(member, now=now)
    return _calendar(f"My lab queue ({member.get_username()})", items, now).to_ical()


def machine_feed(machine: Machine, viewer: AbstractBaseUser, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    far = now + timedelta(days=366)
    start = now - timedelta(days=30)
    items = calendar_items.timeline([machine], viewer, start=start, end=far, now=now)
    shown = [item for item in items if item.kind != calendar_items.TURNOVER]
    return _calendar(f"{machine.name} (lab queue)", shown, now).to_ical()


def _calendar(name: str, items: list[CalendarItem], now: datetime | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-published-ttl", REFRESH)
    stamp = now or timezone.now()
    for item in items:
        calendar.add_component(_event(item, stamp))
    return calendar


def _event(item: CalendarItem, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", item.start)
    event.add("dtend", item.end)
    event.add("summary", _summary(item))
    event.add("location", item.machine_name)
    event.add("description", _description(item))
    event.add("status", "CONFIRMED" if item.kind == calendar_items.RUNNING else "TENTATIVE")
    event.add("categories", [item.kind])
    event.add("transp", "OPAQUE" if item.is_entry else "TRANSPARENT")
    if item.entry_id and item.mine:
        event.add("url", _absolute(reverse("schedule-entry", args=[item.entry_id])))
    return event


def _summary(item: CalendarItem) -> str:
    if not item.is_entry:
        return f"{item.machine_name}: {item.title}"
    where = "running" if item.kind == calendar_items.RUNNING else f"#{item.position}, estimated"
    who = "" if item.mine else f" — {item.member_name}"
    return f"{item.machine_name}: {item.title}{who} ({where})"


def _description(item: CalendarItem) -> str:
    if item.kind == calendar_items.PROJECTED:
        return (
            "Estimated from the queue as it stands; it moves as runs ahead finish early or late. "
            "Check in on the site when you are ON DECK."
        )
    return item.note


def _absolute(path: str) -> str:
    return str(getattr(settings, "BASE_URL", "")).rstrip("/") + path
