from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from userRegistration import services
from userRegistration.models import UserProfile
from userRegistration.services import AccountError


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "full_name",
        "email",
        "department",
        "approval_status",
        "approved_by",
        "approved_at",
        "created_at",
    )
    list_filter = ("approval_status", "user__is_staff", "department")
    search_fields = (
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "department",
        "slack_member_id",
    )
    list_select_related = ("user", "approved_by")
    ordering = ("-created_at",)
    raw_id_fields = ("user",)
    # Status changes go through the services (and the staff members page), so
    # each one is audited with who, when and why.
    readonly_fields = (
        "approval_status",
        "approved_by",
        "approved_at",
        "status_reason",
        "slack_lookup_at",
        "created_at",
    )
    actions = ("approve_selected",)

    @admin.display(ordering="user__last_name")
    def full_name(self, profile: UserProfile) -> str:
        return profile.user.get_full_name()

    @admin.display(ordering="user__email")
    def email(self, profile: UserProfile) -> str:
        return profile.user.email

    @admin.action(description="Approve the selected accounts")
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[UserProfile]) -> None:
        approved = 0
        for profile in queryset.select_related("user"):
            try:
                services.approve(profile.user, by=request.user)
            except AccountError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                approved += 1
        self.message_user(request, f"{approved} account(s) approved.", messages.SUCCESS)
