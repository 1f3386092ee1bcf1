"""Queue events become notifications, inside the queue change's own transaction.

One operation can emit several events about one entry (a staff move to #1
emits MOVED_BY_STAFF, ON_DECK and the shifts of the others); each member gets
ONE notice per entry, of the most urgent kind, saying what caused it ("Moved
by staff to #1 — you're ON DECK (machine running until ~14:00)"). Shifts of a
member's entries on one machine collapse into one "place in line" notice.
A member is not told what they did themselves (cancel, check in, check out),
only what the queue decided.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from calendarEditor.models import EntryStatus, QueueEntry
from calendarEditor.services.events import EventBatch, EventKind, QueueEvent, register
from calendarEditor.services.notifications import extension_notices, outbox
from calendarEditor.services.notifications.facts import Facts, load_facts
from calendarEditor.services.notifications.outbox import Notice
from calendarEditor.templatetags.queue_tags import start_time, wait

logger = logging.getLogger(__name__)

K = EventKind
MACHINE_KINDS = {
    K.MACHINE_STATUS_CHANGED: "machine_status_changed",
    K.QUEUE_OPENED: "queue_opened",
    K.QUEUE_CLOSED: "queue_closed",
    K.MACHINE_EDITED: "machine_edited",
}
# The entry's own notice, most urgent first; position changes are handled apart.
PRIMARY = [
    (K.CANCELLED, "entry_cancelled"),
    (K.STARTED, "entry_started"),
    (K.COMPLETED, "entry_completed"),
    (K.READY_TO_CHECK_IN, "ready_to_check_in"),
    (K.ON_DECK, "on_deck"),
    (K.RUSH_APPROVED, "rush_approved"),
    (K.RUSH_REJECTED, "rush_rejected"),
    (K.RUSH_REQUESTED, "rush_submitted"),
    (K.REASSIGNED, "entry_reassigned"),
    (K.MOVED_BY_STAFF, "moved_by_staff"),
    (K.EDITED_BY_STAFF, "edited_by_staff"),
    (K.ADDED, "entry_added"),
]
CAUSES = [
    (K.RUSH_APPROVED, "rush"),
    (K.MOVED_BY_STAFF, "staff_move"),
    (K.REASSIGNED, "reassigned"),
    (K.ADDED, "added"),
]
# What a member did themselves needs no notice.
SELF_SILENT = {
    "entry_cancelled",
    "entry_started",
    "entry_completed",
    "entry_reassigned",
    "moved_by_staff",
    "edited_by_staff",
}
# After these, an earlier "you're ON DECK / check in now" no longer holds.
WITHDRAWING = {K.LEFT_ON_DECK, K.STARTED, K.CANCELLED, K.COMPLETED, K.REASSIGNED}
TOP_KINDS = {"ready_to_check_in", "on_deck"}


def record_queue_events(events: Sequence[QueueEvent]) -> None:
    """The in-transaction recorder registered with calendarEditor.services.events.

    The notices are part of the change's transaction (an outbox): a database
    error here fails the whole change, since PostgreSQL would refuse to
    commit it anyway. Any other failure (a template, a bug) is logged and the
    change goes ahead without its notices.
    """
    try:
        now = timezone.now()
        events = EventBatch(
            [e for e in events if _newsworthy(e)], getattr(events, "preloaded", None)
        )
        notices, withdraw = plan(events, load_facts(events), now)
        outbox.write(notices, withdraw_entry_ids=withdraw, now=now)
    except DatabaseError:
        raise
    except Exception:
        logger.exception("notifications for %s not recorded", [e.kind.value for e in events])


def plan(
    events: Sequence[QueueEvent], facts: Facts, now: datetime
) -> tuple[list[Notice], set[int]]:
    """The notices a batch of events calls for, and the entries whose urgent notices lapse."""
    by_entry: dict[int, list[QueueEvent]] = defaultdict(list)
    for event in events:
        if event.entry_id is not None and event.kind not in MACHINE_KINDS:
            by_entry[event.entry_id].append(event)
    notices: list[Notice] = []
    withdraw: set[int] = set()
    moves: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    told: set[tuple[int, int | None]] = set()  # (member, machine) with an entry notice
    for entry_id, entry_events in by_entry.items():
        entry = facts.entries.get(entry_id)
        if entry is None or entry.member is None or not entry.member.is_active:
            continue
        kinds = {event.kind for event in entry_events}
        if kinds & WITHDRAWING:
            withdraw.add(entry_id)
        kind = next((name for event_kind, name in PRIMARY if event_kind in kinds), None)
        if kind is None:
            if K.POSITION_CHANGED in kinds and entry.status == EntryStatus.QUEUED:
                moves[(entry.member_id, entry.machine_id)].append(
                    _move(entry, entry_events, facts, now)
                )
            continue
        if kind in TOP_KINDS:
            withdraw.add(entry_id)
        notices.extend(_entry_notices(kind, entry, entry_events, kinds, facts, now))
        told.add((entry.member_id, entry.machine_id))
    notices.extend(_position_notices(moves, facts))
    notices.extend(extension_notices.plan(events, facts))
    for event in events:
        if event.kind in MACHINE_KINDS:
            notices.extend(_machine_notices(event, facts, told))
            withdraw |= _unavailable_tops(event, facts)
    return notices, withdraw


def _entry_notices(
    kind: str,
    entry: QueueEntry,
    entry_events: list[QueueEvent],
    kinds: set[EventKind],
    facts: Facts,
    now: datetime,
) -> list[Notice]:
    actor_id = _first(entry_events, "actor_id")
    if kind in SELF_SILENT and actor_id == entry.member_id:
        return []
    context = _entry_context(entry, entry_events, facts, now)
    if kind in TOP_KINDS:
        context["cause"] = next((cause for k, cause in CAUSES if k in kinds), "")
    if actor_id is not None and actor_id != entry.member_id:
        context["actor"] = facts.name_of(actor_id)
    notices = [Notice(kind, entry.member, context, entry.pk, entry.machine_id, actor_id)]
    if kind == "rush_submitted":
        staff_context = {
            **context,
            "member": outbox.display_name(entry.member),
            "reason": entry.rush_justification,
        }
        for user in facts.staff:
            if user.pk != actor_id:
                notices.append(
                    Notice("staff_rush_to_review", user, staff_context, entry.pk, entry.machine_id)
                )
    return notices


def _entry_context(
    entry: QueueEntry, entry_events: list[QueueEvent], facts: Facts, now: datetime
) -> dict[str, Any]:
    machine = facts.machines.get(entry.machine_id)
    other = facts.machines.get(_first(entry_events, "other_machine_id"))
    context = {
        "entry": entry.title,
        "machine": machine.name if machine else entry.machine_name,
        "position": entry.position,
        "old_position": _first(entry_events, "old_position"),
        "reason": _first(entry_events, "reason") or "",
        "other_machine": other.name if other else "",
    }
    start = facts.starts.get(entry.pk)
    if start is not None:
        context.update(start=start_time(start), wait=wait(start))
    running = facts.running.get(entry.machine_id)
    if running is not None and running.started_at:
        end = running.started_at + timedelta(hours=running.estimated_hours)
        context["running_until"] = start_time(max(end, now))
    if machine is not None:
        if not machine.status_allows_start:
            context["status"] = machine.status
        if entry.on_deck_since:
            hold = entry.on_deck_since + timedelta(hours=machine.on_deck_hold_hours)
            context["hold_until"] = start_time(hold)
    if entry.started_at and entry.status == EntryStatus.RUNNING:
        end = entry.started_at + timedelta(hours=entry.estimated_hours)
        context["expected_end"] = start_time(end)
    return context


def _move(
    entry: QueueEntry, entry_events: list[QueueEvent], facts: Facts, now: datetime
) -> dict[str, Any]:
    move = {
        "entry_id": entry.pk,
        "entry": entry.title,
        "position": entry.position,
        "old_position": _first(entry_events, "old_position"),
    }
    start = facts.starts.get(entry.pk)
    if start is not None:
        move.update(start=start_time(start), wait=wait(start))
    return move


def _newsworthy(event: QueueEvent) -> bool:
    """A shuffle far back in a long queue is news to nobody: a cancel at #1 of a
    400-deep queue would otherwise write 399 notices inside the cancel's transaction.
    My queue shows every new place live anyway."""
    if event.kind != K.POSITION_CHANGED or event.new_position is None:
        return True
    return event.new_position <= getattr(settings, "QUEUE_POSITION_NOTICE_DEPTH", 5)


def _position_notices(
    moves: dict[tuple[int, int], list[dict[str, Any]]], facts: Facts
) -> list[Notice]:
    notices = []
    for (_member, machine_id), member_moves in moves.items():
        member_moves.sort(key=lambda move: move["position"] or 0)
        machine = facts.machines.get(machine_id)
        context = {"moves": member_moves, "machine": machine.name if machine else ""}
        single = member_moves[0]["entry_id"] if len(member_moves) == 1 else None
        link = outbox.path_to("schedule-entry", single) if single else ""
        member = facts.entries[member_moves[0]["entry_id"]].member
        notices.append(Notice("position_changed", member, context, single, machine_id, link=link))
    return notices


def _machine_notices(
    event: QueueEvent, facts: Facts, told: set[tuple[int, int | None]]
) -> list[Notice]:
    machine = facts.machines.get(event.machine_id)
    if machine is None:
        return []
    kind = MACHINE_KINDS[event.kind]
    members = facts.members_on(machine.pk)
    if event.kind == K.QUEUE_OPENED:
        members = {**facts.opted_in, **members}
    context = {
        "machine": machine.name,
        "status": machine.status,
        "reason": event.reason,
    }
    return [
        Notice(kind, member, context, None, machine.pk, event.actor_id)
        for member_id, member in members.items()
        if member_id != event.actor_id and (member_id, machine.pk) not in told
    ]


def _unavailable_tops(event: QueueEvent, facts: Facts) -> set[int]:
    """A machine going out of service makes its #1's "check in now" stale."""
    machine = facts.machines.get(event.machine_id)
    if event.kind != K.MACHINE_STATUS_CHANGED or machine is None or machine.status_allows_start:
        return set()
    return {e.pk for e in facts.entries.values() if e.machine_id == machine.pk and e.position == 1}


def _first(events: Sequence[QueueEvent], name: str) -> Any:
    return next((getattr(e, name) for e in events if getattr(e, name) not in (None, "")), None)


register(in_transaction=record_queue_events)
