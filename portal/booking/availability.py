"""Whether a shop's public page may offer times at all: the one place that decides it."""

from __future__ import annotations

from portal.shops.models import Shop

from .models import BookingSettings


def closed_reason(shop: Shop, settings: BookingSettings) -> str | None:
    """Why the shop takes no online bookings now, in words for its customers; None when it
    does. Times are offered only when the portal can vouch for them: the shop is connected
    to AutoSync and the shop has booking on."""
    if not shop.is_syncable:
        return "This shop is not taking online bookings at the moment."
    if not settings.enabled:
        return "This shop does not take bookings online."
    return None
