"""Builds a benchmark lab in an empty, migrated PostgreSQL database, and puts it back.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mid \\
        .venv/bin/python bench/dataset.py generate --queued 5000 --completed 50000 --plan plan.json
    DATABASE_URL=... .venv/bin/python bench/dataset.py reset

``generate`` writes M machines, U approved members (and two lab managers, all
with a logged-in session), Q queued entries at positions 1..n per machine, a
running entry on six machines in ten, H finished ones spread over three years,
their notices (with in-app deliveries) and audit events, 2·H temperature
readings over the last 90 days, and a gateway key. ``--plan`` gets what the
load generator needs: sessions, ids, the key. ``reset`` undoes whatever the
timed requests did (new rows deleted, queues back to their generated order),
so every write benchmark starts from the same lab.
"""

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import OperationalError, connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from bench import dataset_rows as rows  # noqa: E402
from calendarEditor.models import (  # noqa: E402
    AuditEvent,
    Delivery,
    Machine,
    Notification,
    QueueEntry,
    TemperatureReading,
)
from calendarEditor.services import gateway_keys  # noqa: E402
from userRegistration.models import ApprovalStatus, UserProfile  # noqa: E402

SEED = 20261123
MOVE_WINDOW = 20  # moves shuffle the front of a queue, where managers act
MARKED = {
    "entry": QueueEntry,
    "notification": Notification,
    "delivery": Delivery,
    "audit": AuditEvent,
    "reading": TemperatureReading,
}


def generate(args: argparse.Namespace) -> dict[str, Any]:
    if Machine.objects.exists():
        raise SystemExit("The database already holds machines; generate into an empty one.")
    now = timezone.now()
    members, staff = _people(args.members)
    plans = _machines(args.machines, args.queued)
    rows.copy_rows(Machine, (rows.machine_row(p.id - 1, p, now) for p in plans))
    counts = {"entries": rows.copy_rows(QueueEntry, _entries(plans, members, args, now))}
    counts["notifications"] = rows.copy_rows(
        Notification, (n for n, _ in _notices(plans, members, args, now))
    )
    rows.copy_rows(Delivery, (d for _, d in _notices(plans, members, args, now)))
    counts["audit events"] = rows.copy_rows(
        AuditEvent,
        (rows.audit_row(n, e) for n, e in enumerate(_entries(plans, members, args, now), 1)),
    )
    # After the audit rows' COPY, which sets their ids from 1: creating a key audits it.
    key, raw_key = gateway_keys.create_key("Bench gateway", by=staff[0])
    counts["readings"] = rows.copy_rows(
        TemperatureReading, rows.reading_rows(plans, 2 * args.completed, key.pk, now)
    )
    sessions = _sessions([*members, *staff])
    _mark()
    _vacuum()
    return _plan(plans, members, staff, sessions, raw_key, counts)


def _people(count: int) -> tuple[list[Any], list[Any]]:
    user_model = get_user_model()
    password = make_password("bench-not-a-real-password")
    people = [
        user_model(username=f"member{n:04d}", first_name="Member", last_name=f"{n:04d}",
                   email=f"member{n:04d}@lab.example", password=password)
        for n in range(1, count + 1)
    ] + [
        user_model(username=f"manager{n}", email=f"manager{n}@lab.example", password=password,
                   is_staff=True)
        for n in (1, 2)
    ]  # fmt: skip
    user_model.objects.bulk_create(people, batch_size=5000)
    people = list(user_model.objects.order_by("pk"))
    UserProfile.objects.bulk_create(
        UserProfile(user=person, approval_status=ApprovalStatus.APPROVED, department="Physics")
        for person in people
    )
    return [p for p in people if not p.is_staff], [p for p in people if p.is_staff]


def _machines(count: int, queued: int) -> list[rows.MachinePlan]:
    share, extra = divmod(queued, count)
    return [
        rows.MachinePlan(
            id=n + 1,
            name=f"Cryostat {n + 1:02d}",
            status=rows.status_for(n),
            queued=share + (1 if n < extra else 0),
            running=rows.status_for(n) == "running",
        )
        for n in range(count)
    ]


def _entries(
    plans: list[rows.MachinePlan], members: list[Any], args: argparse.Namespace, now: Any
) -> Iterator[dict[str, Any]]:
    """Every entry, oldest id first: history, then the running ones, then the queues."""
    rng = random.Random(SEED)
    people = [(m.pk, m.get_username()) for m in members]
    entry_id = 0
    for index in reversed(range(args.completed)):
        entry_id += 1
        machine = plans[rng.randrange(len(plans))]
        row = rows.entry_row(entry_id, machine, machine.id - 1, rng.choice(people), rng)
        row.update(rows.finished_fields(index, args.completed, now, rng, row["estimated_hours"]))
        yield row
    for machine in (p for p in plans if p.running):
        entry_id += 1
        member = people[machine.id % len(people)]
        yield rows.entry_row(
            entry_id, machine, machine.id - 1, member, rng, **rows.running_fields(now, rng)
        )
    turn = 0
    for machine in plans:
        for position in range(1, machine.queued + 1):
            entry_id += 1
            member, turn = people[turn % len(people)], turn + 1
            fields = rows.queued_fields(position, machine, now)
            yield rows.entry_row(entry_id, machine, machine.id - 1, member, rng, **fields)


