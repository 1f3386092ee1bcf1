"""Gateway keys for lab managers: who delivers temperatures, when each was last heard from."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from calendarEditor.models import GatewayKey
from calendarEditor.services import gateway_keys
from calendarEditor.views.staff_access import staff_required


class GatewayKeyForm(forms.Form):
    name = forms.CharField(
        max_length=gateway_keys.NAME_MAX_LENGTH,
        help_text="Which lab PC runs this gateway, e.g. “PPMS room PC”.",
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)


@staff_required
@never_cache  # the page that shows a new key must never sit in a cache
@require_http_methods(["GET", "HEAD", "POST"])
def gateways(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, GatewayKeyForm())
    form = GatewayKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        key, raw_key = gateway_keys.create_key(form.cleaned_data["name"], by=request.user)
    except gateway_keys.GatewayKeyError as exc:
        form.add_error("name", exc.message)
        return _page(request, form, status=400)
    # Rendered, not redirected: the raw key exists only in this response.
    return _page(request, GatewayKeyForm(), created=key, raw_key=raw_key)


@staff_required
@require_POST
def gateway_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(GatewayKey, pk=pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The reason is too long (at most 500 characters).")
        return redirect("schedule-staff-gateways")
    try:
        gateway_keys.revoke_key(key, by=request.user, reason=form.cleaned_data["reason"])
    except gateway_keys.GatewayKeyError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Key {key.name} revoked: requests with it are refused now.")
    return redirect("schedule-staff-gateways")


def _page(
    request: HttpRequest, form: GatewayKeyForm, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "form": form,
        "statuses": gateway_keys.gateway_statuses(),
        "silent_minutes": int(gateway_keys.silent_after().total_seconds() // 60),
        **extra,
    }
    return render(request, "staff/gateways.html", context, status=status)
