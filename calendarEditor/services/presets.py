"""Presets: saved requirements members load into the submit form.

Who may do what: a member sees public presets and their own private ones,
and edits or deletes their own; lab managers edit or delete any public preset
(never another member's private one). Every edit is kept as a PresetEdit row.
Followers of a public preset, and its creator when a lab manager changed it,
are told through the notification catalogue. A preset stores no machine, so
nothing chosen in it skips matching on the server.
"""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from calendarEditor.models import (
    NotificationPreference,
    PresetEdit,
    PresetFollow,
    PresetVisibility,
    QueuePreset,
)
from calendarEditor.services.notifications import notify
from calendarEditor.services.notifications.outbox import display_name
from userRegistration.models import is_approved_member

REQUIREMENT_FIELDS = (
    "required_min_temp",
    "required_max_temp",
    "required_field_x",
    "required_field_y",
    "required_field_z",
    "required_field_direction",
    "required_dc_lines",
    "required_rf_lines",
    "required_daughterboard",
    "required_optical",
    "required_capabilities",
)
EDITABLE_FIELDS = (
    "name",
    "visibility",
    "title_template",
    "description_template",
    "estimated_hours",
    *REQUIREMENT_FIELDS,
)
SCOPES = ("all", "mine", "public", "followed")


class PresetError(Exception):
    """A preset change that cannot happen; the message is for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def can_view(user: Any, preset: QueuePreset) -> bool:
    return preset.is_public or (preset.creator_id is not None and preset.creator_id == user.pk)


def can_edit(user: Any, preset: QueuePreset) -> bool:
    if preset.creator_id is not None and preset.creator_id == user.pk:
        return True
    return bool(user.is_staff) and preset.is_public


def visible_presets(user: Any, *, scope: str = "all", text: str = "") -> QuerySet[QueuePreset]:
    """The presets ``user`` may see, with ``is_followed`` and ``follower_count`` (one query)."""
    rows = QueuePreset.objects.filter(Q(visibility=PresetVisibility.PUBLIC) | Q(creator=user))
    if scope == "mine":
        rows = rows.filter(creator=user)
    elif scope == "public":
        rows = rows.filter(visibility=PresetVisibility.PUBLIC)
    elif scope == "followed":
        # A subquery, not a join: a join on follows would also narrow follower_count to 1.
        rows = rows.filter(pk__in=PresetFollow.objects.filter(user=user).values("preset_id"))
    if text.strip():
        words = text.strip()
        rows = rows.filter(
            Q(name__icontains=words)
            | Q(title_template__icontains=words)
            | Q(description_template__icontains=words)
            | Q(creator_name__icontains=words)
            | Q(required_daughterboard__icontains=words)
        )
    followed = PresetFollow.objects.filter(preset=OuterRef("pk"), user=user)
    return rows.annotate(
        is_followed=Exists(followed), follower_count=Count("follows", distinct=True)
    ).order_by("name", "pk")


def loadable_preset(user: Any, raw_id: object) -> QueuePreset | None:
    """The preset ``?preset=<id>`` names, if ``user`` may load it; None otherwise (one query)."""
    try:
        pk = int(str(raw_id))
    except ValueError:
        return None
    visible = Q(visibility=PresetVisibility.PUBLIC) | Q(creator=user)
    return QueuePreset.objects.filter(visible, pk=pk).first()


def picker(user: Any) -> list[QueuePreset]:
    """The presets to offer in the submit form: the member's own, then public ones (one query)."""
    rows = QueuePreset.objects.filter(Q(visibility=PresetVisibility.PUBLIC) | Q(creator=user))
    rows = rows.only("pk", "name", "visibility", "creator_id", "creator_name")
    return sorted(rows, key=lambda preset: (preset.creator_id != user.pk, preset.name.lower()))


def initial_for_submit(preset: QueuePreset) -> dict[str, Any]:
    """The submit form's initial values (SubmitForm field names) for ``preset``."""
    initial: dict[str, Any] = {
        "title": preset.title_template or None,
        "description": preset.description_template or None,
        "required_min_temp": preset.required_min_temp,
        "required_max_temp": preset.required_max_temp,
        "field_x": preset.required_field_x,
        "field_y": preset.required_field_y,
        "field_z": preset.required_field_z,
        "field_direction": preset.required_field_direction,
        "dc_lines": preset.required_dc_lines,
        "rf_lines": preset.required_rf_lines,
        "daughterboard": preset.required_daughterboard,
        "optical": preset.required_optical,
        "capabilities": list(preset.required_capabilities or ()),
    }
    hours = preset.estimated_hours
    if hours is not None:
        whole_days = hours >= 24 and float(hours / 24).is_integer()
        initial["estimated_duration"] = hours / 24 if whole_days else hours
        initial["duration_unit"] = "days" if whole_days else "hours"
    return {name: value for name, value in initial.items() if value is not None}


def initial_for_edit(preset: QueuePreset) -> dict[str, Any]:
    return {**initial_for_submit(preset), "name": preset.name, "visibility": preset.visibility}


def create_preset(values: Mapping[str, Any], *, by: Any) -> QueuePreset:
    if not is_approved_member(by):
        raise PermissionDenied("Only approved members can save presets.")
    clean = _clean(values)
    _check_name_free(by, clean["name"])
    try:
        with transaction.atomic():
            preset = QueuePreset.objects.create(**clean, creator=by, creator_name=display_name(by))
            if preset.is_public:
                _announce(preset, by)
    except IntegrityError as error:
        raise PresetError(f"You already have a preset called “{clean['name']}”.") from error
    return preset