def _notices(
    plans: list[rows.MachinePlan], members: list[Any], args: argparse.Namespace, now: Any
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    next_id = 1
    for entry in _entries(plans, members, args, now):
        unread = entry["status"] == "queued" and entry["position"] <= 2
        for notice, delivery in rows.notice_rows(next_id, entry, unread):
            next_id += 1
            yield notice, delivery


def _sessions(people: list[Any]) -> dict[int, str]:
    """A logged-in session per person, as django.contrib.auth.login would store it."""
    store, expires = SessionStore(), timezone.now() + timedelta(days=14)
    keys = {person.pk: get_random_string(32) for person in people}
    Session.objects.bulk_create(
        Session(
            session_key=keys[person.pk],
            session_data=store.encode(
                {
                    "_auth_user_id": str(person.pk),
                    "_auth_user_backend": "userRegistration.backends.ProfileModelBackend",
                    "_auth_user_hash": person.get_session_auth_hash(),
                }
            ),
            expire_date=expires,
        )
        for person in people
    )
    return keys


def _mark() -> None:
    """Remember the generated state: the last id of each growing table, every queued place."""
    table = connection.ops.quote_name(QueueEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_marks (name text PRIMARY KEY, last_id bigint)")
        for name, model in MARKED.items():
            quoted = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(
                f"INSERT INTO bench_marks SELECT %s, coalesce(max(id), 0) FROM {quoted}", [name]
            )
        cursor.execute(
            "CREATE TABLE bench_queue AS SELECT id, position, on_deck_since "
            f"FROM {table} WHERE status = 'queued'"
        )


def changes() -> dict[str, int]:
    """What the timed requests did since the last reset, to check they did their job."""
    entry = connection.ops.quote_name(QueueEntry._meta.db_table)
    audit = connection.ops.quote_name(AuditEvent._meta.db_table)
    reading = connection.ops.quote_name(TemperatureReading._meta.db_table)
    marks = "(SELECT last_id FROM bench_marks WHERE name = %s)"
    counts = {
        "submitted": (f"SELECT count(*) FROM {entry} WHERE id > {marks}", ["entry"]),
        "cancelled": (
            f"SELECT count(*) FROM {entry} e JOIN bench_queue q ON q.id = e.id "
            "WHERE e.status = 'cancelled'",
            [],
        ),
        "moved": (
            f"SELECT count(*) FROM {audit} WHERE id > {marks} AND action = 'entry.moved'",
            ["audit"],
        ),
        "readings": (f"SELECT count(*) FROM {reading} WHERE id > {marks}", ["reading"]),
    }
    found = {}
    with connection.cursor() as cursor:
        for name, (sql, params) in counts.items():
            cursor.execute(sql, params)
            found[name] = cursor.fetchone()[0]
    return found


def reset() -> None:
    """Delete what the timed requests added and put every generated entry back in its place."""
    for attempt in range(5):
        try:
            _reset()
            break
        except OperationalError:
            # A background delivery still finishing may deadlock with the big UPDATE.
            if attempt == 4:
                raise
            time.sleep(1)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(QueueEntry._meta.db_table)}")


def _reset() -> None:
    entry = connection.ops.quote_name(QueueEntry._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT name, last_id FROM bench_marks")
        marks = dict(cursor.fetchall())
        for name in ("delivery", "notification", "audit", "reading", "entry"):
            table = connection.ops.quote_name(MARKED[name]._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE id > %s", [marks[name]])
        notices = connection.ops.quote_name(Notification._meta.db_table)
        cursor.execute(f"UPDATE {notices} SET superseded_at = NULL WHERE superseded_at IS NOT NULL")
        cursor.execute(
            f"UPDATE {entry} e SET status = 'queued', position = q.position, "
            "on_deck_since = q.on_deck_since, cancelled_at = NULL, cancel_reason = '' "
            "FROM bench_queue q WHERE e.id = q.id AND "
            "(e.status <> 'queued' OR e.position IS DISTINCT FROM q.position "
            "OR e.on_deck_since IS DISTINCT FROM q.on_deck_since)"
        )


def _vacuum() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _plan(
    plans: list[rows.MachinePlan],
    members: list[Any],
    staff: list[Any],
    sessions: dict[int, str],
    raw_key: str,
    counts: dict[str, int],
) -> dict[str, Any]:
    queued = QueueEntry.objects.filter(status="queued").values_list(
        "pk", "machine_id", "position", "member_id"
    )
    by_machine: dict[int, list[tuple[int, int, int]]] = {}
    for pk, machine_id, position, member_id in queued:
        by_machine.setdefault(machine_id, []).append((position, pk, member_id))
    rng = random.Random(SEED)
    cancels, moves = [], []
    for machine_id in sorted(by_machine):
        queue = sorted(by_machine[machine_id])
        cancels.extend(
            (position, machine_id, pk, sessions[member]) for position, pk, member in queue
        )
        window = queue[:MOVE_WINDOW]
        for position, pk, _member in window[1:]:
            moves.append((pk, rng.choice([p for p, _, _ in window if p != position])))
    rng.shuffle(moves)
    return {
        "counts": counts,
        "members": [sessions[m.pk] for m in members],
        "staff": sessions[staff[0].pk],
        "machines": [{"id": p.id, "name": p.name} for p in plans],
        # Every machine's #1 first, then every #2 (then #1) and so on.
        "cancels": [[pk, session] for _position, _machine, pk, session in sorted(cancels)],
        "moves": moves,
        "gateway_key": raw_key,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate", help="fill an empty, migrated database")
    make.add_argument("--machines", type=int, default=50)
    make.add_argument("--members", type=int, default=500)
    make.add_argument("--queued", type=int, default=5000)
    make.add_argument("--completed", type=int, default=50000)
    make.add_argument("--plan", type=Path, help="write the load generator's plan here (JSON)")
    commands.add_parser("reset", help="print what the timed requests changed (JSON), undo it")
    args = parser.parse_args()
    if args.command == "reset":
        print(json.dumps(changes()))
        reset()
        return
    plan = generate(args)
    print(json.dumps(plan["counts"]))
    if args.plan:
        args.plan.write_text(json.dumps(plan))


if __name__ == "__main__":
    main()
