"""With DEBUG on, Django answers errors with its technical pages (good for developers), so
the designed ones are never seen: /dev/errors/<name>/ shows each as a visitor would get it."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

# name: (template, the status a visitor gets with it)
PAGES = {
    "403": ("403.html", 403),
    "403_csrf": ("403_csrf.html", 403),
    "404": ("404.html", 404),
    "500": ("500.html", 500),
    "rate_limited": ("accounts/rate_limited.html", 429),
    "locked_out": ("registration/locked_out.html", 429),
}


@require_GET
def error_index(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404
    return render(request, "dev_errors.html", {"pages": PAGES})


@require_GET
def error_page(request: HttpRequest, name: str) -> HttpResponse:
    if not settings.DEBUG or name not in PAGES:
        raise Http404
    template, status = PAGES[name]
    return render(request, template, status=status)


urlpatterns = [
    path("", error_index),
    path("<str:name>/", error_page),
]
