"""The portal's front door: each visitor goes to their side of the portal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

STAFF = "staff"

#: Where each side starts; the garage adds the vehicle owners' side.
LANDING = {STAFF: "shops:list"}


def side_of(request: HttpRequest) -> str | None:
    """Which side of the portal the visitor is on: a signed-in user is a shop's staff."""
    return STAFF if request.user.is_authenticated else None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    side = side_of(request)
    if side is not None:
        return redirect(LANDING[side])
    return render(request, "home.html")
