from django.urls import path

from calendarEditor.views import gateway_api, staff_gateways, temperatures

urlpatterns = [
    path("api/gateway/readings/", gateway_api.readings, name="schedule-api-gateway-readings"),
    path("staff/gateways/", staff_gateways.gateways, name="schedule-staff-gateways"),
    path(
        "staff/gateways/<int:pk>/revoke/",
        staff_gateways.gateway_revoke,
        name="schedule-staff-gateway-revoke",
    ),
    path(
        "machines/<int:pk>/temperatures.json",
        temperatures.machine_temperatures,
        name="schedule-machine-temperatures",
    ),
]
