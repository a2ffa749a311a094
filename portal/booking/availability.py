"""Whether a shop's public page may offer times at all: the one place that decides it."""

from __future__ import annotations

from portal.mirror import books
from portal.shops.models import Shop

from .models import BookingSettings


def closed_reason(shop: Shop, settings: BookingSettings) -> str | None:
    """Why the shop takes no online bookings now, in words for its customers; None when it
    does. Times are offered only when the portal can vouch for them: the shop is connected
    to AutoSync, has booking on, and its appointments are all in the mirror (until the first
    sync has read every one, a time that looks free may be taken at the shop)."""
    if not shop.is_syncable:
        return "This shop is not taking online bookings at the moment."
    if not settings.enabled:
        return "This shop does not take bookings online."
    if not books.complete(shop, "appointments"):
        return (
            "Online booking opens as soon as the shop's calendar has reached us: "
            "please try again in a little while."
        )
    return None
