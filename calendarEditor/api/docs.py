"""The interactive docs page, served entirely from this site's static files.

ninja's own Swagger page loads its assets from a CDN unless "ninja" is an
installed app; this one renders templates/api/docs.html, which loads the
vendored copy in static/vendor/swagger-ui (see its README) and a small
static/js/api_docs.js, so nothing is fetched from elsewhere at run time.
"""

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(Swagger):
    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api: "NinjaAPI", **kwargs: Any) -> HttpResponse:
        url = self.get_openapi_url(api, kwargs)
        context = {
            "api": api,
            "openapi_url": url,
            "swagger_settings": {**self.settings, "url": url},
        }
        return render(request, self.template, context)
