"""What the generated lab looks like: machines, entries, notices, readings, audit rows.

Pure row builders (plain dicts keyed by model attribute names) and the COPY
writer that stores them. Rows go in with explicit ids, so later rows can point
at earlier ones without reading them back; the id sequences are moved past
them afterwards. Everything is seeded, so two runs build the same lab.
"""

import enum
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb

YEARS_OF_HISTORY = 3
READING_DAYS = 90  # the default TEMPERATURE_RETENTION_DAYS: older readings are pruned
DURATIONS = (2, 4, 6, 8, 12, 24, 48)
SAMPLES = ("Hall bar", "Josephson array", "Graphene flake", "NbSe2 device", "Transmon chip")
SWEEPS = ("field sweep", "temperature sweep", "gate map", "noise run", "calibration")

# (min K, max K, (Bx, By, Bz) T, direction, DC, RF, daughterboards, optical, capabilities,
#  cooldown h, warmup h): a dilution fridge, a PPMS, a He-3 insert, an optical cryostat and
# a vector magnet, repeated over the fleet.
KINDS = (
    (0.01, 4.0, (0, 0, 12), "parallel", 24, 4, ["DIP", "QFN"], False, ["temperature_dependent"],
     24, 12),
    (1.8, 400.0, (0, 0, 9), "perpendicular", 12, 2, ["PPMS puck"], False,
     ["temperature_dependent", "rotator"], 2, 2),
    (0.3, 300.0, (0, 0, 14), "both", 16, 4, ["DIP"], False, ["temperature_dependent"], 6, 4),
    (3.5, 350.0, (0, 0, 0), "none", 8, 0, [], True, ["optical_pump"], 3, 3),
    (1.5, 300.0, (1, 1, 6), "both", 24, 8, ["QFN", "DIP"], False, [], 8, 6),
)  # fmt: skip


@dataclass(frozen=True)
class MachinePlan:
    id: int
    name: str
    status: str
    queued: int  # entries generated at positions 1..queued
    running: bool


def machine_row(index: int, plan: MachinePlan, now: datetime) -> dict[str, Any]:
    low, high, field, direction, dc, rf, boards, optical, caps, cool, warm = KINDS[
        index % len(KINDS)
    ]
    return {
        "id": plan.id,
        "name": plan.name,
        "location": f"Lab {1 + index // 10}, bay {1 + index % 10}",
        "description": "Generated for the benchmarks.",
        "min_temp": low,
        "max_temp": high,
        "max_field_x": float(field[0]),
        "max_field_y": float(field[1]),
        "max_field_z": float(field[2]),
        "field_direction": direction,
        "dc_lines": dc,
        "rf_lines": rf,
        "daughterboards": Jsonb(boards),
        "optical_access": optical,
        "capabilities": Jsonb(caps),
        "cooldown_hours": float(cool),
        "warmup_hours": float(warm),
        "status": plan.status,
        "status_changed_at": now - timedelta(hours=1 + index % 5),
        "current_temperature": low * 1.1,
        "temperature_updated_at": now - timedelta(minutes=1),
        "created_at": now - timedelta(days=365 * YEARS_OF_HISTORY),
        "updated_at": now,
    }


def status_for(index: int) -> str:
    """Six in ten running, one idle, one cooling down, one in two dozen in maintenance."""
    slot = index % 10
    if slot < 6:
        return "running"
    if slot == 8:
        return "cooldown"
    if index % 20 == 9:
        return "maintenance"
    return "idle"


def entry_row(
    entry_id: int,
    machine: MachinePlan,
    kind_index: int,
    member: tuple[int, str],
    rng: random.Random,
    **fields: Any,
) -> dict[str, Any]:
    """An entry whose requirements its machine meets; ``fields`` sets status and times."""
    low, _high, field, _direction, _dc, _rf, boards, optical, caps, *_ = KINDS[
        kind_index % len(KINDS)
    ]
    hours = float(rng.choice(DURATIONS))
    return {
        "id": entry_id,
        "member_id": member[0],
        "member_name": member[1],
        "title": f"{rng.choice(SAMPLES)} {entry_id}: {rng.choice(SWEEPS)}",
        "description": "",
        "estimated_hours": hours,
        "machine_id": machine.id,
        "machine_name": machine.name,
        "required_min_temp": max(low, round(low * rng.choice((1, 2, 5)), 3)),
        "required_field_z": float(min(field[2], rng.choice((0, 1, 5)))),
        "required_dc_lines": rng.choice((0, 4, 8)),
        "required_daughterboard": rng.choice(boards) if boards and rng.random() < 0.5 else "",
        "required_optical": optical and rng.random() < 0.8,
        "required_capabilities": Jsonb(caps[:1] if caps and rng.random() < 0.3 else []),
        "rush_status": "",
        **fields,
    }


