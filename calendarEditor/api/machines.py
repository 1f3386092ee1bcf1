"""Machines and their queues; other members' entries read as services.privacy says."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Path, Router

from calendarEditor import selectors
from calendarEditor.api import schemas
from calendarEditor.api.auth import caller
from calendarEditor.models import Machine, QueueEntry
from calendarEditor.services import privacy, schedule
from calendarEditor.services.temperatures import temperature_state

router = Router(tags=["machines"])


@router.get(
    "/machines",
    response=schemas.with_auth_errors({200: list[schemas.Machine]}, has_input=False),
    summary="List machines",
)
def list_machines(request: HttpRequest) -> list[dict[str, object]]:
    """Every machine with its status, queue length, when it frees and its temperature."""
    viewer, now = caller(request), timezone.now()
    return [_machine(summary, viewer, now) for summary in schedule.summarize_machines(now=now)]


@router.get(
    "/machines/{machine_id}",
    response=schemas.with_auth_errors({200: schemas.MachineDetail, 404: schemas.Error}),
    summary="A machine and its queue",
)
def machine_detail(
    request: HttpRequest, machine_id: int = Path(..., ge=1, le=schemas.MAX_ID)
) -> dict[str, object]:
    """The machine, its running entry and its queue in order with estimated starts."""
    viewer, now = caller(request), timezone.now()
    found = schedule.summarize_machines([Machine(pk=machine_id)], now=now)
    if not found:
        raise Http404
    summary = found[0]
    view = selectors.machine_queue_view(summary.machine, now=now)
    return {
        **_machine(summary, viewer, now),
        "description": summary.machine.description,
        "spec": _spec(summary.machine),
        "queue": [_queued(placed, viewer) for placed in view.placed],
    }


def _machine(
    summary: schedule.MachineSummary, viewer: AbstractBaseUser, now: datetime
) -> dict[str, object]:
    machine = summary.machine
    state = temperature_state(machine, now)
    return {
        "id": machine.pk,
        "name": machine.name,
        "location": machine.location,
        "status": machine.status,
        "status_label": machine.get_status_display(),
        "accepts_entries": machine.accepts_entries,
        "is_available": machine.is_available,
        "queue_length": summary.queue_length,
        "queued_hours": summary.queued_hours,
        "free_at": summary.free_at,
        "next_entry_start": summary.back_of_queue_start,
        "temperature": {
            "kelvin": None if state.is_stale else state.kelvin,
            "read_at": state.read_at,
            "stale": state.is_stale,
        },
        "running": _running(summary.running, viewer) if summary.running else None,
    }


def _running(entry: QueueEntry, viewer: AbstractBaseUser) -> dict[str, object]:
    label = privacy.entry_label(viewer, entry)
    return {
        "entry_id": entry.pk if label["visible"] else None,
        "title": label["title"],
        "member_name": label["member_name"],
        "mine": label["mine"],
        "started_at": entry.started_at,
        "expected_end": selectors.expected_end(entry),
    }


def _queued(placed: schedule.PlacedEntry, viewer: AbstractBaseUser) -> dict[str, object]:
    entry = placed.entry
    label = privacy.entry_label(viewer, entry)
    return {
        "position": entry.position,
        "entry_id": entry.pk if label["visible"] else None,
        "title": label["title"],
        "member_name": label["member_name"],
        "mine": label["mine"],
        "visible": label["visible"],
        "estimated_hours": entry.estimated_hours,
        "estimated_start": placed.estimated_start,
        "rush_status": entry.rush_status,
    }


def _spec(machine: Machine) -> dict[str, object]:
    return {
        "min_temp": machine.min_temp,
        "max_temp": machine.max_temp,
        "max_field_x": machine.max_field_x,
        "max_field_y": machine.max_field_y,
        "max_field_z": machine.max_field_z,
        "field_direction": machine.field_direction,
        "dc_lines": machine.dc_lines,
        "rf_lines": machine.rf_lines,
        "daughterboards": list(machine.daughterboards or ()),
        "optical_access": machine.optical_access,
        "capabilities": list(machine.capabilities or ()),
        "cooldown_hours": machine.cooldown_hours,
        "warmup_hours": machine.warmup_hours,
    }
