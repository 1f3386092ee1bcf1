"""Sending the outbox: a background worker after commit, and a retry runner for the rest.

Every send first claims its row with a conditional UPDATE, so two senders (the
worker, any number of runners) never send one delivery twice. A failed send is
retried with exponential backoff, or after Slack's Retry-After; a permanent
error stops retries and shows on the staff page. Rows left "sending" by a
crashed process are reclaimed after NOTIFICATION_ABANDONED_AFTER_SECONDS. A
member's messages on one channel go out in the order they were written.
"""

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from calendarEditor.models.notifications import (
    CLAIMABLE_STATES,
    UNFINISHED_STATES,
    Channel,
    Delivery,
    DeliveryState,
)
from calendarEditor.services.notifications import transports

logger = logging.getLogger(__name__)

SENT, FAILED, PERMANENT, DEFERRED, SKIPPED = "sent", "failed", "permanent", "deferred", "skipped"
MAX_BACKOFF = timedelta(hours=1)


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def max_attempts() -> int:
    return int(_setting("NOTIFICATION_MAX_ATTEMPTS", 10))


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Wait before the next try: Slack's Retry-After when given, else base * 2^(n-1)."""
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    base = _setting("NOTIFICATION_BACKOFF_BASE_SECONDS", 30)
    return min(MAX_BACKOFF, timedelta(seconds=base * 2 ** max(0, attempts - 1)))


@dataclass
class RunReport:
    sent: int = 0
    failed: int = 0
    permanent: int = 0
    deferred: int = 0
    reclaimed: int = 0

    def add(self, outcome: str) -> None:
        if outcome != SKIPPED:
            setattr(self, outcome, getattr(self, outcome) + 1)


def deliver_due(now: datetime | None = None, limit: int = 100) -> RunReport:
    """Send up to ``limit`` due deliveries, oldest first; safe to run in several processes."""
    now = now or timezone.now()
    report = RunReport(reclaimed=reclaim_abandoned(now))
    due = Delivery.objects.filter(state__in=CLAIMABLE_STATES, next_attempt_at__lte=now)
    for pk in list(due.order_by("pk").values_list("pk", flat=True)[:limit]):
        report.add(attempt(pk, now=now))
    return report


def reclaim_abandoned(now: datetime) -> int:
    """Give rows stuck in "sending" (their sender died) back to the runners."""
    cutoff = now - timedelta(seconds=_setting("NOTIFICATION_ABANDONED_AFTER_SECONDS", 300))
    return Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=cutoff).update(
        state=DeliveryState.FAILED,
        next_attempt_at=now,
        last_error="abandoned while sending (the sender stopped); retried",
    )


def attempt(pk: int, *, now: datetime) -> str:
    """Claim, send and record one delivery; returns what happened. Never raises."""
    if _blocked_by_earlier(pk):
        return DEFERRED
    claimed = Delivery.objects.filter(
        pk=pk, state__in=CLAIMABLE_STATES, next_attempt_at__lte=now
    ).update(state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return SKIPPED  # another sender has it, or it is not due
    row = Delivery.objects.select_related("notification", "recipient__profile").get(pk=pk)
    try:
        transports.get(row.channel).send(row, now)
    except transports.DeliveryError as error:
        return _record_failure(row, error.message, error.permanent, error.retry_after, now)
    except Exception as error:
        logger.exception("delivery %s failed unexpectedly", pk)
        return _record_failure(row, f"{error.__class__.__name__}: {error}", False, None, now)
    Delivery.objects.filter(pk=pk).update(
        state=DeliveryState.SENT, sent_at=timezone.now(), last_error=""
    )
    return SENT


def _blocked_by_earlier(pk: int) -> bool:
    """An older unfinished delivery to the same member on the same channel goes first."""
    row = Delivery.objects.filter(pk=pk).values("recipient_id", "channel").first()
    if row is None:
        return False
    return Delivery.objects.filter(
        recipient_id=row["recipient_id"],
        channel=row["channel"],
        pk__lt=pk,
        state__in=UNFINISHED_STATES,
    ).exists()


def _record_failure(
    row: Delivery, message: str, permanent: bool, retry_after: float | None, now: datetime
) -> str:
    # Rate limits are Slack's pace, not a fault of the message: they never use up attempts.
    exhausted = retry_after is None and row.attempts >= max_attempts()
    if permanent or exhausted:
        reason = message if permanent else f"gave up after {row.attempts} attempts: {message}"
        Delivery.objects.filter(pk=row.pk).update(
            state=DeliveryState.PERMANENT_FAILURE, last_error=reason[:2000]
        )
        _tell_staff(row, reason)
        return PERMANENT
    Delivery.objects.filter(pk=row.pk).update(
        state=DeliveryState.FAILED,
        last_error=message[:2000],
        next_attempt_at=now + backoff(row.attempts, retry_after),
    )
    return FAILED


def _tell_staff(row: Delivery, reason: str) -> None:
    from django.contrib.auth import get_user_model

    from calendarEditor.services.notifications import outbox

    context = {
        "channel": Channel(row.channel).label,
        "member": row.recipient.get_username(),
        "reason": reason,
    }
    try:
        with transaction.atomic():
            staff = get_user_model().objects.filter(is_staff=True, is_active=True)
            outbox.notify("staff_delivery_failed", staff, context=context)
    except Exception:
        logger.exception("could not tell staff that delivery %s failed", row.pk)


def retry_now(pk: int, *, now: datetime | None = None) -> bool:
    """Staff's "retry now": a failed row becomes due at once, with its attempts reset."""
    moment = now or timezone.now()
    retried = Delivery.objects.filter(
        pk=pk, state__in=(DeliveryState.FAILED, DeliveryState.PERMANENT_FAILURE)
    ).update(state=DeliveryState.PENDING, attempts=0, next_attempt_at=moment, last_error="")
    if retried:
        after_commit([pk], ())
    return retried == 1


# --- The background worker -------------------------------------------------------


class Worker:
    """One daemon thread fed by a queue: sends after commit, off the request thread."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="notification-delivery", daemon=True
                )
                self._thread.start()
        self._jobs.put(job)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until every submitted job ran (tests, shutdown); False on timeout."""
        done = threading.Event()
        threading.Thread(target=lambda: (self._jobs.join(), done.set()), daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except Exception:
                logger.exception("notification worker job failed; the retry runner will resend")
            finally:
                # Hand the thread's connection back (to the pool, on PostgreSQL).
                connections.close_all()
                self._jobs.task_done()


worker = Worker()


def after_commit(delivery_ids: Iterable[int], hint_user_ids: Iterable[int]) -> None:
    """Once the transaction commits, hint the users' open pages and send ``delivery_ids``.

    The hint goes from the committing thread, as every live hint does (the
    in-memory layer only wakes consumers from there); the sends go to the worker.
    """
    ids, users = list(delivery_ids), sorted(set(hint_user_ids))
    if users:
        transaction.on_commit(lambda: transports.send_hints(users), robust=True)
    if ids and getattr(settings, "NOTIFICATIONS_DELIVER_IN_BACKGROUND", True):
        transaction.on_commit(lambda: worker.submit(lambda: _send_batch(ids)), robust=True)


def _send_batch(ids: list[int]) -> None:
    for pk in ids:
        attempt(pk, now=timezone.now())
