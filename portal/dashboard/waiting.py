"""What waits for the shop's answer (the inbox): booking requests, bookings AutoSync would not
take, owners' change or cancel requests, and how many there are."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from portal.booking.models import Booking, ChangeRequest
from portal.shops.models import Shop


def requests_of(shop: Shop) -> QuerySet[Booking]:
    """Booking requests waiting for the shop (request mode), soonest visit first."""
    return (
        Booking.objects.filter(shop=shop, state=Booking.State.REQUESTED)
        .prefetch_related("services")
        .order_by("starts_at", "id")
    )


def failures_of(shop: Shop) -> QuerySet[Booking]:
    """Bookings AutoSync would not take that nobody has dealt with yet."""
    return (
        Booking.objects.filter(shop=shop, state=Booking.State.FAILED, answered_at__isnull=True)
        .prefetch_related("services")
        .order_by("starts_at", "id")
    )


def changes_of(shop: Shop) -> QuerySet[ChangeRequest]:
    """Owners' change or cancel requests waiting for the shop, oldest first."""
    return (
        ChangeRequest.objects.filter(booking__shop=shop, outcome=ChangeRequest.Outcome.PENDING)
        .select_related("booking")
        .prefetch_related("booking__services")
        .order_by("created_at", "id")
    )


def open_count(shop: Shop) -> int:
    """How many items wait for an answer, for the navigation on each of the shop's pages: the
    three lists above counted in one query (a booking counted once however many change
    requests it has)."""
    counts = Booking.objects.filter(shop=shop).aggregate(
        requests=Count("pk", distinct=True, filter=Q(state=Booking.State.REQUESTED)),
        failures=Count(
            "pk", distinct=True, filter=Q(state=Booking.State.FAILED, answered_at__isnull=True)
        ),
        changes=Count(
            "change_requests",
            filter=Q(change_requests__outcome=ChangeRequest.Outcome.PENDING),
        ),
    )
    return sum(counts.values())
