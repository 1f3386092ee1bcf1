"""How domain errors read over the API: always JSON, always ``{"detail": ...}``.

- QueueError (the change cannot happen now: already cancelled, not ON DECK, a
  limit reached) → 409 with the engine's message, which is written for people.
- NoCompatibleMachine → 422 with every machine's reasons.
- PermissionDenied → 403; Http404 → 404. Routers turn "another member's
  entry" into 404 before it gets here, so its existence does not leak.
- Request validation → 422 with ninja's list of field errors.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI

from calendarEditor.services.errors import NoCompatibleMachine, QueueError


def no_match_body(error: NoCompatibleMachine) -> dict[str, object]:
    reasons = {name: list(why) for name, why in sorted(error.result.reasons.items())}
    return {"detail": error.message, "reasons": reasons}


def register(api: NinjaAPI) -> None:
    @api.exception_handler(NoCompatibleMachine)
    def no_match(request: HttpRequest, exc: NoCompatibleMachine) -> HttpResponse:
        return api.create_response(request, no_match_body(exc), status=422)

    @api.exception_handler(QueueError)
    def refused(request: HttpRequest, exc: QueueError) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message}, status=409)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        detail = str(exc) or "You may not do that."
        return api.create_response(request, {"detail": detail}, status=403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": "Not found."}, status=404)
