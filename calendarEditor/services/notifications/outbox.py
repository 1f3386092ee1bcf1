"""The outbox: notifications and their delivery rows, written in the caller's transaction.

Each notice is rendered from the catalogue, sent on the channels the member
chose (critical types always in the app), and replaces an unread notice about
the same thing instead of piling up next to it; an identical unread notice
means nothing new is written at all. After commit the deliveries go to the
background worker; the retry runner picks up whatever it did not finish.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from calendarEditor.models import (
    Channel,
    Delivery,
    DeliveryState,
    Notification,
    NotificationPreference,
)
from calendarEditor.services.notifications import catalogue, delivery, transports
from calendarEditor.services.notifications.kinds import Link, NoticeType
from calendarEditor.services.notifications.tokens import is_same_site_path

# Notices about an entry's turn ("act now", "you're #3"); any later change of it makes them stale.
STALE_ON_WITHDRAW = (
    "on_deck",
    "ready_to_check_in",
    "check_in_reminder",
    "hold_expired",
    "position_changed",
)


@dataclass
class Notice:
    """One notice to write: a type, its recipient and what the templates need."""

    kind: str
    recipient: Any  # a user, ideally with its profile loaded
    context: Mapping[str, Any] = field(default_factory=dict)
    entry_id: int | None = None
    machine_id: int | None = None
    actor_id: int | None = None
    link: str = ""


def notify(
    kind: str,
    recipients: Iterable[Any],
    *,
    entry: Any | None = None,
    machine: Any | None = None,
    context: Mapping[str, Any] | None = None,
    actor: Any | None = None,
    link: str | None = None,
) -> list[Notification]:
    """Notify ``recipients`` (users or ids) of ``kind``; call inside the change's transaction.

    ``context`` fills the catalogue's templates; the entry's and machine's names
    are added when given. ``link`` (a path on this site) overrides the type's page.
    """
    catalogue.get(kind)
    ids = {getattr(user, "pk", user) for user in recipients}
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).select_related("profile")
    base = {"entry": getattr(entry, "title", ""), "machine": getattr(machine, "name", "")}
    if entry is not None and not base["machine"]:
        base["machine"] = entry.machine_name
    actor_id = getattr(actor, "pk", None)
    actor_name = display_name(actor) if getattr(actor, "is_authenticated", False) else ""
    notices = [
        Notice(
            kind=kind,
            recipient=user,
            # Nobody is told "you did this" by name: the actor shows only to others.
            context={**base, "actor": actor_name if user.pk != actor_id else "", **(context or {})},
            entry_id=getattr(entry, "pk", None),
            machine_id=getattr(machine, "pk", None) or getattr(entry, "machine_id", None),
            actor_id=actor_id,
            link=link or "",
        )
        for user in users
    ]
    # Atomic on its own when called outside a transaction; no savepoint inside one.
    with transaction.atomic(savepoint=False):
        return write(notices)


def write(
    notices: Sequence[Notice],
    *,
    withdraw_entry_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> list[Notification]:
    """Write ``notices`` and mark stale the "act now" notices of ``withdraw_entry_ids``."""
    now = now or timezone.now()
    prepared = _prepare(notices, now) if notices else {}
    withdrawn = set(withdraw_entry_ids)
    existing, stale = _current_unread(prepared, withdrawn)
    fresh, kept = [], set()
    for key, notification in prepared.items():
        old = existing.get(key)
        if old and (old["title"], old["message"]) == (notification.title, notification.message):
            kept.add(old["pk"])
            continue
        if old:
            stale.add(old["pk"])
        fresh.append(notification)
    if stale - kept:
        Notification.objects.filter(pk__in=stale - kept).update(superseded_at=now)
    if not fresh:
        return []
    created = Notification.objects.bulk_create(fresh)
    _create_deliveries(created, now)
    return created


def _prepare(notices: Sequence[Notice], now: datetime) -> dict[tuple, Notification]:
    """Rendered notifications by (recipient, dedupe key); a later notice wins over an earlier."""
    chosen = _preferences({n.recipient.pk for n in notices}, {n.kind for n in notices})
    enabled = transports.enabled_channels()
    prepared: dict[tuple, Notification] = {}
    for index, notice in enumerate(notices):
        notice_type = catalogue.get(notice.kind)
        channels = _channels(notice_type, notice, chosen, enabled, now)
        if not channels:
            continue
        notification = _build(notice_type, notice, now)
        notification.channels = channels  # carried to _create_deliveries
        key = (notice.recipient.pk, notification.dedupe_key or f"#{index}")
        prepared.pop(key, None)
        prepared[key] = notification
    return prepared


def _channels(
    notice_type: NoticeType,
    notice: Notice,
    chosen: Mapping[tuple[int, str], set[str]],
    enabled: set[str],
    now: datetime,
) -> set[str]:
    wanted = notice_type.channels_for(chosen.get((notice.recipient.pk, notice.kind)))
    return {
        channel
        for channel in wanted & enabled
        if transports.get(channel).can_reach(notice.recipient, now)
    }


def _build(notice_type: NoticeType, notice: Notice, now: datetime) -> Notification:
    context = {"member": display_name(notice.recipient), **notice.context}
    title, message = notice_type.render(context)
    return Notification(
        recipient=notice.recipient,
        kind=notice_type.name,
        group=notice_type.group.value,
        title=title,
        message=message,
        link=link_for(notice_type, notice),
        entry_id=notice.entry_id,
        machine_id=notice.machine_id,
        actor_id=notice.actor_id,
        dedupe_key=notice_type.dedupe_key(
            entry_id=notice.entry_id, machine_id=notice.machine_id, context=notice.context
        ),
        created_at=now,
    )


def _preferences(user_ids: set[int], kinds: set[str]) -> dict[tuple[int, str], set[str]]:
    rows = NotificationPreference.objects.filter(user_id__in=user_ids, kind__in=kinds)
    return {(row.user_id, row.kind): row.channels() for row in rows}


def _current_unread(
    prepared: Mapping[tuple, Notification], withdrawn: set[int]
) -> tuple[dict[tuple, dict[str, Any]], set[int]]:
    """In one query: unread notices the new ones would repeat or replace, by
    (recipient, dedupe key), and the ids of "act now" notices about withdrawn entries."""
    keys = {n.dedupe_key for n in prepared.values() if n.dedupe_key}
    wanted = Q(pk__in=[])
    if keys:
        wanted |= Q(recipient_id__in={recipient for recipient, _ in prepared}, dedupe_key__in=keys)
    if withdrawn:
        wanted |= Q(entry_id__in=withdrawn, kind__in=STALE_ON_WITHDRAW)
    if not keys and not withdrawn:
        return {}, set()
    rows = Notification.objects.filter(
        wanted, read_at__isnull=True, superseded_at__isnull=True
    ).values("pk", "recipient_id", "dedupe_key", "title", "message", "entry_id", "kind")
    current, stale = {}, set()
    for row in rows:
        if row["dedupe_key"] in keys:
            current[(row["recipient_id"], row["dedupe_key"])] = row
        if row["entry_id"] in withdrawn and row["kind"] in STALE_ON_WITHDRAW:
            stale.add(row["pk"])
    return current, stale


def _create_deliveries(created: Sequence[Notification], now: datetime) -> None:
    rows = []
    for notification in created:
        for channel in sorted(notification.channels):
            instant = transports.get(channel).sent_on_write
            rows.append(
                Delivery(
                    notification=notification,
                    recipient_id=notification.recipient_id,
                    channel=channel,
                    state=DeliveryState.SENT if instant else DeliveryState.PENDING,
                    attempts=1 if instant else 0,
                    sent_at=now if instant else None,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(rows)
    delivery.after_commit(
        [row.pk for row in rows if row.state == DeliveryState.PENDING],
        {row.recipient_id for row in rows if row.channel == Channel.IN_APP},
    )


_LINKS = {
    Link.ENTRY: "schedule-my-queue",  # when no entry is named
    Link.MACHINE: "schedule-board",
    Link.MY_QUEUE: "schedule-my-queue",
    Link.BOARD: "schedule-board",
    Link.PROFILE: "accounts-profile",
    Link.NOTIFICATIONS: "schedule-notifications",
    Link.STAFF_DASHBOARD: "schedule-staff-dashboard",
    Link.STAFF_MEMBERS: "accounts-staff-members",
    Link.STAFF_DELIVERIES: "schedule-staff-deliveries",
}


def link_for(notice_type: NoticeType, notice: Notice) -> str:
    """The page a notice opens: the caller's link, else the type's page for its entry/machine."""
    if notice.link and is_same_site_path(notice.link):
        return notice.link
    if notice_type.link == Link.ENTRY and notice.entry_id:
        return path_to("schedule-entry", notice.entry_id)
    if notice_type.link == Link.MACHINE and notice.machine_id:
        return path_to("schedule-machine", notice.machine_id)
    return path_to(_LINKS.get(notice_type.link, "schedule-notifications"))


def path_to(name: str, *args: int) -> str:
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return "/schedule/"


def display_name(user: Any) -> str:
    return (user.get_full_name() or "").strip() or user.get_username()
