"""The caller's own entries: list, read, submit, cancel, check in and out, ask for a rush.

Like the pages, another member's entry answers 404 (its existence is not
revealed) and staff may read and act on any entry. Every change goes through
the queue engine, which checks ownership again under its lock.
"""

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status
from ninja.errors import ValidationError

from calendarEditor import selectors
from calendarEditor.api import schemas
from calendarEditor.api.auth import caller
from calendarEditor.api.pagination import PageParams, page_of
from calendarEditor.forms.submit import RushRequestForm, SubmitForm
from calendarEditor.models import ACTIVE_STATUSES, QueueEntry
from calendarEditor.services import queue
from calendarEditor.services.queue import QueueResult

router = Router(tags=["entries"])

State = Literal["active", "finished", "all"]
EntryId = Path(..., ge=1, le=schemas.MAX_ID)
# Form fields the API names differently; the rest keep the form's names.
_FIELD_NAMES = {"estimated_duration": "estimated_hours", "duration_unit": "estimated_hours"}
_ACTION_RESPONSES = schemas.with_auth_errors(
    {200: schemas.Entry, 404: schemas.Error, 409: schemas.Error}
)
_BODY_ACTION_RESPONSES = schemas.with_auth_errors(
    {200: schemas.Entry, 404: schemas.Error, 409: schemas.Error}, has_body=True
)


