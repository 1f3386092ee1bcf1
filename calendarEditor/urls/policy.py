"""Training, extensions and the calendar ([policy]); included under /schedule/."""

from django.urls import path

from calendarEditor.views import calendar, extensions, training

urlpatterns = [
    path("calendar/", calendar.calendar, name="schedule-calendar"),
    path("calendar/machines/<int:pk>/", calendar.calendar, name="schedule-calendar-machine"),
    path("calendar/feeds/", calendar.feeds, name="schedule-calendar-feeds"),
    path(
        "calendar/feeds/<str:token>/my.ics",
        calendar.member_feed,
        name="schedule-calendar-feed-member",
    ),
    path(
        "calendar/feeds/<str:token>/machines/<int:pk>.ics",
        calendar.machine_feed,
        name="schedule-calendar-feed-machine",
    ),
    path("training/", training.member_training, name="schedule-training"),
    path("training/request/", training.request_training, name="schedule-training-request"),
    path("staff/training/", training.staff_training, name="schedule-staff-training"),
    path("staff/training/record/", training.record, name="schedule-staff-training-record"),
    path("staff/training/<int:pk>/revoke/", training.revoke, name="schedule-staff-training-revoke"),
    path(
        "staff/training/requests/<int:pk>/decline/",
        training.decline,
        name="schedule-staff-training-decline",
    ),
    path("entries/<int:pk>/extend/", extensions.extend, name="schedule-entry-extend"),
    path("staff/extensions/", extensions.staff_extensions, name="schedule-staff-extensions"),
    path(
        "staff/extensions/<int:pk>/approve/",
        extensions.approve,
        name="schedule-staff-extension-approve",
    ),
    path(
        "staff/extensions/<int:pk>/reject/",
        extensions.reject,
        name="schedule-staff-extension-reject",
    ),
]
