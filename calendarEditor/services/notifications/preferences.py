"""Each member's channels per notification type: the grid the preferences page shows.

No row means the type's defaults; saving writes one row per type shown. A
critical type's in-app switch is always on, whatever is posted. A channel
that is off on this site (Slack without a token) keeps its stored choices.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from calendarEditor.models import Channel, NotificationPreference
from calendarEditor.services.notifications import catalogue, transports
from calendarEditor.services.notifications.kinds import GROUP_LABELS, Group, NoticeType


@dataclass(frozen=True)
class Cell:
    channel: str
    checked: bool
    locked: bool  # shown but not changeable: critical in-app, or a channel this site lacks
    allowed: bool  # False: this type never goes out on this channel


@dataclass(frozen=True)
class Row:
    notice_type: NoticeType
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Section:
    group: Group
    label: str
    rows: tuple[Row, ...]


class PreferenceError(ValueError):
    pass


def field_name(kind: str, channel: str) -> str:
    return f"pref-{kind}-{channel}"


def grid(user: Any) -> list[Section]:
    """The preferences page's grid, grouped as in the catalogue (one query)."""
    chosen = _stored(user)
    enabled = transports.enabled_channels()
    sections: dict[Group, list[Row]] = {}
    for notice_type in catalogue.types_for(user):
        channels = notice_type.channels_for(chosen.get(notice_type.name))
        cells = tuple(
            Cell(
                channel=channel.value,
                checked=channel.value in channels,
                locked=channel.value not in enabled
                or (notice_type.critical and channel == Channel.IN_APP),
                allowed=channel.value in notice_type.allowed,
            )
            for channel in Channel
        )
        sections.setdefault(notice_type.group, []).append(Row(notice_type, cells))
    return [Section(group, GROUP_LABELS[group], tuple(rows)) for group, rows in sections.items()]


def parse(user: Any, posted: Mapping[str, Any]) -> dict[str, set[str]]:
    """The channels ticked per type; raises PreferenceError on a field the page never had."""
    types = {notice_type.name: notice_type for notice_type in catalogue.types_for(user)}
    known = {field_name(kind, channel.value) for kind in types for channel in Channel}
    unknown = sorted(name for name in posted if name.startswith("pref-") and name not in known)
    if unknown:
        raise PreferenceError(f"Unknown notification setting: {unknown[0]}")
    return {
        kind: {channel.value for channel in Channel if field_name(kind, channel.value) in posted}
        for kind in types
    }


def save(user: Any, ticked: Mapping[str, set[str]]) -> int:
    """Store the member's choices (one upsert); returns how many types were saved."""
    stored = _stored(user)
    enabled = transports.enabled_channels()
    rows = []
    for notice_type in catalogue.types_for(user):
        previous = notice_type.channels_for(stored.get(notice_type.name))
        wanted = set(ticked.get(notice_type.name, set())) & notice_type.allowed
        # A channel the site has switched off kept no checkbox; keep what was chosen.
        wanted |= {channel for channel in previous if channel not in enabled}
        wanted = notice_type.channels_for(wanted)
        rows.append(
            NotificationPreference(
                user=user,
                kind=notice_type.name,
                in_app=Channel.IN_APP in wanted,
                slack=Channel.SLACK in wanted,
                email=Channel.EMAIL in wanted,
            )
        )
    NotificationPreference.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["in_app", "slack", "email", "updated_at"],
    )
    return len(rows)


def _stored(user: Any) -> dict[str, set[str]]:
    return {row.kind: row.channels() for row in NotificationPreference.objects.filter(user=user)}
