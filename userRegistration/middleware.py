"""One gate for every member page: an account must be approved to use the queue."""

from collections.abc import Callable

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from userRegistration.models import ApprovalStatus

GUARDED_PREFIX = "/schedule/"
API_PREFIX = "/schedule/api/"
# The platform's probe and the lab gateway authenticate without a member account.
# The login-link page explains itself to a logged-in user who is not its owner.
EXEMPT_PREFIXES = ("/schedule/health/", "/schedule/api/gateway/", "/schedule/login-link/")


class ApprovalRequiredMiddleware:
    """Send logged-in members whose account is not approved to the pending page.

    The status is read from the database on every guarded request (the profile,
    one query, cached on request.user for the view), so suspending or rejecting
    a member who is logged in takes effect on their next request. Staff pass;
    anonymous visitors pass too, and the views' login_required handles them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_guarded(request.path_info) and not _may_pass(request):
            return _refusal(request)
        return self.get_response(request)


def _is_guarded(path: str) -> bool:
    return path.startswith(GUARDED_PREFIX) and not path.startswith(EXEMPT_PREFIXES)


def _may_pass(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated or user.is_staff:
        return True
    try:
        status = user.profile.approval_status
    except ObjectDoesNotExist:
        return False
    return status == ApprovalStatus.APPROVED


def _refusal(request: HttpRequest) -> HttpResponse:
    pending_url = reverse("accounts-pending")
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(
            {"error": "Your account is not approved to use the queue.", "pending_url": pending_url},
            status=403,
        )
    if request.headers.get("HX-Request") == "true":
        # A plain redirect would be followed by htmx and swapped into the page.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = pending_url
        return response
    return HttpResponseRedirect(pending_url)
