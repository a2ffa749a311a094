"""Booking a visit: decided under a lock on the shop's day, by the rule that lists free times."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction

from portal.shops.models import Shop

from .models import Booking, BookingDay, BookingSettings, Service
from .slots import free_times, nearest_free_times
from .tasks import confirm_booking, send_email

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerDetails:
    name: str
    email: str
    phone: str  # E.164, from validation.clean_phone


@dataclass(frozen=True)
class VehicleDetails:
    year: int
    make: str
    model: str
    vin: str = ""  # from validation.clean_vin
    license_plate: str = ""
    # A signed-in owner's vehicle picked from the mirror: it and its owner at AutoSync, so
    # that confirming finds them without a search.
    remote_id: int | None = None
    owner_remote_id: int | None = None


@dataclass(frozen=True)
class Booked:
    booking: Booking
    #: The secret of the owner's "manage this booking" link (stored as a digest, and encrypted
    #: for the emails).
    manage_token: str


class SlotTaken(Exception):
    """The time is not free (any more): someone took it while the owner was choosing."""

    def __init__(self, wanted: datetime, nearest: list[datetime]) -> None:
        super().__init__(f"{wanted.isoformat()} is not free")
        self.wanted = wanted
        #: Free times close to the wanted one, closest first, to offer instead.
        self.nearest = nearest


def book(
    shop: Shop,
    start: datetime,
    services: Sequence[Service],
    customer: CustomerDetails,
    vehicle: VehicleDetails,
    notes: str = "",
    *,
    now: datetime | None = None,
) -> Booked:
    """Record a booking at `start` if it is free, deciding with the same `free_times` as the
    list did; raises SlotTaken with the nearest free times when it is not. In request mode
    the booking waits for staff; otherwise it is pending until AutoSync confirms it."""
    if any(service.shop_id != shop.pk for service in services):
        raise ValueError("A service of another shop")
    settings = BookingSettings.for_shop(shop)
    minutes = settings.visit_minutes(services)
    start = start.astimezone(UTC)
    day = start.astimezone(shop.zone).date()
    with transaction.atomic():
        _lock_day(shop, day)
        if start in free_times(shop, day, minutes, now=now):
            booking = Booking(
                shop=shop,
                state=(
                    Booking.State.REQUESTED
                    if settings.mode == BookingSettings.Mode.REQUEST
                    else Booking.State.PENDING
                ),
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes),
                notes=notes,
                name=customer.name,
                email=customer.email,
                phone=customer.phone,
                vehicle_year=vehicle.year,
                vehicle_make=vehicle.make,
                vehicle_model=vehicle.model,
                vin=vehicle.vin,
                license_plate=vehicle.license_plate,
                vehicle_remote_id=vehicle.remote_id,
                customer_remote_id=vehicle.owner_remote_id,
            )
            token = booking.issue_manage_token()
            booking.save()
            booking.services.set(services)
            log.info("Booking %s received at shop %s (%s)", booking.pk, shop.pk, booking.state)
            # Queued when this transaction commits (ReliableTask): AutoSync hears of it after.
            if booking.state == Booking.State.PENDING:
                confirm_booking.delay(booking.pk)
            else:
                send_email.delay(booking.pk, "requested")
            return Booked(booking, token)
    raise SlotTaken(start, nearest_free_times(shop, start, minutes, now=now))


def _lock_day(shop: Shop, day: date) -> None:
    """Hold the shop's `day` until the transaction ends: a booking of the same day waits here
    until this one is decided and committed, then sees it.

    PostgreSQL: the day's row, locked FOR UPDATE. SQLite ignores FOR UPDATE, but the insert
    below is the transaction's first statement and a write: it takes the database's single
    write lock (the portal's SQLite transactions take it at BEGIN already, being IMMEDIATE),
    held until the commit, so bookings are decided one at a time there too."""
    BookingDay.objects.bulk_create([BookingDay(shop=shop, day=day)], ignore_conflicts=True)
    BookingDay.objects.select_for_update().get(shop=shop, day=day)
