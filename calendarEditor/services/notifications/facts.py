"""What the recorder needs to know about a batch of queue events, in a few queries.

The entries, machines and people named by the events, read inside the change's
transaction (so positions are the new ones), plus each queue's estimated starts.
The number of queries does not grow with the length of a queue.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from calendarEditor.models import (
    ACTIVE_STATUSES,
    EntryStatus,
    Machine,
    NotificationPreference,
    QueueEntry,
)
from calendarEditor.services import schedule
from calendarEditor.services.events import EventKind, Preloaded, QueueEvent
from calendarEditor.services.notifications.outbox import display_name

_MACHINE_EVENTS = {
    EventKind.MACHINE_STATUS_CHANGED,
    EventKind.QUEUE_OPENED,
    EventKind.QUEUE_CLOSED,
    EventKind.MACHINE_EDITED,
}


@dataclass
class Facts:
    entries: dict[int, QueueEntry] = field(default_factory=dict)
    machines: dict[int, Machine] = field(default_factory=dict)
    running: dict[int, QueueEntry] = field(default_factory=dict)  # by machine id
    starts: dict[int, datetime] = field(default_factory=dict)  # estimated start by entry id
    people: dict[int, Any] = field(default_factory=dict)  # actors, by id
    staff: list[Any] = field(default_factory=list)
    opted_in: dict[int, Any] = field(default_factory=dict)  # members who asked for queue_opened

    def name_of(self, user_id: int | None) -> str:
        user = self.people.get(user_id) if user_id is not None else None
        return display_name(user) if user is not None else ""

    def members_on(self, machine_id: int) -> dict[int, Any]:
        """Active members with an active entry on the machine, by id."""
        return {
            entry.member_id: entry.member
            for entry in self.entries.values()
            if entry.machine_id == machine_id
            and entry.status in ACTIVE_STATUSES
            and entry.member is not None
            and entry.member.is_active
        }


def load_facts(events: Sequence[QueueEvent], now: datetime | None = None) -> Facts:
    facts = Facts()
    machine_ids = {
        pk for event in events for pk in (event.machine_id, event.other_machine_id) if pk
    }
    entry_ids = {event.entry_id for event in events if event.entry_id}
    preloaded = getattr(events, "preloaded", None)
    if preloaded is not None and _covers(preloaded, entry_ids, machine_ids):
        _take_preloaded(facts, preloaded, machine_ids)
    else:
        _load_entries(facts, entry_ids, machine_ids)
    missing = machine_ids - set(facts.machines)
    if missing:
        facts.machines.update(Machine.objects.in_bulk(missing))
    _attach_members(facts, events)
    _place_queues(facts, now or timezone.now())
    _load_people(facts, events)
    return facts


def _load_entries(facts: Facts, entry_ids: set[int], machine_ids: set[int]) -> None:
    wanted = Q(pk__in=entry_ids) | Q(machine_id__in=machine_ids, status__in=ACTIVE_STATUSES)
    rows = QueueEntry.objects.filter(wanted).select_related("machine", "member__profile")
    for entry in rows:
        facts.entries[entry.pk] = entry
        if entry.machine is not None:
            facts.machines[entry.machine_id] = entry.machine
        if entry.status == EntryStatus.RUNNING and entry.machine_id in machine_ids:
            facts.running[entry.machine_id] = entry


def _covers(preloaded: Preloaded, entry_ids: set[int], machine_ids: set[int]) -> bool:
    """The change already holds every entry and machine the events name."""
    return entry_ids <= set(preloaded.entries) and machine_ids <= set(preloaded.machines)


def _take_preloaded(facts: Facts, preloaded: Preloaded, machine_ids: set[int]) -> None:
    # The engine read these under its lock and changed them in place: they are current.
    facts.machines.update(preloaded.machines)
    for entry in preloaded.entries.values():
        facts.entries[entry.pk] = entry
        if entry.status == EntryStatus.RUNNING and entry.machine_id in machine_ids:
            facts.running[entry.machine_id] = entry


def _attach_members(facts: Facts, events: Sequence[QueueEvent]) -> None:
    """Load, in one query, the members (with profiles) of the entries notices may address.

    The engine reads a locked queue without its members: most of a long queue
    only shifts, and its members get a live update rather than a notice.
    """
    named = {event.entry_id for event in events if event.entry_id}
    machine_wide = {
        event.machine_id
        for event in events
        if event.kind in _MACHINE_EVENTS or event.kind == EventKind.EXTENDED
    }
    waiting = [
        entry
        for entry in facts.entries.values()
        if (entry.pk in named or (entry.machine_id in machine_wide and entry.is_active))
        and not QueueEntry.member.is_cached(entry)
    ]
    member_ids = {entry.member_id for entry in waiting if entry.member_id}
    if not member_ids:
        return
    members = get_user_model().objects.select_related("profile").in_bulk(member_ids)
    for entry in waiting:
        entry.member = members.get(entry.member_id)


def _place_queues(facts: Facts, now: datetime) -> None:
    queued: dict[int, list[QueueEntry]] = {}
    for entry in facts.entries.values():
        if entry.status == EntryStatus.QUEUED and entry.machine_id in facts.machines:
            queued.setdefault(entry.machine_id, []).append(entry)
    for machine_id, entries in queued.items():
        entries.sort(key=lambda entry: entry.position or 0)
        machine, running = facts.machines[machine_id], facts.running.get(machine_id)
        for placed in schedule.place_queue(machine, entries, running, now):
            facts.starts[placed.entry.pk] = placed.estimated_start


def _load_people(facts: Facts, events: Sequence[QueueEvent]) -> None:
    """Actors not loaded as members, staff for rush reviews, opt-ins for opened queues."""
    users = get_user_model().objects.select_related("profile")
    facts.people.update(
        {
            entry.member_id: entry.member
            for entry in facts.entries.values()
            if QueueEntry.member.is_cached(entry) and entry.member
        }
    )
    kinds = {event.kind for event in events}
    actor_ids = {event.actor_id for event in events if event.actor_id} - set(facts.people)
    rush = EventKind.RUSH_REQUESTED in kinds
    if actor_ids or rush:
        wanted = Q(pk__in=actor_ids) | (Q(is_staff=True, is_active=True) if rush else Q(pk__in=[]))
        for user in users.filter(wanted):
            facts.people.setdefault(user.pk, user)
            if rush and user.is_staff and user.is_active:
                facts.staff.append(user)
    if EventKind.QUEUE_OPENED in kinds:
        opted = NotificationPreference.objects.filter(
            Q(in_app=True) | Q(slack=True) | Q(email=True), kind="queue_opened"
        ).values("user_id")
        facts.opted_in = {user.pk: user for user in users.filter(is_active=True, pk__in=opted)}
