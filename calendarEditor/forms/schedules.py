"""Forms for queue timetables, hand overrides, skipping an expired hold and snoozing."""

from datetime import time
from typing import Any

from django import forms

from calendarEditor.models import QueueSchedule, Weekday

_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TimetableForm(forms.Form):
    """One opening period per weekday (both times, or neither for a closed day)."""

    snooze_max_hours = forms.FloatField(
        label="Longest check-out snooze (h)",
        required=False,
        min_value=0.25,
        max_value=24 * 14,
        help_text="How long members may put off check-out reminders at once. "
        "Empty: the site's default.",
    )

    def __init__(self, *args: Any, schedule: QueueSchedule | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = {row.weekday: row for row in schedule.hours.all()} if schedule else {}
        for day in Weekday:
            row = existing.get(day.value)
            self.fields[f"opens_{day.value}"] = forms.TimeField(
                label=f"{day.label} opens",
                required=False,
                widget=_TIME,
                initial=row.opens_at if row else None,
            )
            self.fields[f"closes_{day.value}"] = forms.TimeField(
                label=f"{day.label} closes",
                required=False,
                widget=_TIME,
                initial=row.closes_at if row else None,
            )
        if schedule is not None:
            self.fields["snooze_max_hours"].initial = schedule.check_out_snooze_max_hours

    def days(self) -> list[tuple[Weekday, forms.BoundField, forms.BoundField]]:
        return [(day, self[f"opens_{day.value}"], self[f"closes_{day.value}"]) for day in Weekday]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for day in Weekday:
            opens, closes = cleaned.get(f"opens_{day.value}"), cleaned.get(f"closes_{day.value}")
            if (opens is None) != (closes is None) and not self.has_error(f"opens_{day.value}"):
                self.add_error(
                    f"opens_{day.value}",
                    f"Give {day.label} both an opening and a closing time, or neither.",
                )
        return cleaned

    def hours(self) -> dict[int, tuple[time, time] | None]:
        data = self.cleaned_data
        result: dict[int, tuple[time, time] | None] = {}
        for day in Weekday:
            opens, closes = data.get(f"opens_{day.value}"), data.get(f"closes_{day.value}")
            result[day.value] = (
                (opens, closes) if opens is not None and closes is not None else None
            )
        return result


class ClosedWindowForm(forms.Form):
    starts = forms.DateTimeField(label="Closes at", widget=_DATETIME)
    ends = forms.DateTimeField(label="Opens again at", widget=_DATETIME)
    reason = forms.CharField(max_length=300, help_text="Members see it, e.g. planned maintenance.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The window must end after it starts.")
        return cleaned


class OverrideForm(forms.Form):
    state = forms.ChoiceField(choices=[("open", "Open"), ("closed", "Closed")])
    until = forms.DateTimeField(label="Until", widget=_DATETIME)
    reason = forms.CharField(max_length=500, required=False)


class SkipForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, strip=True)


class SnoozeForm(forms.Form):
    hours = forms.FloatField(min_value=0.25, label="Snooze for (h)")
