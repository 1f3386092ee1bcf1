"""Forms behind the lab manager pages: machines, queue actions, the audit filter."""

import re
from typing import Any

from django import forms

from calendarEditor.models import Machine
from calendarEditor.services.machines import EDITABLE_FIELDS, MANUAL_STATUSES
from calendarEditor.services.matching import format_number

_SLUG = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")
_NAME_MAX_LENGTH = 100  # matches QueueEntry.required_daughterboard
_REASON_MAX_LENGTH = 500  # matches QueueEntry.cancel_reason
# Fair use, training and extensions; a form page that does not show them (no
# RULES_SHOWN marker in the POST) keeps the machine's saved values.
RULE_FIELDS = ("max_active_entries_per_member", "requires_training", "auto_extension_hours")
RULES_SHOWN = "queue_rules_shown"


def unique_lines(text: str) -> list[str]:
    """One name per line: stripped, blanks dropped, case-insensitive duplicates dropped.

    The first spelling wins, so "QBoard II" and a later "qboard ii" keep "QBoard II".
    """
    seen: set[str] = set()
    names = []
    for line in text.splitlines():
        name = line.strip()
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _reason_field(*, required: bool, label: str = "Reason") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=_REASON_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MachineForm(forms.ModelForm):
    """Every editable detail of a machine; lists are edited as one name per line."""

    daughterboards = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "One daughterboard name per line, e.g. QBoard II. Blank lines and repeats are dropped."
        ),
    )
    capabilities = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "One short name per line in lowercase letters, digits, _ or -, "
            "e.g. temperature_dependent. "
            "Entries needing a capability only go to machines listing it."
        ),
    )

    class Meta:
        model = Machine
        fields = list(EDITABLE_FIELDS)
        labels = {
            "cooldown_hours": "Cooldown (h)",
            "warmup_hours": "Warmup (h)",
            "optical_access": "Optical access",
        }
        help_texts = {
            "name": "Shown to members; kept on finished entries if the machine is deleted.",
            "min_temp": "Lowest temperature the machine reaches, in kelvin.",
            "max_temp": "Highest temperature it holds, in kelvin.",
            "max_field_x": "Largest field along x, in tesla (0 = none).",
            "max_field_y": "Largest field along y, in tesla (0 = none).",
            "max_field_z": "Largest field along z, in tesla (0 = none).",
            "field_direction": "Field orientations relative to the sample that the magnet offers.",
            "dc_lines": "Number of DC wiring lines.",
            "rf_lines": "Number of RF (coaxial) lines.",
            "cooldown_hours": "Hours from warm to base temperature; counted between runs.",
            "warmup_hours": "Hours from base temperature to warm; counted between runs.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("daughterboards", "capabilities"):
                self.initial[name] = "\n".join(getattr(self.instance, name) or [])
        for name, field in self.fields.items():
            # 300 K reads better than Python's "300.0".
            if isinstance(field, forms.FloatField) and isinstance(self.initial.get(name), float):
                self.initial[name] = format_number(self.initial[name])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the machine a name.")
        # Members pick machines by name, so "hidalgo" next to "Hidalgo" would confuse them.
        clash = Machine.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if clash is not None and clash.name != name:
            raise forms.ValidationError(f"{clash.name} already exists; choose a distinct name.")
        return name

    def clean_daughterboards(self) -> list[str]:
        names = unique_lines(self.cleaned_data["daughterboards"])
        too_long = [n for n in names if len(n) > _NAME_MAX_LENGTH]
        if too_long:
            raise forms.ValidationError(
                f"Keep each name to {_NAME_MAX_LENGTH} characters or fewer: {too_long[0][:40]}…"
            )
        return names

    def clean_capabilities(self) -> list[str]:
        names = unique_lines(self.cleaned_data["capabilities"].lower())
        bad = [n for n in names if not _SLUG.match(n)]
        if bad:
            raise forms.ValidationError(
                "Use lowercase letters, digits, _ or - (no spaces) for: " + ", ".join(bad)
            )
        return names

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.is_bound and RULES_SHOWN not in self.data:
            for name in RULE_FIELDS:
                cleaned[name] = getattr(self.instance, name)
        low, high = cleaned.get("min_temp"), cleaned.get("max_temp")
        if low is not None and high is not None and low > high:
            self.add_error(
                "max_temp",
                f"The maximum ({format_number(high)} K) must not be below "
                f"the minimum ({format_number(low)} K).",
            )
        return cleaned

    def changed_fields(self) -> list[str]:
        """The fields whose cleaned value differs from the machine's saved one."""
        if not self.instance.pk:
            return list(EDITABLE_FIELDS)
        return [
            name
            for name in EDITABLE_FIELDS
            if name in self.cleaned_data and self.cleaned_data[name] != self._saved[name]
        ]

    def _post_clean(self) -> None:
        # Keep the values before construct_instance overwrites the instance.
        self._saved = {name: getattr(self.instance, name) for name in EDITABLE_FIELDS}
        super()._post_clean()

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


class MachineStatusForm(forms.Form):
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in MANUAL_STATUSES])
    reason = _reason_field(required=False)


class QueueOpenForm(forms.Form):
    open = forms.TypedChoiceField(
        label="Queue",
        choices=[("1", "Open"), ("0", "Closed")],
        coerce=lambda value: value == "1",
    )
    reason = _reason_field(required=False)


class MachineDeleteForm(forms.Form):
    reason = _reason_field(
        required=False, label="Reason (optional; members whose entries are cancelled see it)"
    )


class MoveForm(forms.Form):
    """Move up, move down, or to a given position."""

    direction = forms.ChoiceField(
        choices=[("up", "Up"), ("down", "Down"), ("to", "To position")], initial="to"
    )
    position = forms.IntegerField(min_value=1, required=False)
    reason = _reason_field(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        missing = cleaned.get("direction") == "to" and cleaned.get("position") is None
        if missing and "position" not in self.errors:
            self.add_error("position", "Enter the new position.")
        return cleaned


class ReassignForm(forms.Form):
    machine = forms.ModelChoiceField(
        queryset=Machine.objects.all(), label="Move to", empty_label=None
    )
    reason = _reason_field(required=False)


class CancelForm(forms.Form):
    reason = _reason_field(required=True)


class CompleteForm(forms.Form):
    note = _reason_field(required=False, label="Note")


class RushApproveForm(forms.Form):
    note = _reason_field(required=False, label="Note to the member")


class RushRejectForm(forms.Form):
    reason = _reason_field(required=True, label="Reason, shown to the member")


class AuditFilterForm(forms.Form):
    """Each filter stands alone: an invalid one is reported and the valid ones still apply."""

    action = forms.ChoiceField(required=False)
    machine = forms.CharField(required=False, max_length=100, label="Machine name")
    actor = forms.CharField(required=False, max_length=150, label="Actor username")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any action"), *((a, a) for a in actions)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned
