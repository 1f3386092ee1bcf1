from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from userRegistration import staff_views, views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="accounts-login",
    ),
    # Django's LogoutView accepts POST only, so a link or prefetch cannot log anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="accounts-logout"),
    path("register/", views.register, name="accounts-register"),
    path("pending/", views.pending, name="accounts-pending"),
    path("profile/", views.profile, name="accounts-profile"),
    path(
        "password-reset/",
        views.PasswordResetView.as_view(success_url=reverse_lazy("accounts-password-reset-done")),
        name="accounts-password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="accounts-password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts-password-reset-complete")
        ),
        name="accounts-password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="accounts-password-reset-complete",
    ),
    path(
        "password-change/",
        auth_views.PasswordChangeView.as_view(
            success_url=reverse_lazy("accounts-password-change-done")
        ),
        name="accounts-password-change",
    ),
    path(
        "password-change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="accounts-password-change-done",
    ),
    path("staff/members/", staff_views.members, name="accounts-staff-members"),
    path("staff/members/<int:pk>/approve/", staff_views.approve, name="accounts-staff-approve"),
    path("staff/members/<int:pk>/reject/", staff_views.reject, name="accounts-staff-reject"),
    path("staff/members/<int:pk>/suspend/", staff_views.suspend, name="accounts-staff-suspend"),
    path(
        "staff/members/<int:pk>/reinstate/",
        staff_views.reinstate,
        name="accounts-staff-reinstate",
    ),
    path("staff/members/<int:pk>/promote/", staff_views.promote, name="accounts-staff-promote"),
    path("staff/members/<int:pk>/demote/", staff_views.demote, name="accounts-staff-demote"),
]
