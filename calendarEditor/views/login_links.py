"""One-time login links from Slack DMs (DESIGN §5).

A GET only shows a confirm page: Slack and mail scanners fetch links, and a
GET that logged in would spend the token for them. The POST spends the token
and logs its member in with a new session on the link's page. A used, expired
or unknown link leads to the normal login, with the same next page.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from calendarEditor.models import OneTimeLoginToken
from calendarEditor.services.notifications import tokens
from userRegistration import backends

LOGIN_BACKEND = backends.PATH


@never_cache
@require_http_methods(["GET", "POST"])
def login_link(request: HttpRequest, token: str) -> HttpResponse:
    found = tokens.find(token)
    if found is None or not found.is_usable() or not found.user.is_active:
        return _to_login(request, found)
    if request.method == "GET":
        if request.user.is_authenticated and request.user.pk == found.user_id:
            return redirect(_safe_target(found))  # already this member; the token stays unspent
        context = {"token": token, "member": found.user, "target": _target_name(found)}
        return render(request, "notifications/login_link.html", context)
    redeemed = tokens.redeem(token)
    if redeemed is None:
        return _to_login(request, found)
    if request.user.is_authenticated:
        logout(request)
    # login() gives the browser a new session key, so a planted session cannot ride along.
    login(request, redeemed.user, backend=LOGIN_BACKEND)
    return redirect(_safe_target(redeemed))


def _to_login(request: HttpRequest, found: OneTimeLoginToken | None) -> HttpResponseRedirect:
    messages.info(request, "That login link has expired or was already used. Please log in.")
    login_url = reverse("accounts-login")
    if found is not None and tokens.is_same_site_path(found.target_path):
        login_url += "?" + urlencode({"next": found.target_path})
    return redirect(login_url)


def _safe_target(found: OneTimeLoginToken) -> str:
    # Checked again here: a row written past create_token must not redirect off-site.
    if tokens.is_same_site_path(found.target_path):
        return found.target_path
    return reverse("schedule-my-queue")


def _target_name(found: OneTimeLoginToken) -> str:
    """The URL name of the page the link opens, so the page can say where it leads."""
    try:
        return resolve(found.target_path.split("?", 1)[0]).url_name or ""
    except Resolver404:
        return ""
