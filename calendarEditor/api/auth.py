"""Who is calling: ``Authorization: Bearer <personal API token>``, nothing else.

Session cookies are not accepted on the API, so a browser tab logged into the
site cannot be made to call it from another site: requests carry their
credential explicitly and need no CSRF token. A missing, unknown or revoked
token (or an inactive account) gets 401; an account that is not an approved
member (pending, rejected, suspended) gets 403, checked on every request so a
suspension takes effect at once.
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from calendarEditor.services import api_tokens
from userRegistration.models import is_approved_member

NOT_APPROVED = "This account is not approved to use the queue."


class ApiTokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        # Parsed here rather than by HttpBearer, which logs a malformed header (a secret) in DEBUG.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        found = api_tokens.authenticate(token)
        if found is None or not found.user.is_active:
            return None
        if not is_approved_member(found.user):
            raise AuthorizationError(403, NOT_APPROVED)
        # For the request log and anything else that asks request.user; the API reads caller().
        request.user = found.user
        return found.user


def caller(request: HttpRequest) -> AbstractBaseUser:
    """The token's owner. Never ``request.user``: that is the session's, which the API ignores."""
    return request.auth  # type: ignore[attr-defined,no-any-return]
