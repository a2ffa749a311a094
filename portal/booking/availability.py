"""Whether a shop's public page may offer times at all: the one place that decides it."""

from __future__ import annotations

from functools import cache

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from portal.mirror import books
from portal.mirror.models import ResourceState
from portal.shops.models import Shop

from .models import BookingSettings, CalendarVersion


def public_shops() -> QuerySet[Shop]:
    """Shops as the public pages read them, in one query: with their connection, their
    booking settings (`settings_of`), whether their appointments are completely mirrored
    (`appointments_complete`, as `books.complete`), and the version of their calendar
    (`calendar_version`, what `portal.booking.cache` keeps its results under; None until the
    first row the free times read is written)."""
    return _public_shops().all()  # a copy: the one built is never evaluated


@cache
def _public_shops() -> QuerySet[Shop]:
    """Built once per process: building it costs a public page about as much as running it."""
    complete = ResourceState.objects.filter(
        shop=OuterRef("pk"), resource="appointments", completed_at__isnull=False
    )
    version = CalendarVersion.objects.filter(shop_id=OuterRef("pk")).values("version")
    return Shop.objects.select_related("connection", "booking_settings").annotate(
        appointments_complete=Exists(complete), calendar_version=Subquery(version)
    )


def settings_of(shop: Shop) -> BookingSettings:
    """The booking settings of a shop from `public_shops` (no query), or of a shop's first
    look (`BookingSettings.for_shop` creates them)."""
    try:
        return shop.booking_settings
    except BookingSettings.DoesNotExist:
        return BookingSettings.for_shop(shop)


def closed_reason(shop: Shop, settings: BookingSettings) -> str | None:
    """Why the shop takes no online bookings now, in words for its customers; None when it
    does. Times are offered only when the portal can vouch for them: the shop is connected
    to AutoSync, has booking on, and its appointments are all in the mirror (until the first
    sync has read every one, a time that looks free may be taken at the shop)."""
    if not shop.is_syncable:
        return "This shop is not taking online bookings at the moment."
    if not settings.enabled:
        return "This shop does not take bookings online."
    complete = getattr(shop, "appointments_complete", None)  # read with it by public_shops
    if not (books.complete(shop, "appointments") if complete is None else complete):
        return (
            "Online booking opens as soon as the shop's calendar has reached us: "
            "please try again in a little while."
        )
    return None
