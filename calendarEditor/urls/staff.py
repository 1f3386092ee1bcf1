from django.urls import path

from calendarEditor.views import staff, staff_audit, staff_machines

urlpatterns = [
    path("", staff.dashboard, name="schedule-staff-dashboard"),
    path("machines/<int:pk>/queue/", staff.machine_queue, name="schedule-staff-queue"),
    path(
        "fragments/machines/<int:pk>/queue/",
        staff.machine_queue_fragment,
        name="schedule-fragment-staff-queue",
    ),
    path("entries/<int:pk>/move/", staff.move_entry, name="schedule-staff-move"),
    path("entries/<int:pk>/reassign/", staff.reassign_entry, name="schedule-staff-reassign"),
    path(
        "machines/<int:machine_pk>/entries/<int:pk>/reassign/",
        staff.reassign_options,
        name="schedule-staff-reassign-options",
    ),
    path("entries/<int:pk>/cancel/", staff.cancel_entry, name="schedule-staff-cancel"),
    path("entries/<int:pk>/start/", staff.start_entry, name="schedule-staff-start"),
    path("entries/<int:pk>/complete/", staff.complete_entry, name="schedule-staff-complete"),
    path("entries/<int:pk>/rush/approve/", staff.approve_rush, name="schedule-staff-rush-approve"),
    path("entries/<int:pk>/rush/reject/", staff.reject_rush, name="schedule-staff-rush-reject"),
    path("machines/new/", staff_machines.machine_create, name="schedule-staff-machine-create"),
    path(
        "machines/<int:pk>/edit/", staff_machines.machine_edit, name="schedule-staff-machine-edit"
    ),
    path(
        "machines/<int:pk>/delete/",
        staff_machines.machine_delete,
        name="schedule-staff-machine-delete",
    ),
    path(
        "machines/<int:pk>/status/",
        staff_machines.machine_status,
        name="schedule-staff-machine-status",
    ),
    path(
        "machines/<int:pk>/queue-open/",
        staff_machines.machine_queue_open,
        name="schedule-staff-machine-queue-open",
    ),
    path("audit/", staff_audit.audit_log, name="schedule-staff-audit"),
]
