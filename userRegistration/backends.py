"""The login backend: Django's own, reading each request's user with their approval.

Every page the approval middleware guards asks for ``user.profile``; reading it in
the same query as the user saves a query on every signed-in request.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

PATH = "userRegistration.backends.ProfileModelBackend"


class ProfileModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        users = get_user_model()._default_manager.select_related("profile")
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
