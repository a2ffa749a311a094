"""The portal's pages and the booking benchmark's yardstick: /bare/ renders base.html through
the same middleware (the least page with the portal's look), so the ratio shows what the
booking pages add."""

from django.shortcuts import render
from django.urls import include, path


def bare(request):
    return render(request, "base.html")


urlpatterns = [path("bare/", bare), path("", include("portal.urls"))]
