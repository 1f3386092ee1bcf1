from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="schedule-board", permanent=False)),
    path("schedule/", include("calendarEditor.urls")),
    path("accounts/", include("userRegistration.urls")),
    path("api/", include("calendarEditor.api.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "mysite.views_errors.server_error"
