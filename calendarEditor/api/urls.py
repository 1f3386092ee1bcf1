"""Included by mysite/urls.py: ``path("api/", include("calendarEditor.api.urls"))``."""

from django.urls import path

from calendarEditor.api.main import api

urlpatterns = [path("", api.urls)]
