from django.urls import path

from calendarEditor.views import login_links, notifications, staff_deliveries

urlpatterns = [
    path("notifications/", notifications.notification_list, name="schedule-notifications"),
    path(
        "notifications/<int:pk>/read/",
        notifications.notification_read,
        name="schedule-notification-read",
    ),
    path(
        "notifications/read-all/",
        notifications.notifications_read_all,
        name="schedule-notifications-read-all",
    ),
    path(
        "notifications/preferences/",
        notifications.notification_preferences,
        name="schedule-notification-preferences",
    ),
    path("fragments/bell/", notifications.bell, name="schedule-fragment-bell"),
    path("login-link/<str:token>/", login_links.login_link, name="schedule-login-link"),
    path("staff/deliveries/", staff_deliveries.deliveries, name="schedule-staff-deliveries"),
    path(
        "staff/deliveries/<int:pk>/retry/",
        staff_deliveries.retry,
        name="schedule-staff-delivery-retry",
    ),
]
