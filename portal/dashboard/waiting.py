"""What waits for the shop's answer (the inbox): booking requests, bookings AutoSync would not
take, owners' change or cancel requests, and how many there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from portal.booking.models import Booking, ChangeRequest
from portal.mirror.models import Appointment, Customer, Vehicle
from portal.shops.models import Shop

from . import sql


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
    """Owners' change or cancel requests waiting for the shop, oldest first: about a portal
    booking (with it), or about an appointment the shop made by phone (`with_appointments`
    adds it from the mirror)."""
    return (
        ChangeRequest.objects.filter(shop=shop, outcome=ChangeRequest.Outcome.PENDING)
        .select_related("booking")
        .prefetch_related("booking__services")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class Mirrored:
    """What the inbox shows of an appointment the shop made by phone, from the mirror."""

    start_time: datetime | None
    end_time: datetime | None
    status: str
    customer: str
    vehicle: str
    #: AutoSync no longer has it (a full reconciliation marked it removed).
    removed: bool


def with_appointments(shop: Shop, changes: list[ChangeRequest]) -> list[ChangeRequest]:
    """`changes`, each request about a phone appointment given `.mirrored` (a `Mirrored`, or
    None when the mirror has no such appointment): its time, status, customer's name and
    vehicle, read in one query for all of them (none when no request is about one)."""
    wanted = {c.appointment_remote_id for c in changes if c.appointment_remote_id is not None}
    found: dict[int, Mirrored] = {}
    if wanted:
        customer = Customer.objects.filter(shop=shop, remote_id=OuterRef("customer_remote_id"))
        vehicle = Vehicle.objects.filter(shop=shop, remote_id=OuterRef("vehicle_remote_id"))
        rows = (
            Appointment.objects.of(shop)
            .filter(remote_id__in=wanted)
            .annotate(
                first_name=Subquery(customer.values("first_name")[:1]),
                last_name=Subquery(customer.values("last_name")[:1]),
                year=Subquery(vehicle.values("year")[:1]),
                make=Subquery(vehicle.values("make")[:1]),
                model=Subquery(vehicle.values("model")[:1]),
                plate=Subquery(vehicle.values("license_plate")[:1]),
            )
        )
        fields = ("remote_id", "start_time", "end_time", "status", "removed_at", "first_name")
        rows = rows.values_list(*fields, "last_name", "year", "make", "model", "plate")
        for remote_id, start, end, status, removed_at, *who, year, make, model, plate in rows:
            car = " ".join(str(part) for part in (year, make, model) if part)
            found[remote_id] = Mirrored(
                start_time=start,
                end_time=end,
                status=status,
                customer=" ".join(part for part in who if part),
                vehicle=f"{car}, plate {plate}" if plate else car,
                removed=removed_at is not None,
            )
    for change in changes:
        if change.appointment_remote_id is not None:
            change.mirrored = found.get(change.appointment_remote_id)
    return changes


#: The three lists' counts (`open_count`), written out: every staff page's tabs show it, and
#: the ORM took longer to build this query than the database to answer it.
_OPEN_COUNT_SQL = """
SELECT
  (SELECT COUNT(*) FROM {booking} WHERE shop_id = %(shop)s AND state = %(requested)s)
  + (SELECT COUNT(*) FROM {booking} WHERE shop_id = %(shop)s AND state = %(failed)s
       AND answered_at IS NULL)
  + (SELECT COUNT(*) FROM {change} WHERE shop_id = %(shop)s AND outcome = %(pending)s)
"""


#: The states the waiting items are in, as the written-out queries take them.
WAITING = {
    "requested": Booking.State.REQUESTED.value,
    "failed": Booking.State.FAILED.value,
    "pending": ChangeRequest.Outcome.PENDING.value,
}


def open_count(shop: Shop) -> int:
    """How many items wait for an answer, for the navigation on each of the shop's pages: the
    three lists above counted in one query."""
    params = {"shop": shop.pk, **WAITING}
    return sql.one_row(_OPEN_COUNT_SQL, params, booking=Booking, change=ChangeRequest)[0]