def update_preset(
    preset: QueuePreset, values: Mapping[str, Any], *, by: Any, reason: str = ""
) -> dict[str, list[Any]]:
    """Apply ``values``; returns the changes ({field: [old, new]}), empty when nothing changed."""
    clean = _clean(values)
    with transaction.atomic():
        locked = QueuePreset.objects.select_for_update().get(pk=preset.pk)
        if not can_edit(by, locked):
            raise PermissionDenied("You cannot edit this preset.")
        changes = {
            name: [getattr(locked, name), value]
            for name, value in clean.items()
            if getattr(locked, name) != value
        }
        if not changes:
            return {}
        _check_change_allowed(locked, changes, by)
        was_public = locked.is_public
        for name, (_, value) in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*changes, "updated_at"])
        PresetEdit.objects.create(
            preset=locked, editor=by, editor_name=display_name(by), changes=changes
        )
        _tell_about_edit(locked, by, reason, newly_public=locked.is_public and not was_public)
    return changes


def delete_preset(preset: QueuePreset, *, by: Any, reason: str = "") -> None:
    with transaction.atomic():
        locked = QueuePreset.objects.select_for_update().get(pk=preset.pk)
        if not can_edit(by, locked):
            raise PermissionDenied("You cannot delete this preset.")
        context = {"preset": locked.name, "reason": reason.strip(), "subject": f"p{locked.pk}"}
        if locked.creator_id and locked.creator_id != by.pk:
            notify("preset_deleted", [locked.creator_id], context=context, actor=by)
        followers = _follower_ids(locked, exclude=by)
        if followers:
            notify("followed_preset_deleted", followers, context=context, actor=by)
        locked.delete()


def follow(preset: QueuePreset, *, by: Any) -> bool:
    """Follow a public preset; False when already following."""
    if not preset.is_public:
        raise PresetError("Only public presets can be followed.")
    if preset.creator_id == by.pk:
        raise PresetError("This is your own preset; there is nothing to follow.")
    _, created = PresetFollow.objects.get_or_create(preset=preset, user=by)
    return created


def unfollow(preset: QueuePreset, *, by: Any) -> bool:
    deleted, _ = PresetFollow.objects.filter(preset=preset, user=by).delete()
    return deleted > 0


def history(preset: QueuePreset) -> list[PresetEdit]:
    return list(preset.edits.all())


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not preset fields: {sorted(unknown)}")
    clean = {name: values[name] for name in EDITABLE_FIELDS if name in values}
    clean["name"] = str(clean.get("name", "")).strip()
    if not clean["name"]:
        raise PresetError("Give the preset a name.")
    if clean.get("visibility", PresetVisibility.PRIVATE) not in PresetVisibility.values:
        raise PresetError("Choose private or public.")
    hours = clean.get("estimated_hours")
    if hours is not None and hours <= 0:
        raise PresetError("The duration must be more than 0.")
    if "required_capabilities" in clean:
        clean["required_capabilities"] = sorted(set(clean["required_capabilities"] or ()))
    for name in ("title_template", "description_template", "required_daughterboard"):
        if name in clean:
            clean[name] = (clean[name] or "").strip()
    return clean


def _check_name_free(creator: Any, name: str, *, except_pk: int | None = None) -> None:
    taken = QueuePreset.objects.filter(creator=creator, name=name).exclude(pk=except_pk)
    if taken.exists():
        raise PresetError(f"You already have a preset called “{name}”.")


def _check_change_allowed(preset: QueuePreset, changes: Mapping[str, Any], by: Any) -> None:
    if "name" in changes and preset.creator_id is not None:
        _check_name_free(preset.creator, changes["name"][1], except_pk=preset.pk)
    if changes.get("visibility", [None, None])[1] == PresetVisibility.PRIVATE:
        if not (preset.creator_id == by.pk):
            raise PresetError("Only the preset's creator can make it private.")
        if _follower_ids(preset, exclude=by):
            raise PresetError(
                "Other members follow this preset, so it stays public. Delete it instead "
                "if it should go; they will be told."
            )


def _tell_about_edit(preset: QueuePreset, by: Any, reason: str, *, newly_public: bool) -> None:
    context = {"preset": preset.name, "reason": reason.strip(), "subject": f"p{preset.pk}"}
    link = preset.get_absolute_url()
    if preset.creator_id and preset.creator_id != by.pk:
        notify("preset_edited", [preset.creator_id], context=context, actor=by, link=link)
    followers = _follower_ids(preset, exclude=by)
    if followers:
        notify("followed_preset_edited", followers, context=context, actor=by, link=link)
    if newly_public:
        _announce(preset, by)


def _announce(preset: QueuePreset, by: Any) -> None:
    """Tell the members who switched "new public preset" on (it is off by default)."""
    opted = NotificationPreference.objects.filter(
        Q(in_app=True) | Q(slack=True) | Q(email=True), kind="preset_created"
    ).values("user_id")
    recipients = get_user_model().objects.filter(pk__in=opted, is_active=True).exclude(pk=by.pk)
    context = {"preset": preset.name, "member": preset.creator_name, "subject": f"p{preset.pk}"}
    notify("preset_created", recipients, context=context, actor=by, link=preset.get_absolute_url())


def _follower_ids(preset: QueuePreset, *, exclude: Any) -> list[int]:
    rows = PresetFollow.objects.filter(preset=preset).exclude(user_id=exclude.pk)
    return list(rows.values_list("user_id", flat=True))
