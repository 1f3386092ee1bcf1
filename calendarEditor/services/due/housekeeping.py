"""Housekeeping: retrying deliveries and pruning what is past its use.

Deliveries are claimed one by one by the delivery module (a conditional
UPDATE each); a DELETE is idempotent, so two runners pruning at once only
find less to delete.
"""

from datetime import timedelta
from functools import partial

from django.conf import settings

from calendarEditor.models import (
    Delivery,
    DeliveryState,
    Notification,
    OneTimeLoginToken,
    TemperatureReading,
)
from calendarEditor.models.notifications import CLAIMABLE_STATES
from calendarEditor.services.due import config
from calendarEditor.services.due.runner import Action, Context
from calendarEditor.services.gateway import prune_readings
from calendarEditor.services.gateway_validation import retention
from calendarEditor.services.notifications import delivery, tokens


def deliveries(ctx: Context) -> list[Action]:
    """Retry failed, never-tried and abandoned deliveries that are due."""
    due = Delivery.objects.filter(state__in=CLAIMABLE_STATES, next_attempt_at__lte=ctx.now).count()
    seconds = float(getattr(settings, "NOTIFICATION_ABANDONED_AFTER_SECONDS", 300))
    abandoned = Delivery.objects.filter(
        state=DeliveryState.SENDING, claimed_at__lt=ctx.now - timedelta(seconds=seconds)
    ).count()
    if not due and not abandoned:
        return []
    limit = config.whole("DUE_WORK_DELIVERY_LIMIT", minimum=1)
    text = f"send {min(due, limit)} due deliveries"
    if due > limit:
        text += f" (of {due}; the rest next run)"
    if abandoned:
        text += f", reclaim {abandoned} abandoned while sending"
    return [Action(text, partial(_deliver, ctx, limit))]


def pruning(ctx: Context) -> list[Action]:
    """Expired login links, readings past retention, old read notifications."""
    days = config.whole("NOTIFICATION_RETENTION_DAYS", minimum=1)
    old_read = Notification.objects.filter(
        read_at__isnull=False, created_at__lt=ctx.now - timedelta(days=days)
    )
    counts = [
        (
            OneTimeLoginToken.objects.filter(expires_at__lte=ctx.now).count(),
            "expired login links",
            partial(tokens.prune_expired, ctx.now),
        ),
        (
            TemperatureReading.objects.filter(read_at__lt=ctx.now - retention()).count(),
            "temperature readings past retention",
            partial(prune_readings, ctx.now),
        ),
        (
            old_read.count(),
            f"read notifications older than {days} days",
            partial(_delete_old_read, ctx, days),
        ),
    ]
    return [
        Action(f"delete {count} {what}", partial(_deleted_any, prune))
        for count, what, prune in counts
        if count
    ]


def _deliver(ctx: Context, limit: int) -> bool:
    report = delivery.deliver_due(ctx.now, limit)
    return bool(report.sent or report.failed or report.permanent or report.reclaimed)


def _delete_old_read(ctx: Context, days: int) -> int:
    deleted, _ = Notification.objects.filter(
        read_at__isnull=False, created_at__lt=ctx.now - timedelta(days=days)
    ).delete()
    return deleted


def _deleted_any(prune: partial) -> bool:
    return prune() > 0
