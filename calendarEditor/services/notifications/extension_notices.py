"""Who is told when a running entry is extended: the members queued behind it.

An extension pushes back the estimated start of every queued entry on the
machine. Each member with entries there gets ONE "estimated start moved"
notice listing them with their new starts; the member who extended their own
run is not told about their own later entries (they did it). Reads only the
facts the recorder already holds: no query per entry.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from calendarEditor.models import EntryStatus, QueueEntry
from calendarEditor.services.events import EventKind, QueueEvent
from calendarEditor.services.notifications.facts import Facts
from calendarEditor.services.notifications.outbox import Notice
from calendarEditor.templatetags.queue_tags import start_time, wait


def plan(events: Sequence[QueueEvent], facts: Facts) -> list[Notice]:
    notices: list[Notice] = []
    for event in events:
        if event.kind == EventKind.EXTENDED and event.machine_id in facts.machines:
            notices.extend(_behind(event, facts))
    return notices


def _behind(event: QueueEvent, facts: Facts) -> list[Notice]:
    by_member: dict[int, list[QueueEntry]] = defaultdict(list)
    for entry in facts.entries.values():
        if (
            entry.machine_id == event.machine_id
            and entry.status == EntryStatus.QUEUED
            and entry.member is not None
            and entry.member.is_active
            and entry.member_id != event.actor_id
        ):
            by_member[entry.member_id].append(entry)
    machine = facts.machines[event.machine_id]
    notices = []
    for entries in by_member.values():
        entries.sort(key=lambda entry: entry.position or 0)
        context = {"machine": machine.name, "moves": [_move(e, facts) for e in entries]}
        notices.append(
            Notice(
                "estimate_changed",
                entries[0].member,
                context,
                entries[0].pk if len(entries) == 1 else None,
                machine.pk,
                event.actor_id,
            )
        )
    return notices


def _move(entry: QueueEntry, facts: Facts) -> dict[str, Any]:
    move: dict[str, Any] = {"entry_id": entry.pk, "entry": entry.title, "position": entry.position}
    start = facts.starts.get(entry.pk)
    if start is not None:
        move.update(start=start_time(start), wait=wait(start))
    return move
