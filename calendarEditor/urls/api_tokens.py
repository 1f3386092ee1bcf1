"""A member's API tokens; included under /schedule/."""

from django.urls import path

from calendarEditor.views import api_tokens

urlpatterns = [
    path("api-tokens/", api_tokens.api_token_list, name="schedule-api-tokens"),
    path(
        "api-tokens/<int:pk>/revoke/",
        api_tokens.api_token_revoke,
        name="schedule-api-token-revoke",
    ),
]
