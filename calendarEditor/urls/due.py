"""Scheduled work's pages: queue timetables and hold skips (staff), check-out snooze (members).

Included from calendarEditor/urls/__init__.py at the /schedule/ root.
"""

from django.urls import path

from calendarEditor.views import snooze, staff_schedules

urlpatterns = [
    path("staff/schedules/", staff_schedules.overview, name="schedule-staff-schedules"),
    path(
        "staff/schedules/<int:pk>/",
        staff_schedules.machine_schedule,
        name="schedule-staff-schedule",
    ),
    path(
        "staff/schedules/<int:pk>/windows/",
        staff_schedules.add_window,
        name="schedule-staff-schedule-window-add",
    ),
    path(
        "staff/schedules/windows/<int:pk>/delete/",
        staff_schedules.delete_window,
        name="schedule-staff-schedule-window-delete",
    ),
    path(
        "staff/schedules/<int:pk>/override/",
        staff_schedules.override,
        name="schedule-staff-schedule-override",
    ),
    path("staff/entries/<int:pk>/skip/", staff_schedules.skip, name="schedule-staff-skip"),
    path("entries/<int:pk>/snooze/", snooze.snooze, name="schedule-entry-snooze"),
]
