"""A URLconf for the approval middleware's tests, free of the queue's own views.

The probe views stand in for member pages under /schedule/, so the tests show
what the middleware lets through without depending on other apps' views.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path


@login_required
def member_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("member page")


def api_probe(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def open_probe(request: HttpRequest) -> HttpResponse:
    return HttpResponse("open")


urlpatterns = [
    path("schedule/", member_page, name="schedule-board"),
    path("schedule/probe/", member_page),
    path("schedule/api/probe/", api_probe),
    path("schedule/api/gateway/readings/", open_probe),
    path("schedule/health/", open_probe),
    path("accounts/", include("userRegistration.urls")),
]
