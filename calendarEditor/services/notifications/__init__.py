"""Notifications (DESIGN §5): one catalogue, an outbox written in the change's
transaction, delivery after commit (in-app, Slack, email) and one-time login links.

Other services call ``notify(kind, recipients, entry=…, machine=…, context=…, actor=…)``
inside their transaction; queue events reach the outbox through ``recorder``.
"""

from calendarEditor.services.notifications.outbox import notify

__all__ = ["notify"]
