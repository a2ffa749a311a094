"""The portal's front door: each visitor goes to their side of the portal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

STAFF = "staff"
OWNER = "owner"

#: Where each side starts.
LANDING = {STAFF: "shops:list", OWNER: "garage:home"}


def side_of(request: HttpRequest) -> str | None:
    """Which side of the portal the visitor is on: a signed-in user is a shop's staff, a
    signed-in vehicle owner is on the garage's side. Signed in as both (one browser, one
    person), the staff side: its navigation links to the garage."""
    if request.user.is_authenticated:
        return STAFF
    if request.owner.is_authenticated:
        return OWNER
    return None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    side = side_of(request)
    if side is not None:
        return redirect(LANDING[side])
    return render(request, "home.html")
