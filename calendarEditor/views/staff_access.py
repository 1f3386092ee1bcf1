"""Who may use the lab manager pages, and where their actions send them back to."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Anonymous visitors go to the login page; logged-in members get a 403."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Only lab managers can use this page.")
        return view(request, *args, **kwargs)

    return login_required(checked)


def safe_next(request: HttpRequest) -> str | None:
    """The ``next`` page the form asked for, if it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def redirect_back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    return redirect(safe_next(request) or default)


def form_error_text(form: forms.Form) -> str:
    """All of a form's errors as one sentence-like line, for a flash message."""
    parts = []
    for name, errors in form.errors.items():
        label = f"{form[name].label}: " if name in form.fields else ""
        parts.append(label + " ".join(str(error) for error in errors))
    return " ".join(parts)


def flash_form_errors(request: HttpRequest, form: forms.Form) -> None:
    messages.error(request, form_error_text(form))
