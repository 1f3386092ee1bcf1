"""What a notification type is: its texts, who gets it, and how it goes out.

The list of every type is in catalogue.py; this module only describes one.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from django.template import Context, Template

from calendarEditor.models import Channel

IN_APP = frozenset({Channel.IN_APP.value})
IN_APP_SLACK = frozenset({Channel.IN_APP.value, Channel.SLACK.value})
IN_APP_EMAIL = frozenset({Channel.IN_APP.value, Channel.EMAIL.value})
NO_CHANNELS: frozenset[str] = frozenset()
ALL_CHANNELS = frozenset(channel.value for channel in Channel)


class Group(StrEnum):
    QUEUE = "queue"
    RUSH = "rush"
    MACHINE = "machine"
    PRESETS = "presets"
    ACCOUNT = "account"
    STAFF = "staff"


GROUP_LABELS = {
    Group.QUEUE: "Your queue entries",
    Group.RUSH: "Rush requests",
    Group.MACHINE: "Machines",
    Group.PRESETS: "Presets",
    Group.ACCOUNT: "Your account",
    Group.STAFF: "Lab managers",
}


class Link(StrEnum):
    """The page a notice opens; resolved per notice by outbox.link_for."""

    ENTRY = "entry"
    MACHINE = "machine"
    MY_QUEUE = "my_queue"
    BOARD = "board"
    PRESET = "preset"  # given by the caller; presets own their URLs
    PROFILE = "profile"
    NOTIFICATIONS = "notifications"
    STAFF_DASHBOARD = "staff_dashboard"
    STAFF_MEMBERS = "staff_members"
    STAFF_DELIVERIES = "staff_deliveries"


class Subject(StrEnum):
    """What the dedupe key names, so a newer notice replaces an unread older one."""

    ENTRY = "entry"
    MACHINE = "machine"
    CONTEXT = "context"  # context["subject"], e.g. the account a staff notice is about
    NONE = "none"  # one current notice of this scope per member


@dataclass(frozen=True)
class NoticeType:
    """One catalogue entry. Titles and messages are Django template strings, rendered
    as plain text (autoescape off): pages escape them, Slack and email show them as is."""

    name: str
    group: Group
    label: str
    title: str
    message: str
    recipients: str  # who receives it, in words (the preferences page shows it)
    critical: bool = False  # always shown in the app; its in-app switch is locked on
    channels: frozenset[str] = IN_APP  # defaults for a member with no preference row
    link: Link = Link.ENTRY
    subject: Subject = Subject.ENTRY
    scope: str = ""  # dedupe scope shared by related types; the name by default
    allowed: frozenset[str] = ALL_CHANNELS
    staff_only: bool = False

    def __post_init__(self) -> None:
        if not self.channels <= self.allowed:
            raise ValueError(f"{self.name}: default channels outside the allowed ones")

    @cached_property
    def _templates(self) -> tuple[Template, Template]:
        return Template(self.title), Template(self.message)

    def render(self, context: Mapping[str, Any]) -> tuple[str, str]:
        """The title and message for ``context``, as plain text."""
        title_template, message_template = self._templates
        title = title_template.render(Context(dict(context), autoescape=False))
        message = message_template.render(Context(dict(context), autoescape=False))
        return " ".join(title.split())[:200], _tidy(message)

    def dedupe_key(self, *, entry_id: int | None, machine_id: int | None, context: Mapping) -> str:
        scope = self.scope or self.name
        if self.subject == Subject.ENTRY and entry_id is not None:
            return f"{scope}:e{entry_id}"
        if self.subject == Subject.MACHINE and machine_id is not None:
            return f"{scope}:m{machine_id}"
        if self.subject == Subject.CONTEXT and context.get("subject"):
            return f"{scope}:{context['subject']}"[:120]
        if self.subject == Subject.NONE:
            return scope
        return ""

    def channels_for(self, chosen: frozenset[str] | set[str] | None) -> set[str]:
        """The channels to use, given a member's choice (None: the defaults)."""
        channels = set(self.channels if chosen is None else chosen) & self.allowed
        if self.critical:
            channels.add(Channel.IN_APP.value)
        return channels


def _tidy(text: str) -> str:
    # Template tags leave blank runs and stray spaces; messages read as short paragraphs.
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    return "\n".join(line for line in lines if line)
