"""Pages for visitors and members: registering, the pending page, the profile."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from userRegistration import backends, services
from userRegistration.forms import ProfileForm, RegistrationForm
from userRegistration.models import UserProfile, is_approved_member
from userRegistration.services import AccountError

# A new account is logged in directly; the axes backend only watches login attempts.
LOGIN_BACKEND = backends.PATH


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts-pending")
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            user = services.register(**_registration_values(form.cleaned_data))
        except AccountError as error:
            form.add_error(None, error.message)
        else:
            login(request, user, backend=LOGIN_BACKEND)
            messages.success(request, "Welcome! A lab manager will review your account soon.")
            return redirect("accounts-pending")
    return render(request, "registration/register.html", {"form": form})


@login_required
@require_safe
def pending(request: HttpRequest) -> HttpResponse:
    """Explain why the queue is closed to this account, or send approved members on."""
    if is_approved_member(request.user):
        return redirect("schedule-board")
    return render(request, "registration/pending.html", {"profile": _profile_of(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    request.user.profile = _profile_of(request.user)
    form = ProfileForm(request.POST if request.method == "POST" else None, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            changed = services.update_profile(request.user, form.cleaned_data, by=request.user)
        except AccountError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Your profile is saved." if changed else "Nothing changed.")
            return redirect("accounts-profile")
    context = {"form": form, "profile": request.user.profile}
    return render(request, "accounts/profile.html", context)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset flow; links in the email use BASE_URL, never the request's Host."""

    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        self.extra_email_context = {"base_url": settings.BASE_URL, "lab_name": settings.LAB_NAME}
        return super().form_valid(form)


def _profile_of(user: Any) -> UserProfile:
    # Accounts older than the profile table have none until they first need it.
    profile, _ = UserProfile.objects.get_or_create(user=user)
    return profile


def _registration_values(data: dict[str, Any]) -> dict[str, str]:
    return {
        "username": data["username"],
        "email": data["email"],
        "password": data["password1"],
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "department": data["department"],
    }
