"""The site's URLs plus calendarEditor.urls.policy, for the [policy] tests.

The tests pass whether or not mysite.urls already includes the policy URLs.
"""

from django.urls import include, path

from mysite.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("schedule/", include("calendarEditor.urls.policy")),
    *site_urlpatterns,
]
