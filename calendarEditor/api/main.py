"""The JSON API under /api/: one NinjaAPI, its routers, and how errors read.

Authentication is a personal API token in ``Authorization: Bearer …``
(calendarEditor.api.auth); session cookies are ignored, so the API needs no
CSRF token. The OpenAPI schema is at /api/openapi.json and the interactive
docs at /api/docs, both readable without a token.
"""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.operation import Operation

from calendarEditor.api import entries, errors, machines, notifications, schemas
from calendarEditor.api.auth import ApiTokenAuth, caller
from calendarEditor.api.docs import LocalSwagger
from calendarEditor.services.notifications import inbox

DESCRIPTION = """
The lab equipment queue for scripts and tools.

Authenticate every request with a personal API token from your profile page:
`Authorization: Bearer lq_…`. Browser sessions are not accepted here, so no CSRF
token is needed. Other members' entries appear as the site's privacy setting
allows, exactly as on the pages.

Errors are JSON with a `detail`: 400 a body that is not JSON, 401 no valid
token, 403 account not approved, 404 not found (or another member's entry),
409 the queue refused the change (the message says why), 422 invalid input (a
list of field errors) or no compatible machine (`reasons` per machine).
Lists take `limit` (at most 200) and `offset` and return `items` and `count`.
"""


class QueueAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The view's name ("submit", "check_in") reads better in clients than module paths.
        return operation.view_func.__name__


api = QueueAPI(
    title="Lab equipment queue API",
    version="1",
    description=DESCRIPTION.strip(),
    auth=ApiTokenAuth(),
    docs=LocalSwagger(),
    urls_namespace="api",
)
errors.register(api)
api.add_router("", machines.router)
api.add_router("", entries.router)
api.add_router("", notifications.router)


@api.get(
    "/me",
    response=schemas.with_auth_errors({200: schemas.Me}, has_input=False),
    tags=["account"],
    summary="Who am I",
)
def me(request: HttpRequest) -> dict[str, object]:
    """Whose token this is, and how many unread notifications they have."""
    user = caller(request)
    return {
        "id": user.pk,
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "is_staff": user.is_staff,
        "unread_notifications": inbox.unread_count(user),
    }
