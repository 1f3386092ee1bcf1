"""The site's URLs plus /bench/floor/, the framework's floor for the same daphne process."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_safe


@require_safe
def floor(request: HttpRequest) -> HttpResponse:
    """As little as a Django view can do: the whole middleware stack, no query, no template."""
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("", include("mysite.urls")),
]

handler500 = "mysite.views_errors.server_error"
