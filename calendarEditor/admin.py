"""Django admin for raw data. Changes that carry rules go through the services.

Machine saves and deletes call services.machines, so the audit log and the
queues stay right; queue positions and statuses are read-only here because
only the queue engine may change them; the audit log cannot be edited at all.
"""

from typing import Any

from django.contrib import admin
from django.db.models import F, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from calendarEditor.models import AuditEvent, Machine, QueueEntry
from calendarEditor.services import machines


@admin.register(Machine)
class MachineAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "status",
        "accepts_entries",
        "location",
        "current_temperature",
        "updated_at",
    )
    list_filter = ("status", "accepts_entries")
    search_fields = ("name", "location")
    # Status and the queue switch are audited actions on the staff queue page.
    readonly_fields = (
        "status",
        "status_changed_at",
        "accepts_entries",
        "queue_version",
        "current_temperature",
        "temperature_updated_at",
        "created_at",
        "updated_at",
    )

    def save_model(self, request: HttpRequest, obj: Machine, form: ModelForm, change: bool) -> None:
        values = {
            name: form.cleaned_data[name]
            for name in machines.EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        if change:
            saved = machines.update_machine(obj, values, by=request.user)
        else:
            saved = machines.create_machine(values, by=request.user)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Machine) -> None:
        machines.delete_machine(obj, by=request.user, reason="Deleted in the Django admin.")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Machine]) -> None:
        for machine in queryset:
            self.delete_model(request, machine)


@admin.register(QueueEntry)
class QueueEntryAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "member_name",
        "machine_name",
        "status",
        "position",
        "rush_status",
        "submitted_at",
    )
    list_filter = ("status", "rush_status", "machine_name")
    search_fields = ("title", "member_name", "machine_name")
    list_select_related = ("machine",)
    date_hierarchy = "submitted_at"
    # Only title and description are free text without queue rules attached.
    fields = (
        "title",
        "description",
        "member",
        "member_name",
        "machine",
        "machine_name",
        "status",
        "position",
        "estimated_hours",
        "rush_status",
        "rush_justification",
        "rush_reviewed_by",
        "rush_reviewed_at",
        "rush_review_note",
        "submitted_at",
        "on_deck_since",
        "started_at",
        "completed_at",
        "cancelled_at",
        "cancel_reason",
        "required_min_temp",
        "required_max_temp",
        "required_field_x",
        "required_field_y",
        "required_field_z",
        "required_field_direction",
        "required_dc_lines",
        "required_rf_lines",
        "required_daughterboard",
        "required_optical",
        "required_capabilities",
    )
    readonly_fields = tuple(name for name in fields if name not in ("title", "description"))

    def save_model(
        self, request: HttpRequest, obj: QueueEntry, form: ModelForm, change: bool
    ) -> None:
        # Writing only the edited text keeps a stale form from undoing a queue change
        # made while it was open.
        obj.save(
            update_fields=[name for name in form.changed_data if name in ("title", "description")]
        )
        if obj.machine_id and "title" in form.changed_data:
            # Pages cached by queue version (the board) must see the new title.
            Machine.objects.filter(pk=obj.machine_id).update(queue_version=F("queue_version") + 1)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New entries must pass matching; they come from the submit page.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a queued row would leave a gap in positions; cancel it instead.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_name", "action", "machine_name", "summary")
    list_filter = ("action",)
    search_fields = ("summary", "actor_name", "machine_name", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
