"""Typed requests for the portal's views, as django-htmx types them: the middleware adds
`htmx`, and each side of the portal knows who is asking."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from portal.accounts.models import User
from portal.accounts.owners import Owner


class StaffRequest(HttpRequest):
    """A signed-in member of a shop's staff (behind `login_required`)."""

    htmx: HtmxDetails
    user: User


class VehicleOwnerRequest(HttpRequest):
    """A shop's customer, on the vehicle owners' side: `owner` is who signed in by email (the
    garage's sign-in), or NOBODY (`owner.is_authenticated` is False)."""

    htmx: HtmxDetails
    owner: Owner
