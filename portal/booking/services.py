"""Booking a visit: decided under a lock on the shop's day, by the rule that lists free times."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.accounts.models import User
from portal.shops.models import Shop

from .models import Booking, BookingDay, BookingSettings, ChangeRequest, Service
from .slots import free_times, nearest_free_times
from .tasks import confirm_booking, send_change_answer, send_email

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


# --- Staff's answers (the dashboard's inbox) ----------------------------------------------------
#
# Each answer is one transaction that re-reads the booking or request under a lock (or updates
# it on the condition that nobody answered it yet), so two staff clicking at once do it once:
# the second gets AlreadyAnswered.


class AlreadyAnswered(Exception):
    """Someone answered this first (another click, another teammate): nothing was done."""


class StillConfirming(Exception):
    """The booking is still being sent to AutoSync: its appointment may appear there after
    staff looked, so a cancellation cannot be marked done yet. Nothing was done."""


def approve_request(
    booking: Booking, user: User, reply: str = "", *, now: datetime | None = None
) -> None:
    """Approve a request-mode booking: it becomes pending and is confirmed at AutoSync by the
    same task as an instant booking (which emails the owner the confirmation). Decided under
    the day's lock by `free_times`, as `book` decides: a visit whose time was taken meanwhile
    (a phone booking that reached the mirror, fewer bays) raises SlotTaken and stays a request."""
    _reinstate(booking, Booking.State.REQUESTED, user, reply, now=now)


def retry_failed(
    booking: Booking, user: User, reply: str = "", *, now: datetime | None = None
) -> None:
    """Send a booking that could not be confirmed to AutoSync again (AutoSync is back, the
    grant renewed). A failed booking held no time meanwhile, so its time is decided again like
    a new booking's; a time taken since raises SlotTaken."""
    _reinstate(booking, Booking.State.FAILED, user, reply, now=now)


def _reinstate(
    booking: Booking, source: str, user: User, reply: str, *, now: datetime | None
) -> None:
    now = now or timezone.now()
    shop = booking.shop
    day = booking.starts_at.astimezone(shop.zone).date()
    minutes = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
    with transaction.atomic():
        _lock_day(shop, day)
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.state != source or (source == Booking.State.FAILED and current.answered_at):
            raise AlreadyAnswered
        # The booking must not count against itself: set aside, inside this transaction only,
        # while the rule runs (a refusal rolls it back to what it was).
        Booking.objects.filter(pk=booking.pk).update(state=Booking.State.DECLINED)
        # Notice and horizon as they were when the owner booked: the time was valid then, and
        # staff answering late should not be what refuses it. It must still be ahead, though.
        # Booking turned off stops new online bookings, not staff answering those made before.
        rules = BookingSettings.for_shop(shop)
        rules.enabled = True
        free = free_times(shop, day, minutes, now=min(now, current.created_at), settings=rules)
        if booking.starts_at <= now or booking.starts_at not in free:
            raise SlotTaken(booking.starts_at, [])
        Booking.objects.filter(pk=booking.pk).update(
            state=Booking.State.PENDING,
            failure="",
            reply=reply,
            answered_at=now,
            answered_by=user,
            updated_at=now,
        )
        confirm_booking.delay(booking.pk)  # queued when the transaction commits


def decline_request(booking: Booking, user: User, reply: str = "") -> None:
    """Decline a request (or a failed booking the shop cannot take): the owner is emailed,
    with the shop's words, and the time is free again."""
    open_ = Q(state=Booking.State.REQUESTED) | Q(state=Booking.State.FAILED, answered_at=None)
    declined = Booking.objects.filter(open_, pk=booking.pk).update(
        state=Booking.State.DECLINED,
        reply=reply,
        answered_at=timezone.now(),
        answered_by=user,
        updated_at=timezone.now(),
    )
    if not declined:
        raise AlreadyAnswered
    send_email.delay(booking.pk, "declined")


def dismiss_failed(booking: Booking, user: User, reply: str = "") -> None:
    """A failed booking staff dealt with themselves (they called the owner, entered the visit
    in AutoSync by hand): off the inbox. Their note is shown on the owner's booking page, like
    every reply; the owner is not emailed (staff spoke to them)."""
    done = Booking.objects.filter(
        pk=booking.pk, state=Booking.State.FAILED, answered_at__isnull=True
    ).update(reply=reply, answered_at=timezone.now(), answered_by=user)
    if not done:
        raise AlreadyAnswered


def answer_change_request(change: ChangeRequest, user: User, outcome: str, reply: str = "") -> None:
    """Record staff's answer to an owner's change or cancel request, and email it. AutoSync's
    API cannot change an appointment, so staff make the change at AutoSync; "done" on a
    booking's cancellation also cancels the portal's booking (its time is free again). While
    the booking is still being sent to AutoSync that would leave its appointment standing
    there once made, so it raises StillConfirming instead. A request about an appointment the
    shop made by phone needs nothing more here: the mirror sees the change at AutoSync."""
    if outcome not in (ChangeRequest.Outcome.DONE, ChangeRequest.Outcome.DECLINED):
        raise ValueError(f"Not an answer: {outcome}")
    now = timezone.now()
    cancelled = outcome == ChangeRequest.Outcome.DONE and change.kind == ChangeRequest.Kind.CANCEL
    with transaction.atomic():
        if change.booking_id is not None:
            booking = Booking.objects.select_for_update().get(pk=change.booking_id)
            if cancelled and booking.state == Booking.State.PENDING:
                raise StillConfirming
        answered = ChangeRequest.objects.filter(
            pk=change.pk, outcome=ChangeRequest.Outcome.PENDING
        ).update(outcome=outcome, reply=reply, handled_at=now, handled_by=user)
        if not answered:
            raise AlreadyAnswered
        if change.booking_id is None:
            send_change_answer.delay(change.pk)
            return
        if cancelled:
            Booking.objects.filter(pk=change.booking_id, state__in=Booking.HOLDING).update(
                state=Booking.State.CANCELLED, updated_at=now
            )
        send_email.delay(change.booking_id, "answered")
