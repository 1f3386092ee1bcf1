"""The site's URLs plus calendarEditor.urls.due, for the [due] pages' tests.

The tests pass whether or not calendarEditor/urls/__init__.py already
includes the due URLs (a duplicate include resolves to the same views).
"""

from django.urls import include, path

from mysite.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("schedule/", include("calendarEditor.urls.due")),
    *site_urlpatterns,
]