@router.get(
    "/entries",
    response=schemas.with_auth_errors({200: schemas.EntryPage}),
    summary="My entries",
)
def list_entries(
    request: HttpRequest, page: Query[PageParams], state: State = "active"
) -> dict[str, Any]:
    """Your entries, newest first: active (queued or running), finished, or all."""
    entries = _states(QueueEntry.objects.filter(member=caller(request)), state)
    items, count = page_of(entries.select_related("machine").order_by("-submitted_at", "-pk"), page)
    # The selector My queue uses: two queries for the queues of every machine on the page.
    starts, _ = selectors._queued_starts(items, timezone.now())
    return {
        "items": [entry_body(entry, starts.get(entry.pk)) for entry in items],
        "count": count,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get(
    "/entries/{entry_id}",
    response=schemas.with_auth_errors({200: schemas.Entry, 404: schemas.Error}),
    summary="One entry",
)
def entry_detail(request: HttpRequest, entry_id: int = EntryId) -> dict[str, Any]:
    """One of your entries with its estimated start (staff: any entry)."""
    view = selectors.entry_view(_entry_for(caller(request), entry_id))
    return entry_body(view.entry, view.estimated_start)


@router.post(
    "/entries",
    response=schemas.with_auth_errors(
        {
            201: schemas.Entry,
            409: schemas.Error,
            422: schemas.NoMatch | schemas.ValidationErrors,
        },
        has_body=True,
    ),
    summary="Submit a job",
)
def submit(request: HttpRequest, payload: schemas.SubmitIn) -> Status[dict[str, Any]]:
    """Queue a job on the compatible machine that frees soonest, as the submit page does.

    422 with ``reasons`` (every machine's) when none fits; nothing is saved then.
    """
    form = SubmitForm(_form_data(payload), options=selectors.requirement_options)
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    member = caller(request)
    result = queue.enqueue(form.entry_request(), member=member, by=member)
    return Status(201, entry_body(result.entry, result.estimated_start))


@router.post(
    "/entries/{entry_id}/cancel", response=_BODY_ACTION_RESPONSES, summary="Cancel an entry"
)
def cancel(
    request: HttpRequest, entry_id: int = EntryId, payload: schemas.CancelIn | None = None
) -> dict[str, Any]:
    """Withdraw a queued or running entry; the entries behind it move up."""
    _refuse_a_body_that_is_not_an_object(request)
    reason = payload.reason.strip() if payload else ""
    return _act(request, entry_id, lambda by: queue.cancel(entry_id, by=by, reason=reason))


@router.post("/entries/{entry_id}/check-in", response=_ACTION_RESPONSES, summary="Check in")
def check_in(request: HttpRequest, entry_id: int = EntryId) -> dict[str, Any]:
    """Start your ON DECK entry once the machine is free."""
    return _act(request, entry_id, lambda by: queue.start(entry_id, by=by))


@router.post("/entries/{entry_id}/check-out", response=_ACTION_RESPONSES, summary="Check out")
def check_out(request: HttpRequest, entry_id: int = EntryId) -> dict[str, Any]:
    """Finish your running entry and free the machine for the next member."""
    return _act(request, entry_id, lambda by: queue.complete(entry_id, by=by))


@router.post("/entries/{entry_id}/rush", response=_BODY_ACTION_RESPONSES, summary="Request a rush")
def request_rush(
    request: HttpRequest, payload: schemas.RushIn, entry_id: int = EntryId
) -> dict[str, Any]:
    """Ask a lab manager to put a queued entry first; they approve or reject it."""
    form = RushRequestForm({"justification": payload.justification})
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    justification = form.cleaned_data["justification"]
    return _act(
        request,
        entry_id,
        lambda by: queue.request_rush(entry_id, justification=justification, by=by),
    )


def _act(
    request: HttpRequest, entry_id: int, action: Callable[[AbstractBaseUser], QueueResult]
) -> dict[str, Any]:
    """Run one engine operation on an entry the caller may act on; 404 for any other."""
    user = caller(request)
    _entry_for(user, entry_id)
    try:
        result = action(user)
    except PermissionDenied:
        # Reassigned or deleted between the check and the lock: still not theirs to know about.
        raise Http404 from None
    view = selectors.entry_view(result.entry)
    return entry_body(view.entry, view.estimated_start)


def _entry_for(user: AbstractBaseUser, entry_id: int) -> QueueEntry:
    entries = QueueEntry.objects.select_related("machine")
    if not user.is_staff:
        entries = entries.filter(member=user)
    entry = entries.filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    return entry


def _states(entries: QuerySet[QueueEntry], state: State) -> QuerySet[QueueEntry]:
    if state == "active":
        return entries.filter(status__in=ACTIVE_STATUSES)
    if state == "finished":
        return entries.exclude(status__in=ACTIVE_STATUSES)
    return entries


def _form_data(payload: schemas.SubmitIn) -> dict[str, Any]:
    data = payload.model_dump()
    data["estimated_duration"] = data.pop("estimated_hours")
    data["duration_unit"] = "hours"
    return data


def _refuse_a_body_that_is_not_an_object(request: HttpRequest) -> None:
    """An optional body must be a JSON object or nothing.

    ninja drops a body of another type (a number, a list) when the parameter
    is optional, which would cancel an entry on a malformed request.
    """
    if not request.body.strip():
        return
    try:
        data = json.loads(request.body)
    except ValueError:
        data = request.body
    if data is not None and not isinstance(data, dict):
        loc = ["body", "payload"]
        raise ValidationError([{"loc": loc, "msg": "Expected a JSON object.", "type": "type"}])


def form_errors(form: forms.Form) -> list[dict[str, Any]]:
    """A Django form's errors in ninja's 422 shape, under the API's field names."""
    errors = []
    for name, messages in form.errors.get_json_data().items():
        loc = ["body", "payload"] + ([] if name == "__all__" else [_FIELD_NAMES.get(name, name)])
        errors.extend(
            {"loc": loc, "msg": m["message"], "type": m["code"] or "invalid"} for m in messages
        )
    return errors


def entry_body(entry: QueueEntry, estimated_start: datetime | None) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "title": entry.title,
        "description": entry.description,
        "status": entry.status,
        "machine_id": entry.machine_id,
        "machine_name": entry.machine_name,
        "position": entry.position,
        "on_deck": entry.is_on_deck,
        "estimated_hours": entry.estimated_hours,
        "estimated_start": estimated_start,
        "expected_end": selectors.expected_end(entry),
        "submitted_at": entry.submitted_at,
        "started_at": entry.started_at,
        "completed_at": entry.completed_at,
        "cancelled_at": entry.cancelled_at,
        "cancel_reason": entry.cancel_reason,
        "rush_status": entry.rush_status,
        "rush_justification": entry.rush_justification,
        "rush_review_note": entry.rush_review_note,
        "requirements": {
            "required_min_temp": entry.required_min_temp,
            "required_max_temp": entry.required_max_temp,
            "field_x": entry.required_field_x,
            "field_y": entry.required_field_y,
            "field_z": entry.required_field_z,
            "field_direction": entry.required_field_direction,
            "dc_lines": entry.required_dc_lines,
            "rf_lines": entry.required_rf_lines,
            "daughterboard": entry.required_daughterboard,
            "optical": entry.required_optical,
            "capabilities": list(entry.required_capabilities or ()),
        },
    }
