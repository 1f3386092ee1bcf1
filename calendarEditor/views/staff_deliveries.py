"""Lab managers' view of notifications that did not go out, with "retry now"."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from calendarEditor.models import Delivery, DeliveryState
from calendarEditor.services.notifications import delivery
from calendarEditor.views.staff_access import staff_required

PER_PAGE = 50
FAILED_STATES = (DeliveryState.FAILED, DeliveryState.PERMANENT_FAILURE)


@staff_required
@require_safe
def deliveries(request: HttpRequest) -> HttpResponse:
    failed = (
        Delivery.objects.filter(state__in=FAILED_STATES)
        .select_related("notification", "recipient")
        .order_by("-pk")
    )
    counts = dict(
        Delivery.objects.exclude(state=DeliveryState.SENT)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    context = {
        "page": Paginator(failed, PER_PAGE).get_page(request.GET.get("page")),
        "counts": [(s.label, counts.get(s.value, 0)) for s in DeliveryState if s != "sent"],
    }
    return render(request, "notifications/staff_deliveries.html", context)


@staff_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Delivery, pk=pk)
    if delivery.retry_now(row.pk):
        messages.success(request, f"Delivery {row.pk} will be sent again now.")
    else:
        label = DeliveryState(row.state).label.lower()
        messages.error(request, f"Delivery {row.pk} is {label}; only failed ones can be retried.")
    return redirect("schedule-staff-deliveries")
