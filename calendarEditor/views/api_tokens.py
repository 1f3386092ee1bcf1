"""A member's personal API tokens: create one (shown once), see them, revoke one.

Only the owner sees or revokes a token; another member's token answers 404.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from calendarEditor.models import ApiToken
from calendarEditor.services import api_tokens
from userRegistration.models import is_approved_member


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=api_tokens.NAME_MAX_LENGTH,
        help_text="Where the token is used, e.g. “analysis notebook” or “lab laptop script”.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@login_required
@never_cache  # the page that shows a new token must never sit in a cache
@require_http_methods(["GET", "HEAD", "POST"])
def api_token_list(request: HttpRequest) -> HttpResponse:
    _require_member(request)
    if request.method != "POST":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        token, raw_token = api_tokens.create_token(request.user, form.cleaned_data["name"])
    except api_tokens.ApiTokenError as exc:
        form.add_error("name", exc.message)
        return _page(request, form, status=400)
    # Rendered, not redirected: the raw token exists only in this response.
    return _page(request, ApiTokenForm(), created=token, raw_token=raw_token)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        api_tokens.revoke_token(token, by=request.user)
    except api_tokens.ApiTokenError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Token {token.name} revoked: calls with it are refused now.")
    return redirect("schedule-api-tokens")


def _require_member(request: HttpRequest) -> None:
    if not is_approved_member(request.user):
        raise PermissionDenied("Only approved members can use the API.")


def _page(
    request: HttpRequest, form: ApiTokenForm, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "form": form,
        "tokens": api_tokens.tokens_for(request.user),
        "max_tokens": api_tokens.max_active_tokens(),
        **extra,
    }
    return render(request, "accounts/api_tokens.html", context, status=status)
