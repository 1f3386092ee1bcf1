"""Forms for training, extensions and the calendar."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from calendarEditor.models import Machine
from calendarEditor.services.queue.extensions import MAX_EXTENSION_HOURS
from userRegistration.models import ApprovalStatus

_TEXT_MAX = 2000
CALENDAR_SPANS = (1, 3, 7, 14, 28)


def _text(label: str, *, required: bool, rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=_TEXT_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ExtensionForm(forms.Form):
    hours = forms.FloatField(
        label="Extra time (h)", min_value=0.25, max_value=MAX_EXTENSION_HOURS, initial=2
    )
    reason = _text("Why the run needs longer", required=True)


class ReasonForm(forms.Form):
    """A staff decision that the member is told about: the reason is required."""

    reason = _text("Reason (shown to the member)", required=True)


class NoteForm(forms.Form):
    note = _text("Note for the member (optional)", required=False)


class TrainingRequestForm(forms.Form):
    machine = forms.ModelChoiceField(
        queryset=Machine.objects.filter(requires_training=True).order_by("name"),
        empty_label="Choose a machine",
    )
    message = _text("Anything the trainer should know (optional)", required=False)


def _members() -> Any:
    return (
        get_user_model()
        .objects.filter(is_active=True, profile__approval_status=ApprovalStatus.APPROVED)
        .order_by("username")
    )


class QualificationForm(forms.Form):
    member = forms.ModelChoiceField(queryset=_members(), empty_label="Choose a member")
    machine = forms.ModelChoiceField(
        queryset=Machine.objects.order_by("name"), empty_label="Choose a machine"
    )
    trained_at = forms.DateField(
        label="Trained on",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    notes = _text("Notes (optional)", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Evaluated per form, so a member approved a minute ago is listed.
        self.fields["member"].queryset = _members()

    def clean_trained_at(self) -> date:
        trained_at = self.cleaned_data["trained_at"]
        if trained_at > timezone.localdate():
            raise forms.ValidationError("The training date cannot be in the future.")
        return trained_at


class CalendarRangeForm(forms.Form):
    """Which stretch of time the calendar page shows; bad values fall back to the defaults."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.TypedChoiceField(
        choices=[(n, f"{n} day{'s' if n > 1 else ''}") for n in CALENDAR_SPANS],
        coerce=int,
        required=False,
        empty_value=7,
    )

    def clean_start(self) -> date:
        start = self.cleaned_data.get("start") or timezone.localdate()
        today = timezone.localdate()
        # The past holds only finished runs, which the archive shows; a year ahead is plenty.
        if not today - timedelta(days=7) <= start <= today + timedelta(days=365):
            raise forms.ValidationError("Choose a date between a week ago and a year from now.")
        return start
