"""The member's job submission, and the rush request on an entry."""

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS

from calendarEditor.models import FieldDirection
from calendarEditor.selectors import RequirementOptions
from calendarEditor.services import matching
from calendarEditor.services.submission import EntryRequest
from calendarEditor.templatetags.queue_tags import capability_label

MAX_FIELD_TESLA = 30.0
MAX_LINES = 1000
HOURS_PER_UNIT = {"hours": 1.0, "days": 24.0}

# The fields matching reads; the live preview needs only these to be valid.
REQUIREMENT_FIELDS = (
    "required_min_temp",
    "required_max_temp",
    "field_x",
    "field_y",
    "field_z",
    "field_direction",
    "dc_lines",
    "rf_lines",
    "daughterboard",
    "optical",
    "capabilities",
)


def _number(**attrs: Any) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", **attrs})


def _tesla(axis: str) -> forms.FloatField:
    return forms.FloatField(
        label=f"Field B_{axis} (T)",
        required=False,
        initial=0,
        min_value=0,
        max_value=MAX_FIELD_TESLA,
        widget=_number(min="0", max=str(int(MAX_FIELD_TESLA))),
        help_text=f"Largest field along {axis} in tesla; 0 if none.",
    )


def _lines(kind: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=f"{kind} lines (count)",
        required=False,
        initial=0,
        min_value=0,
        max_value=MAX_LINES,
        widget=forms.NumberInput(attrs={"min": "0", "max": str(MAX_LINES), "step": "1"}),
        help_text=f"Number of {kind} wiring lines the sample needs.",
    )


class SubmitForm(forms.Form):
    """A job and its requirements; builds the EntryRequest the queue engine takes.

    It has no machine field on purpose: matching picks the machine on the server.
    """

    title = forms.CharField(
        max_length=200, help_text="A short name for the run, e.g. “Hall bar B12, 0.3 K sweep”."
    )
    description = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Anything the lab manager should know (up to 5000 characters).",
    )
    estimated_duration = forms.FloatField(
        label="Estimated duration (h or days)",
        widget=_number(min="0"),
        help_text="How long the run lasts once started; cooldown and warmup are added for you.",
    )
    duration_unit = forms.ChoiceField(
        label="Unit", choices=[("hours", "hours"), ("days", "days")], initial="hours"
    )
    required_min_temp = forms.FloatField(
        label="Lowest temperature needed (K)",
        min_value=0,
        widget=_number(min="0"),
        help_text="The coldest the sample must get, in kelvin.",
    )
    required_max_temp = forms.FloatField(
        label="Highest temperature needed (K)",
        required=False,
        min_value=0,
        widget=_number(min="0"),
        help_text="For a temperature sweep, its top in kelvin; leave empty otherwise.",
    )
    field_x = _tesla("x")
    field_y = _tesla("y")
    field_z = _tesla("z")
    field_direction = forms.ChoiceField(
        label="Field direction",
        choices=FieldDirection.choices,
        initial=FieldDirection.NONE,
        help_text="Relative to the sample plane; “None” if no field is applied.",
    )
    dc_lines = _lines("DC")
    rf_lines = _lines("RF")
    daughterboard = forms.ChoiceField(
        required=False, help_text="The sample holder; “Any” if it does not matter."
    )
    optical = forms.BooleanField(
        label="Optical access needed", required=False, help_text="A window onto the sample."
    )
    capabilities = forms.MultipleChoiceField(
        label="Other capabilities needed",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only machines offering every ticked capability will be considered.",
    )

    def __init__(
        self,
        *args: Any,
        options: RequirementOptions | Callable[[], RequirementOptions],
        **kwargs: Any,
    ) -> None:
        """``options`` may be a function, called once and only if a choice is checked or shown."""
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        fleet = functools.cache(options if callable(options) else lambda: options)
        self.fields["daughterboard"].choices = lambda: [
            ("", "Any"),
            *((board, board) for board in fleet().daughterboards),
        ]
        self.fields["capabilities"].choices = lambda: [
            (name, capability_label(name)) for name in fleet().capabilities
        ]
        max_hours = settings.QUEUE_MAX_ESTIMATED_HOURS
        self.fields[
            "estimated_duration"
        ].help_text += f" At most {matching.format_number(max_hours)} h."

    @property
    def offers_capabilities(self) -> bool:
        return any(True for _ in self.fields["capabilities"].choices)

    def clean_estimated_duration(self) -> float:
        value = self.cleaned_data["estimated_duration"]
        if value <= 0:
            raise forms.ValidationError("The duration must be more than 0.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("field_x", "field_y", "field_z", "dc_lines", "rf_lines"):
            if name in data and data[name] is None:
                data[name] = 0
        self._check_temperatures(data)
        self._check_duration(data)
        return data

    def requirement_errors(self) -> dict[str, list[str]]:
        """Errors on the fields matching reads; the preview ignores the others."""
        return {
            name: errors
            for name, errors in self.errors.items()
            if name in REQUIREMENT_FIELDS or name == NON_FIELD_ERRORS
        }

    def drop_other_errors(self) -> None:
        """Keep only requirement errors: a compatibility check need not scold about the title."""
        for name in [name for name in self.errors if name not in self.requirement_errors()]:
            del self.errors[name]

    def requirements(self) -> matching.Requirements:
        """Call after validation, when ``requirement_errors()`` is empty."""
        data = self.cleaned_data
        return matching.Requirements(
            min_temp=data["required_min_temp"],
            max_temp=data["required_max_temp"],
            field_x=data["field_x"],
            field_y=data["field_y"],
            field_z=data["field_z"],
            field_direction=data["field_direction"],
            dc_lines=data["dc_lines"],
            rf_lines=data["rf_lines"],
            daughterboard=data["daughterboard"],
            optical=data["optical"],
            capabilities=frozenset(data["capabilities"]),
        )

    def entry_request(self) -> EntryRequest:
        """Call after ``is_valid()`` returned True."""
        data = self.cleaned_data
        return EntryRequest(
            title=data["title"].strip(),
            estimated_hours=data["estimated_hours"],
            requirements=self.requirements(),
            description=data["description"].strip(),
        )

    def _check_temperatures(self, data: dict[str, Any]) -> None:
        low, high = data.get("required_min_temp"), data.get("required_max_temp")
        if low is not None and high is not None and high < low:
            self.add_error(
                "required_max_temp",
                f"Must be at least the lowest temperature ({matching.format_number(low)} K).",
            )

    def _check_duration(self, data: dict[str, Any]) -> None:
        value, unit = data.get("estimated_duration"), data.get("duration_unit")
        if value is None or unit is None:
            return
        hours = value * HOURS_PER_UNIT[unit]
        limit = settings.QUEUE_MAX_ESTIMATED_HOURS
        if hours > limit:
            days = matching.format_number(round(limit / 24, 1))
            self.add_error(
                "estimated_duration",
                f"At most {matching.format_number(limit)} h ({days} days) per entry.",
            )
            return
        data["estimated_hours"] = hours


class RushRequestForm(forms.Form):
    label_suffix = ""

    justification = forms.CharField(
        label="Why is this run urgent?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A lab manager reads this and decides; up to 2000 characters.",
        error_messages={"required": "Say why this run cannot wait for its turn."},
    )
