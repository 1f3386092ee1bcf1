"""Usage analytics for lab managers; included under /schedule/."""

from django.urls import path

from calendarEditor.views import staff_analytics

urlpatterns = [
    path("staff/analytics/", staff_analytics.analytics_page, name="schedule-staff-analytics"),
    path(
        "staff/analytics/usage.csv",
        staff_analytics.analytics_csv,
        name="schedule-staff-analytics-csv",
    ),
]
