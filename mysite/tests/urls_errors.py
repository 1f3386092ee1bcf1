"""The site's URLs plus a view that fails, with handler500 as mysite/urls.py should set it."""

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from mysite.urls import urlpatterns as site_urlpatterns

INTERNAL_DETAIL = "db-password=hunter2 at /srv/labqueue/mysite/settings.py"


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(INTERNAL_DETAIL)


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(INTERNAL_DETAIL)


urlpatterns = [
    path("test/fails/", fails),
    path("test/suspicious/", suspicious),
    *site_urlpatterns,
]

handler500 = "mysite.views_errors.server_error"
