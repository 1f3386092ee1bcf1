from django.urls import path

from calendarEditor.views import staff_backup

urlpatterns = [
    path("staff/backup/", staff_backup.backup, name="schedule-staff-backup"),
]
