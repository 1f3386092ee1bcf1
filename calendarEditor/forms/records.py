"""Forms for presets, measurement archives and equipment issues.

PresetForm is the submit form with a name and a visibility, so "save as
preset" can post the submit form as it is, and a preset loads back into it
field by field. Uploaded files are checked here by services.uploads; the
form keeps what passed (``checked_files`` / ``checked_photo``) for the service.
"""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from calendarEditor.forms.submit import SubmitForm
from calendarEditor.models import IssueSeverity, Machine, PresetVisibility, QueuePreset
from calendarEditor.services import archives, equipment_issues, presets, uploads

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not items and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class PresetForm(SubmitForm):
    """The submit form's fields, all optional but a name, plus the preset's own settings."""

    name = forms.CharField(max_length=100, help_text="How you will find it, e.g. “0.3 K Hall”.")
    visibility = forms.ChoiceField(
        choices=PresetVisibility.choices,
        initial=PresetVisibility.PRIVATE,
        widget=forms.RadioSelect,
        help_text="Public presets can be loaded and followed by every member.",
    )
    reason = forms.CharField(
        label="Why (told to the creator)",
        max_length=500,
        required=False,
        help_text="Only when you change someone else's preset.",
    )

    field_order = ["name", "visibility"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("title", "estimated_duration", "required_min_temp"):
            self.fields[name].required = False
        self.fields["title"].label = "Entry title"
        self.fields["title"].help_text = "Optional: the title the submit form starts with."

    def clean_estimated_duration(self) -> float | None:
        value = self.cleaned_data.get("estimated_duration")
        if value is not None and value <= 0:
            raise forms.ValidationError("The duration must be more than 0.")
        return value

    def preset_values(self) -> dict[str, Any]:
        """The cleaned data as QueuePreset fields; call after ``is_valid()``."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "visibility": data["visibility"],
            "title_template": data.get("title") or "",
            "description_template": data.get("description") or "",
            "estimated_hours": data.get("estimated_hours"),
            "required_min_temp": data.get("required_min_temp"),
            "required_max_temp": data.get("required_max_temp"),
            "required_field_x": data["field_x"],
            "required_field_y": data["field_y"],
            "required_field_z": data["field_z"],
            "required_field_direction": data["field_direction"],
            "required_dc_lines": data["dc_lines"],
            "required_rf_lines": data["rf_lines"],
            "required_daughterboard": data.get("daughterboard") or "",
            "required_optical": data.get("optical", False),
            "required_capabilities": list(data.get("capabilities") or ()),
        }


class PresetFilterForm(forms.Form):
    label_suffix = ""
    q = forms.CharField(label="Search", required=False, max_length=100)
    scope = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[
            ("all", "All I can see"),
            ("mine", "Mine"),
            ("public", "Public"),
            ("followed", "Followed"),
        ],
    )


class ReasonForm(forms.Form):
    label_suffix = ""

    reason = forms.CharField(label="Why (told to the creator)", max_length=500, required=False)


class ArchiveEditForm(forms.Form):
    label_suffix = ""

    title = forms.CharField(max_length=200)
    notes = forms.CharField(
        max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    measurement_start = forms.DateTimeField(label="Measurement started", widget=_DATETIME)
    measurement_end = forms.DateTimeField(label="Measurement ended", widget=_DATETIME)
    actual_hours = forms.FloatField(
        label="Actual duration (h)",
        required=False,
        min_value=0,
        help_text="Leave empty to use the time from start to end.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("measurement_start"), data.get("measurement_end")
        if start and end and end < start:
            self.add_error("measurement_end", "The measurement cannot end before it starts.")
        return data

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in archives.EDITABLE_FIELDS}


def _files_field(required: bool) -> MultipleFileField:
    accepted = ", ".join(uploads.accepted_extensions())
    return MultipleFileField(
        required=required,
        widget=MultipleFileInput(attrs={"accept": ",".join(uploads.accepted_extensions())}),
        help_text=f"Accepted: {accepted}. At most {uploads.human_size(uploads.max_file_bytes())} "
        f"per file and {uploads.human_size(uploads.max_total_bytes())} per archive.",
    )


class _FilesMixin:
    already_stored = 0

    def clean_files(self) -> list[Any]:
        files = self.cleaned_data["files"]  # type: ignore[attr-defined]
        try:
            self.checked_files = uploads.check_files(files, already_stored=self.already_stored)
        except uploads.UploadError as error:
            raise forms.ValidationError(error.message) from error
        return files


class ArchiveForm(_FilesMixin, ArchiveEditForm):
    preset = forms.ModelChoiceField(
        queryset=QueuePreset.objects.none(), required=False, label="Preset used (optional)"
    )
    files = _files_field(required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].queryset = presets.visible_presets(user)


class ArchiveFilesForm(_FilesMixin, forms.Form):
    label_suffix = ""

    files = _files_field(required=True)

    def __init__(self, *args: Any, already_stored: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.already_stored = already_stored


class ArchiveSearchForm(forms.Form):
    label_suffix = ""

    q = forms.CharField(label="Text", required=False, max_length=100)
    machine = forms.ModelChoiceField(
        queryset=Machine.objects.all(), required=False, empty_label="Any machine"
    )
    member = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Anyone"
    )
    date_from = forms.DateField(label="From", required=False, widget=_DATE)
    date_to = forms.DateField(label="To", required=False, widget=_DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user.is_staff:
            members = get_user_model().objects.filter(archived_measurements__isnull=False)
            self.fields["member"].queryset = members.distinct().order_by("username")
        else:
            del self.fields["member"]

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        member = data.get("member")
        machine = data.get("machine")
        return {
            "text": data.get("q") or "",
            "machine_id": machine.pk if machine else None,
            "member_id": member.pk if member else None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


class IssueReportForm(forms.Form):
    label_suffix = ""

    machine = forms.ModelChoiceField(queryset=Machine.objects.all(), empty_label="Choose…")
    severity = forms.ChoiceField(choices=IssueSeverity.choices, widget=forms.RadioSelect)
    description = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What happened, and what you saw. The first line is its summary.",
    )
    photo = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".png,.jpg,.jpeg"}),
        help_text=f"Optional PNG or JPEG, at most {uploads.human_size(uploads.max_file_bytes())}.",
    )

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        self.checked_photo = None
        if photo:
            try:
                self.checked_photo = uploads.check_file(photo, uploads.IMAGE_TYPES)
            except uploads.UploadError as error:
                raise forms.ValidationError(error.message) from error
        return photo


class IssueCommentForm(forms.Form):
    label_suffix = ""

    body = forms.CharField(
        label="Comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class IssueAcknowledgeForm(forms.Form):
    label_suffix = ""

    estimated_fix_at = forms.DateTimeField(
        label="Estimated fix", required=False, widget=_DATETIME, help_text="Optional."
    )

    def clean_estimated_fix_at(self) -> Any:
        value = self.cleaned_data.get("estimated_fix_at")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("The estimated fix must be in the future.")
        return value


class IssueResolveForm(forms.Form):
    label_suffix = ""

    note = forms.CharField(label="What was done", max_length=2000, required=False)


class IssueFilterForm(forms.Form):
    label_suffix = ""

    status = forms.ChoiceField(
        required=False,
        choices=[("open", "Open or acknowledged"), ("all", "All"), ("resolved", "Resolved")],
    )
    machine = forms.ModelChoiceField(
        queryset=Machine.objects.all(), required=False, empty_label="Any machine"
    )
    severity = forms.ChoiceField(required=False, choices=[("", "Any"), *IssueSeverity.choices])

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        machine = data.get("machine")
        status = data.get("status") or "open"
        if status not in equipment_issues.STATUS_FILTERS:
            status = "open"
        return {
            "status": status,
            "machine_id": machine.pk if machine else None,
            "severity": data.get("severity") or "",
        }
