"""Error views that Django's defaults do not cover well enough.

- ``csrf_failure`` (settings.CSRF_FAILURE_VIEW): a friendly page in the site's
  layout instead of Django's technical one. The reason is not shown: Django
  already logs it (django.security.csrf, with the request id).
- ``server_error`` (``handler500`` in mysite/urls.py): 500.html with the
  request id, so a member can quote it and staff can find the log line. It
  renders with a plain Context: after a failure, context processors (which may
  query the database that just failed) are the last thing to trust.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    context = {"request_id": getattr(request, "request_id", ""), "LAB_NAME": settings.LAB_NAME}
    return HttpResponseServerError(loader.get_template("500.html").render(context))
