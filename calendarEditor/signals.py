"""Receivers that keep the queue whole when accounts disappear, plus subsystem wiring."""

from typing import Any

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from calendarEditor.models import ACTIVE_STATUSES, QueueEntry
from calendarEditor.services import (
    broadcast,  # noqa: F401  (registers live hints)
    event_log,  # noqa: F401  (logs queue events)
)
from calendarEditor.services.notifications import recorder  # noqa: F401  (events become notices)


@receiver(
    pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="cancel_entries_of_deleted_user"
)
def cancel_entries_of_deleted_user(sender: type, instance: Any, **kwargs: Any) -> None:
    """Cancel a deleted account's active entries so the queues behind them close up."""
    from calendarEditor.services import queue

    entry_ids = QueueEntry.objects.filter(member=instance, status__in=ACTIVE_STATUSES).values_list(
        "pk", flat=True
    )
    for entry_id in list(entry_ids):
        queue.cancel(entry_id, by=instance, reason="The member's account was deleted.")
