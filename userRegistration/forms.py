"""Forms for registering, editing a profile and the lab managers' account actions."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator

from userRegistration.models import ApprovalStatus, UserProfile
from userRegistration.services import email_in_use

DEPARTMENT_HELP = "Your group or department, so a lab manager can tell who you are."
EMAIL_HELP = "Password resets and notifications go here."
REASON_MAX_LENGTH = 1000

slack_id_validator = RegexValidator(
    r"^[UW][A-Z0-9]{5,20}$",
    "A Slack member ID looks like U012AB3CD: find it under your Slack profile's ⋮ menu.",
)


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        max_length=254,
        help_text=EMAIL_HELP,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class RegistrationForm(UserCreationForm):
    """A visitor asking for an account; the password passes Django's validators."""

    email = _email_field()
    department = forms.CharField(
        max_length=UserProfile._meta.get_field("department").max_length,
        help_text=DEPARTMENT_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "department",
        "password1",
        "password2",
    ]

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name", "last_name", "email")
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email_in_use(email):
            raise forms.ValidationError(
                "An account with this email already exists. Reset its password instead.",
                code="duplicate_email",
            )
        return email


class ProfileForm(forms.Form):
    """The details a member keeps up to date themselves."""

    first_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = _email_field()
    department = forms.CharField(max_length=120, required=False, help_text=DEPARTMENT_HELP)
    slack_member_id = forms.CharField(
        label=UserProfile._meta.get_field("slack_member_id").verbose_name,
        max_length=32,
        required=False,
        help_text=UserProfile._meta.get_field("slack_member_id").help_text,
    )

    def __init__(self, *args: Any, user: AbstractUser, **kwargs: Any) -> None:
        profile = user.profile
        kwargs.setdefault(
            "initial",
            {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "department": profile.department,
                "slack_member_id": profile.slack_member_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email_in_use(email, exclude_pk=self.user.pk):
            raise forms.ValidationError("Another account already uses this email.")
        return email

    def clean_slack_member_id(self) -> str:
        # Validated after upper-casing, so a pasted "u012ab3cd" is accepted.
        value = self.cleaned_data["slack_member_id"].strip().upper()
        if value:
            slack_id_validator(value)
        return value


class ReasonForm(forms.Form):
    """Why a lab manager rejects or suspends an account; the member reads it."""

    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": "Give a reason; the member will see it."},
    )


class MemberFilterForm(forms.Form):
    STAFF = "staff"

    status = forms.ChoiceField(
        required=False,
        choices=[("", "Everyone"), *ApprovalStatus.choices, (STAFF, "Lab managers")],
    )
    q = forms.CharField(label="Search", required=False, max_length=100)
