"""Typed requests for the portal's views, as django-htmx types them: the middleware adds
`htmx`, and each side of the portal knows who is asking."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from portal.accounts.models import User


class StaffRequest(HttpRequest):
    """A signed-in member of a shop's staff (behind `login_required`)."""

    htmx: HtmxDetails
    user: User


class VehicleOwnerRequest(HttpRequest):
    """A shop's customer, on the vehicle owners' side (the garage says how they sign in)."""

    htmx: HtmxDetails