def queued_fields(position: int, machine: MachinePlan, now: datetime) -> dict[str, Any]:
    """A waiting entry: older the nearer the front; #1 on a free machine holds it."""
    submitted = now - timedelta(hours=6 * (machine.queued - position + 1) + 1)
    free = position == 1 and machine.status == "idle"
    rush = "pending" if position % 47 == 5 else ""
    return {
        "status": "queued",
        "position": position,
        "submitted_at": submitted,
        "on_deck_since": now - timedelta(hours=2) if free else None,
        "rush_status": rush,
        "rush_justification": "Sample degrades within a week." if rush else "",
    }


def running_fields(now: datetime, rng: random.Random) -> dict[str, Any]:
    started = now - timedelta(hours=rng.uniform(1, 10))
    return {
        "status": "running",
        "position": None,
        "submitted_at": started - timedelta(days=3),
        "started_at": started,
        "estimated_hours": 24.0,
    }


def finished_fields(
    index: int, count: int, now: datetime, rng: random.Random, hours: float
) -> dict[str, Any]:
    """One of ``count`` past entries, spread evenly over the years of history."""
    span = timedelta(days=365 * YEARS_OF_HISTORY)
    ended = now - timedelta(hours=1) - span * (index / max(1, count))
    if index % 10 == 3:  # one in ten was cancelled while it waited
        return {
            "status": "cancelled",
            "position": None,
            "submitted_at": ended - timedelta(days=rng.uniform(0.5, 10)),
            "cancelled_at": ended,
            "cancel_reason": "",
        }
    started = ended - timedelta(hours=hours * rng.uniform(0.8, 1.2))
    return {
        "status": "completed",
        "position": None,
        "submitted_at": started - timedelta(days=rng.uniform(0.5, 14)),
        "started_at": started,
        "completed_at": ended,
    }


def notice_rows(
    first_id: int, entry: dict[str, Any], unread: bool
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The notices an entry's life left behind, each with its in-app delivery."""
    status = entry["status"]
    if status == "queued":
        kinds = [("entry_added", entry["submitted_at"])]
    elif status == "cancelled":
        kinds = [("entry_cancelled", entry["cancelled_at"])]
    elif status == "completed":
        kinds = [("entry_started", entry["started_at"]), ("entry_completed", entry["completed_at"])]
    else:
        kinds = [("entry_started", entry["started_at"])]
    for offset, (kind, at) in enumerate(kinds):
        notice = {
            "id": first_id + offset,
            "recipient_id": entry["member_id"],
            "kind": kind,
            "group": "queue",
            "title": f"{entry['title']} {kind.removeprefix('entry_')}",
            "message": f"“{entry['title']}” on {entry['machine_name']}.",
            "link": f"/schedule/entries/{entry['id']}/",
            "entry_id": entry["id"],
            "machine_id": entry["machine_id"],
            "created_at": at,
            "read_at": None if unread else at + timedelta(minutes=30),
        }
        delivery = {
            "id": first_id + offset,
            "notification_id": first_id + offset,
            "recipient_id": entry["member_id"],
            "channel": "in_app",
            "state": "sent",
            "attempts": 1,
            "next_attempt_at": at,
            "sent_at": at,
            "created_at": at,
        }
        yield notice, delivery


def audit_row(audit_id: int, entry: dict[str, Any]) -> dict[str, Any]:
    action = {"queued": "entry.added", "running": "entry.started"}.get(
        entry["status"], f"entry.{entry['status']}"
    )
    at = entry.get("completed_at") or entry.get("cancelled_at") or entry["submitted_at"]
    return {
        "id": audit_id,
        "created_at": at,
        "actor_id": entry["member_id"],
        "actor_name": entry["member_name"],
        "action": action,
        "machine_id": entry["machine_id"],
        "machine_name": entry["machine_name"],
        "entry_id": entry["id"],
        "summary": f"{entry['title']} {action.split('.')[1]} on {entry['machine_name']}",
        "details": Jsonb({}),
    }


def reading_rows(
    machines: list[MachinePlan], count: int, gateway_id: int, now: datetime
) -> Iterator[dict[str, Any]]:
    """``count`` readings, the same number per machine, evenly over the kept days."""
    per_machine = max(1, count // max(1, len(machines)))
    step = timedelta(days=READING_DAYS) / per_machine
    reading_id = 0
    for index, machine in enumerate(machines):
        base = KINDS[index % len(KINDS)][0] * 1.1
        for n in range(per_machine):
            reading_id += 1
            read_at = now - timedelta(days=READING_DAYS) + step * (n + 1)
            yield {
                "id": reading_id,
                "machine_id": machine.id,
                "read_at": read_at,
                "kelvin": round(base + (n % 17) * 0.001, 4),
                "reading_id": uuid.UUID(int=reading_id).hex,
                "received_at": read_at,
                "gateway_id": gateway_id,
            }


def copy_rows(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """Store ``rows`` with PostgreSQL's COPY; absent attributes take the field's default."""
    fields = list(model._meta.concrete_fields)
    defaults = {f.attname: _default(f) for f in fields}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    stored = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row.get(f.attname, defaults[f.attname]) for f in fields])
            stored += 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",
            [table],
        )
    return stored


def _default(field: models.Field) -> Any:
    value = field.get_default()
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, list | dict):
        return Jsonb(value)
    return value
