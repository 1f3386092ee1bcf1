"""Email through Django's backend (the console backend unless the site sets one).

The message is the catalogue's plain text plus a plain link to the page: mail
is forwarded and scanned, so it carries no login link.
"""

import smtplib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import NoReverseMatch, reverse

from calendarEditor.models import Channel
from calendarEditor.services.notifications.transports.base import DeliveryError


class EmailTransport:
    channel = Channel.EMAIL.value
    sent_on_write = False

    def is_enabled(self) -> bool:
        return True

    def can_reach(self, user: Any, now: datetime) -> bool:
        return bool(getattr(user, "email", ""))

    def send(self, delivery: Any, now: datetime) -> None:
        user = delivery.recipient
        if not user.email:
            raise DeliveryError(f"{user.get_username()} has no email address", permanent=True)
        notification = delivery.notification
        try:
            send_mail(
                subject=f"[{settings.LAB_NAME}] {notification.title}",
                message=body(notification),
                from_email=None,
                recipient_list=[user.email],
            )
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"mail server refused {user.email}", permanent=True) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"mail not sent: {error}") from error


def body(notification: Any) -> str:
    base = str(getattr(settings, "BASE_URL", "")).rstrip("/")
    lines = [notification.message, ""]
    if notification.link:
        lines += [base + notification.link, ""]
    try:
        preferences = base + reverse("schedule-notification-preferences")
        lines.append(f"Choose which notices reach you by email: {preferences}")
    except NoReverseMatch:
        pass
    return "\n".join(lines)
