"""Celery tasks of booking: confirming instant bookings at AutoSync, the sweeper that finds a
booking whose task was lost, and the reminders (docs/booking.md)."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from portal.autosync.errors import AutoSyncError, BudgetExhausted
from portal.celery import ReliableTask

from . import confirming, emails, reminders
from .models import Booking, ChangeRequest

log = logging.getLogger(__name__)

#: A pending booking untouched this long has lost its task (a broker message gone): the
#: sweeper queues it again. Longer than the longest backoff between two attempts.
STALE_AFTER = timedelta(minutes=15)


@shared_task(bind=True, base=ReliableTask, max_failures=12)
def confirm_booking(self, booking_id: int, failures: int = 0) -> str:
    """Confirm a pending booking at AutoSync (`confirming.confirm`), then email the owner.

    AutoSync down or slow: the booking stays pending, the owner is emailed once that it was
    received, and the task retries with jittered backoff (about half an hour in all). Out of
    budget: it waits for the window, not counted as a failure. A permanent refusal, or the
    last failure, makes the booking FAILED and emails the shop's owners and managers."""
    booking = Booking.objects.select_related("shop").filter(pk=booking_id).first()
    if booking is None or booking.state != Booking.State.PENDING:
        return booking.state if booking else "missing"
    if booking.starts_at <= timezone.now():
        return _fail(booking, "The visit's time came before AutoSync confirmed it.")
    try:
        confirmed = confirming.confirm(booking)
    except BudgetExhausted as exc:
        self.retry_wait((exc.retry_after or 1.0) + random.uniform(0.1, 1.0))
    except Exception as exc:
        if not isinstance(exc, AutoSyncError):
            log.exception("Confirming booking %s failed", booking_id)
        message = f"{type(exc).__name__}: {exc}"
        if getattr(exc, "permanent", False) or failures >= self.max_failures:
            return _fail(booking, message)
        Booking.objects.filter(pk=booking_id).update(failure=message, updated_at=timezone.now())
        if failures == 0:
            send_email.delay(booking_id, "received")
        self.retry_failure(exc, failures)
    if confirmed:
        log.info("Booking %s confirmed at AutoSync", booking_id)
        send_email.delay(booking_id, "confirmed")
    return Booking.State.CONFIRMED


def _fail(booking: Booking, message: str) -> str:
    """The booking could not be confirmed: it is kept, as FAILED, and staff are told (back in
    their inbox even when they had approved or retried it before)."""
    failed = Booking.objects.filter(pk=booking.pk, state=Booking.State.PENDING).update(
        state=Booking.State.FAILED,
        failure=message[:2000],
        answered_at=None,
        answered_by=None,
        updated_at=timezone.now(),
    )
    if failed:
        # AutoSync's error text may echo what the owner typed: its kind only in the log.
        log.warning("Booking %s could not be confirmed (%s)", booking.pk, message.split(":")[0])
        send_email.delay(booking.pk, "failed")
    return Booking.State.FAILED


#: The emails of a booking a task sends, by name.
EMAILS = {
    "received": emails.send_received,
    "requested": emails.send_requested,
    "confirmed": emails.send_confirmed,
    "failed": emails.send_failed,
    "declined": emails.send_declined,
    "answered": emails.send_answered,
}


@shared_task(bind=True, base=ReliableTask)
def send_email(self, booking_id: int, name: str, failures: int = 0) -> None:
    """Send one of a booking's emails (`EMAILS`), apart from the work that calls for it: a
    mail server that is down delays the email, with retries, not the booking."""
    booking = Booking.objects.select_related("shop").get(pk=booking_id)
    try:
        EMAILS[name](booking)
    except Exception as exc:
        if failures >= self.max_failures:
            log.exception("The %s email of booking %s could not be sent", name, booking_id)
            return
        self.retry_failure(exc, failures)


@shared_task(bind=True, base=ReliableTask)
def send_change_answer(self, change_id: int, failures: int = 0) -> None:
    """Email the owner the shop's answer to their request about an appointment the shop made
    by phone (`emails.send_appointment_answered`): a booking's request is answered by the
    booking's own email (`send_email`, "answered")."""
    change = ChangeRequest.objects.select_related("shop").get(pk=change_id)
    try:
        emails.send_appointment_answered(change)
    except Exception as exc:
        if failures >= self.max_failures:
            log.exception("The answer to change request %s could not be sent", change_id)
            return
        self.retry_failure(exc, failures)


@shared_task(bind=True, base=ReliableTask)
def sweep_pending_bookings(self) -> int:
    """Queue again every pending booking whose task was lost; the number queued."""
    stale = Booking.objects.filter(
        state=Booking.State.PENDING, updated_at__lt=timezone.now() - STALE_AFTER
    ).values_list("pk", flat=True)
    for booking_id in stale:
        confirm_booking.delay(booking_id)
    return len(stale)


@shared_task(bind=True, base=ReliableTask)
def send_reminders(self) -> int:
    """Send the reminders that are due (see `reminders.send_due`); the number sent."""
    return reminders.send_due()
