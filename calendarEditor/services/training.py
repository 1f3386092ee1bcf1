"""Training: lab managers record who may run which machine; members ask to be trained.

A machine with ``requires_training`` takes entries only from members holding
a Qualification for it (matching's "training required"). Every change is
audited; the member or the lab managers are told through the catalogue.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from calendarEditor.models import Machine
from calendarEditor.models.training import Qualification, TrainingRequest, TrainingRequestStatus
from calendarEditor.services import audit
from calendarEditor.services.errors import QueueError
from calendarEditor.services.notifications import notify
from calendarEditor.services.notifications.outbox import display_name, path_to
from calendarEditor.services.queue._guards import require_approved, require_staff


def record_qualification(
    member: AbstractBaseUser,
    machine: Machine,
    *,
    by: AbstractBaseUser,
    trained_at: date | None = None,
    notes: str = "",
) -> Qualification:
    """Record (or update) that ``member`` is trained on ``machine``; closes their open request."""
    require_staff(by)
    require_approved(member)
    trained_at = trained_at or timezone.localdate()
    if trained_at > timezone.localdate():
        raise QueueError("The training date cannot be in the future.")
    with transaction.atomic():
        qualification, created = Qualification.objects.update_or_create(
            member=member,
            machine=machine,
            defaults={"trained_by": by, "trained_at": trained_at, "notes": notes.strip()[:2000]},
        )
        _close_requests(member, machine, TrainingRequestStatus.DONE, by)
        audit.record(
            "training.recorded",
            actor=by,
            machine=machine,
            subject_user=member,
            summary=f"{member.get_username()} trained on {machine.name}",
            reason=qualification.notes,
            details={"trained_at": trained_at.isoformat(), "updated": not created},
        )
        if created:
            notify(
                "training_recorded",
                [member],
                machine=machine,
                context={"note": qualification.notes},
                actor=by,
            )
        return qualification


def revoke_qualification(
    qualification: Qualification | int, *, by: AbstractBaseUser, reason: str
) -> None:
    """Remove a qualification; entries already queued stay (staff may cancel them)."""
    require_staff(by)
    reason = reason.strip()
    if not reason:
        raise QueueError("Say why the training is withdrawn.")
    with transaction.atomic():
        pk = getattr(qualification, "pk", qualification)
        found = Qualification.objects.select_related("member", "machine").filter(pk=pk).first()
        if found is None:
            raise QueueError("That training record no longer exists.")
        found.delete()
        audit.record(
            "training.revoked",
            actor=by,
            machine=found.machine,
            subject_user=found.member,
            summary=f"{found.member.get_username()} no longer trained on {found.machine.name}",
            reason=reason,
        )


def request_training(
    member: AbstractBaseUser, machine: Machine, *, message: str = ""
) -> TrainingRequest:
    """A member asks to be trained on a machine; every lab manager is told."""
    require_approved(member)
    if Qualification.objects.filter(member=member, machine=machine).exists():
        raise QueueError(f"You are already trained on {machine.name}.")
    try:
        with transaction.atomic():
            request = TrainingRequest.objects.create(
                member=member, machine=machine, message=message.strip()[:2000]
            )
            audit.record(
                "training.requested",
                actor=member,
                machine=machine,
                subject_user=member,
                summary=f"{member.get_username()} asked for training on {machine.name}",
                reason=request.message,
            )
            staff = get_user_model().objects.filter(is_staff=True, is_active=True)
            notify(
                "training_requested",
                staff.exclude(pk=member.pk),
                machine=machine,
                context={
                    "member": display_name(member),
                    "note": request.message,
                    "subject": f"training:{member.pk}:{machine.pk}",
                },
                actor=member,
                link=path_to("schedule-staff-training"),
            )
            return request
    except IntegrityError:
        message = f"Your request for training on {machine.name} is already waiting."
        raise QueueError(message) from None


def decline_request(
    request: TrainingRequest | int, *, by: AbstractBaseUser, reason: str
) -> TrainingRequest:
    require_staff(by)
    reason = reason.strip()
    if not reason:
        raise QueueError("Give the member a reason.")
    with transaction.atomic():
        pk = getattr(request, "pk", request)
        found = TrainingRequest.objects.select_related("member", "machine").filter(pk=pk).first()
        if found is None or found.status != TrainingRequestStatus.OPEN:
            raise QueueError("That training request is no longer open.")
        _close_requests(found.member, found.machine, TrainingRequestStatus.DECLINED, by, reason)
        audit.record(
            "training.declined",
            actor=by,
            machine=found.machine,
            subject_user=found.member,
            summary=f"Training of {found.member.get_username()} on {found.machine.name} declined",
            reason=reason,
        )
        notify(
            "training_declined",
            [found.member],
            machine=found.machine,
            context={"reason": reason},
            actor=by,
        )
        found.refresh_from_db()
        return found


def open_requests() -> QuerySet[TrainingRequest]:
    return (
        TrainingRequest.objects.filter(status=TrainingRequestStatus.OPEN)
        .select_related("member", "machine")
        .order_by("created_at")
    )


def qualifications() -> QuerySet[Qualification]:
    return Qualification.objects.select_related("member", "machine", "trained_by")


def standing_of(member: AbstractBaseUser) -> dict[int, str]:
    """For each machine id: "trained" or "requested" (two queries), for the member's page."""
    waiting = TrainingRequest.objects.filter(member=member, status=TrainingRequestStatus.OPEN)
    standing = dict.fromkeys(waiting.values_list("machine_id", flat=True), "requested")
    trained = Qualification.objects.filter(member=member).values_list("machine_id", flat=True)
    standing.update(dict.fromkeys(trained, "trained"))
    return standing


def _close_requests(
    member: AbstractBaseUser,
    machine: Machine,
    status: TrainingRequestStatus,
    by: AbstractBaseUser,
    response: str = "",
) -> None:
    TrainingRequest.objects.filter(
        member=member, machine=machine, status=TrainingRequestStatus.OPEN
    ).update(status=status, closed_at=timezone.now(), closed_by=by, response=response[:2000])
