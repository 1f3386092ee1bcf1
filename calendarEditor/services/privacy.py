"""Who may see whose queue entries in detail: the one place privacy rules live.

Pages, fragments, feeds and the API ask this module instead of reading an
entry's title or member name themselves. Settings:

- ``QUEUE_PRIVACY = "open"`` (default): signed-in members see each other's
  names and titles.
- ``QUEUE_PRIVACY = "private"``: a member sees their own entries in detail;
  other members' entries read as "another member" with a neutral title. The
  entry still counts, so queue lengths, positions, durations and estimated
  starts stay visible.

Staff always see everything; a viewer always sees their own entries; an
anonymous viewer (or ``None``) never sees anyone's details. When
``can_see_details`` is False, callers also leave out the member's id, the
description, the requirements and any rush justification.
"""

from typing import Protocol, TypedDict

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

OPEN = "open"
PRIVATE = "private"
MODES = (OPEN, PRIVATE)

HIDDEN_MEMBER = "another member"
HIDDEN_TITLE = "Reserved"


class _Viewer(Protocol):
    pk: object
    is_staff: bool
    is_authenticated: bool


class _Entry(Protocol):
    member_id: int | None
    title: str
    member_name: str


class EntryLabel(TypedDict):
    """How an entry reads for one viewer."""

    title: str
    member_name: str
    description: str
    visible: bool  # False: the details above were replaced
    mine: bool


def privacy_mode() -> str:
    """The configured mode; a typo fails loudly rather than opening the queue."""
    mode = str(getattr(settings, "QUEUE_PRIVACY", OPEN) or OPEN).strip().lower()
    if mode not in MODES:
        raise ImproperlyConfigured(f"QUEUE_PRIVACY must be one of {MODES}, not {mode!r}.")
    return mode


def is_private() -> bool:
    return privacy_mode() == PRIVATE


def is_own(viewer: _Viewer | None, entry: _Entry) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return entry.member_id is not None and entry.member_id == viewer.pk


def can_see_details(viewer: _Viewer | None, entry: _Entry) -> bool:
    """True when ``viewer`` may see who owns ``entry`` and what it is about."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.is_staff or is_own(viewer, entry):
        return True
    return not is_private()


def entry_label(viewer: _Viewer | None, entry: _Entry) -> EntryLabel:
    """The title, member name and description ``viewer`` may see for ``entry``."""
    mine = is_own(viewer, entry)
    if can_see_details(viewer, entry):
        return EntryLabel(
            title=entry.title,
            member_name=entry.member_name,
            description=str(getattr(entry, "description", "") or ""),
            visible=True,
            mine=mine,
        )
    return EntryLabel(
        title=HIDDEN_TITLE, member_name=HIDDEN_MEMBER, description="", visible=False, mine=mine
    )


def shown_title(viewer: _Viewer | None, entry: _Entry) -> str:
    return entry_label(viewer, entry)["title"]


def shown_member(viewer: _Viewer | None, entry: _Entry) -> str:
    return entry_label(viewer, entry)["member_name"]
