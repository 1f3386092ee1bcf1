"""The site's URLs plus calendarEditor.urls.ops, for the backup page's tests.

The tests pass whether or not mysite.urls already includes the ops URLs;
mysite/tests/test_ops_checks.py checks that the real URLconf does.
"""

from django.urls import include, path

from mysite.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("schedule/", include("calendarEditor.urls.ops")),
    *site_urlpatterns,
]
