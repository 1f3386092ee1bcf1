"""A machine's temperature history as JSON, for the chart on its page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from calendarEditor.models import Machine
from calendarEditor.services import temperatures
from userRegistration.models import is_approved_member


@login_required
@never_cache
@require_safe
def machine_temperatures(request: HttpRequest, pk: int) -> JsonResponse:
    # The approval middleware turns most members away already; this keeps the
    # rule true wherever the URL is mounted.
    if not is_approved_member(request.user):
        return JsonResponse({"error": "Only approved members see temperatures."}, status=403)
    machine = get_object_or_404(Machine, pk=pk)
    return JsonResponse(temperatures.chart_series(machine))
