"""Readings from the lab gateway (DESIGN §8): who may send them, and how they are stored.

The endpoint trusts nothing in a request: every reading is checked on its own,
the good ones in a batch are kept and each bad one comes back with its reasons.
Reading ids make a replayed batch harmless: a reading already stored counts as
a duplicate and is not stored again.
"""

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, DateTimeField, F, FloatField, Value, When
from django.utils import timezone

from calendarEditor.models import GatewayKey, Machine, TemperatureReading
from calendarEditor.services import queue
from calendarEditor.services.errors import QueueError
from calendarEditor.services.gateway_validation import (
    ValidReading,
    parse_payload,
    reading_problems,
    retention,
)

KEY_PREFIX_LENGTH = 8
# Longer than any key create_key makes; longer headers are rejected unhashed.
MAX_KEY_LENGTH = 128


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_rejected(self) -> bool:
        return bool(self.errors) and self.stored == 0 and self.duplicates == 0

    def as_json(self) -> dict[str, Any]:
        return {"stored": self.stored, "duplicates": self.duplicates, "errors": self.errors}


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def authenticate(raw_key: str | None) -> GatewayKey | None:
    """The active key matching ``raw_key``, or None (one query).

    The database is searched by the key's public prefix only; the secret part
    is compared with ``hmac.compare_digest``, so response times say nothing
    about how close a guess came.
    """
    if not raw_key or len(raw_key) > MAX_KEY_LENGTH or not raw_key.isascii():
        return None
    digest = hash_key(raw_key)
    found = None
    candidates = GatewayKey.objects.filter(
        key_prefix=raw_key[:KEY_PREFIX_LENGTH], revoked_at__isnull=True
    )
    for candidate in candidates:
        if hmac.compare_digest(candidate.key_hash, digest):
            found = candidate
    return found


def ingest(key: GatewayKey, payload: Any, now: datetime | None = None) -> IngestResult:
    """Store a request's valid readings, once each, and note the gateway's contact.

    Raises PayloadError for a body of the wrong shape (nothing stored). The
    machines' rows are locked in id order, like every queue change, so the
    latest temperature moves only forwards and concurrent replays of the same
    readings are counted as duplicates exactly once.
    """
    now = now or timezone.now()
    raw_readings, unreachable = parse_payload(payload)
    names = {
        r["machine"]
        for r in raw_readings
        if isinstance(r, dict) and isinstance(r.get("machine"), str)
    }
    result = IngestResult()
    with transaction.atomic():
        machines = _lock_named(names)
        valid = _validate_all(raw_readings, machines, now, result)
        fresh = _store_new(key, valid, machines, now, result)
        _update_latest(fresh, machines)
        record_contact(key, now, unreachable)
    return result


def _lock_named(names: set[str]) -> dict[str, Machine]:
    """Lock the named machines that exist, in ascending id order."""
    for _attempt in range(3):
        ids = list(Machine.objects.filter(name__in=names).values_list("pk", flat=True))
        if not ids:
            return {}
        try:
            locked = queue.lock_machines(*ids)
        except QueueError:
            continue  # a machine was deleted between the two queries; look again
        return {machine.name: machine for machine in locked.values()}
    raise QueueError("The machines changed while storing readings; please try again.")


def _validate_all(
    raw_readings: Sequence[Any],
    machines: Mapping[str, Machine],
    now: datetime,
    result: IngestResult,
) -> list[ValidReading]:
    valid: dict[str, ValidReading] = {}
    for index, raw in enumerate(raw_readings):
        reading, reasons = reading_problems(raw, machines, now)
        if reading is None:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            result.errors.append(
                {
                    "index": index,
                    "id": raw_id[:64] if isinstance(raw_id, str) else None,
                    "reasons": reasons,
                }
            )
        elif reading.reading_id in valid:
            result.duplicates += 1  # the same reading twice in one batch
        else:
            valid[reading.reading_id] = reading
    return list(valid.values())


def _store_new(
    key: GatewayKey,
    valid: list[ValidReading],
    machines: Mapping[str, Machine],
    now: datetime,
    result: IngestResult,
) -> list[ValidReading]:
    if not valid:
        return []
    seen = set(
        TemperatureReading.objects.filter(reading_id__in=[r.reading_id for r in valid]).values_list(
            "reading_id", flat=True
        )
    )
    fresh = [r for r in valid if r.reading_id not in seen]
    # ignore_conflicts backs the check above: the unique reading_id is the real guard.
    TemperatureReading.objects.bulk_create(
        [
            TemperatureReading(
                machine=machines[r.machine_name],
                read_at=r.read_at,
                kelvin=r.kelvin,
                reading_id=r.reading_id,
                received_at=now,
                gateway=key,
            )
            for r in fresh
        ],
        ignore_conflicts=True,
    )
    result.stored += len(fresh)
    result.duplicates += len(valid) - len(fresh)
    return fresh


def _update_latest(fresh: list[ValidReading], machines: Mapping[str, Machine]) -> None:
    """Move each machine's latest temperature to its newest reading, never backwards."""
    newest: dict[str, ValidReading] = {}
    for reading in fresh:
        if (
            reading.machine_name not in newest
            or reading.read_at > newest[reading.machine_name].read_at
        ):
            newest[reading.machine_name] = reading
    changed = [
        (machines[name], reading)
        for name, reading in newest.items()
        if machines[name].temperature_updated_at is None
        or reading.read_at > machines[name].temperature_updated_at
    ]
    if not changed:
        return
    # One UPDATE for every machine; updated_at is left alone (a reading is not an edit).
    Machine.objects.filter(pk__in=[m.pk for m, _ in changed]).update(
        current_temperature=Case(
            *[When(pk=m.pk, then=Value(r.kelvin)) for m, r in changed],
            default=F("current_temperature"),
            output_field=FloatField(),
        ),
        temperature_updated_at=Case(
            *[When(pk=m.pk, then=Value(r.read_at)) for m, r in changed],
            default=F("temperature_updated_at"),
            output_field=DateTimeField(),
        ),
    )


def record_contact(key: GatewayKey, now: datetime, unreachable: list[str] | None = None) -> None:
    """Note that the gateway was heard from (and what it could not read), in one UPDATE."""
    values: dict[str, Any] = {"last_used_at": now}
    if unreachable is not None:
        values["last_unreachable"] = unreachable
    GatewayKey.objects.filter(pk=key.pk).update(**values)
    for name, value in values.items():
        setattr(key, name, value)


def prune_readings(now: datetime | None = None) -> int:
    """Delete readings older than TEMPERATURE_RETENTION_DAYS; returns how many went.

    For the due-work runner: safe to run twice or at once (a second DELETE
    finds nothing left). The endpoint refuses readings older than the same
    limit, so nothing is stored only to be pruned.
    """
    now = now or timezone.now()
    deleted, _ = TemperatureReading.objects.filter(read_at__lt=now - retention()).delete()
    return deleted
