from django.urls import include, path

from calendarEditor.views import health

urlpatterns = [
    path("", include("calendarEditor.urls.member")),
    path("staff/", include("calendarEditor.urls.staff")),
    path("", include("calendarEditor.urls.gateway")),
    path("", include("calendarEditor.urls.notifications")),
    path("", include("calendarEditor.urls.records")),
    path("", include("calendarEditor.urls.ops")),
    path("", include("calendarEditor.urls.api_tokens")),
    path("", include("calendarEditor.urls.analytics")),
    path("", include("calendarEditor.urls.policy")),
    path("", include("calendarEditor.urls.due")),
    path("health/", health.health, name="schedule-health"),
]
