"""The reminder the day before: once per booking, only for a confirmed one, never late."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail

from portal.booking import reminders
from portal.booking.models import Booking
from portal.booking.services import book

from .conftest import CUSTOMER, NOW, VEHICLE, local

pytestmark = pytest.mark.django_db

#: The visit below is on Monday 15 June 2026 at 10:00 in New York (14:00 UTC).
DUE = datetime(2026, 6, 14, 14, 0, tzinfo=UTC)


@pytest.fixture
def booking(shop) -> Booking:
    booking = book(shop, local(shop, "2026-06-15 10:00"), [], CUSTOMER, VEHICLE, now=NOW).booking
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.CONFIRMED)
    return booking


def test_the_reminder_goes_out_the_day_before_at_the_visits_time(booking):
    assert reminders.moment(booking) == DUE
    assert reminders.send_due(now=DUE - timedelta(minutes=1)) == 0
    assert reminders.send_due(now=DUE + timedelta(minutes=5)) == 1
    (message,) = mail.outbox
    assert message.to == ["olive@example.com"]
    assert "tomorrow" in message.subject


def test_a_reminder_is_sent_once_however_often_the_beat_runs(booking):
    for minutes in (0, 10, 20, 30):
        reminders.send_due(now=DUE + timedelta(minutes=minutes))
    assert len(mail.outbox) == 1
    assert Booking.objects.get(pk=booking.pk).reminder_sent_at == DUE


def test_a_reminder_claimed_by_another_worker_is_not_sent_again(booking):
    Booking.objects.filter(pk=booking.pk).update(reminder_sent_at=DUE)
    assert reminders.send_due(now=DUE + timedelta(minutes=1)) == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    "state",
    [
        Booking.State.CANCELLED,
        Booking.State.DECLINED,
        Booking.State.FAILED,
        Booking.State.PENDING,
        Booking.State.REQUESTED,
    ],
)
def test_only_a_confirmed_booking_is_reminded(booking, state):
    Booking.objects.filter(pk=booking.pk).update(state=state)
    assert reminders.send_due(now=DUE + timedelta(minutes=1)) == 0
    assert mail.outbox == []


def test_a_reminder_whose_moment_has_passed_is_dropped_not_sent(booking):
    late = DUE + reminders.WINDOW
    assert reminders.send_due(now=late) == 0
    assert reminders.send_due(now=late + timedelta(hours=5)) == 0
    assert mail.outbox == []
    assert Booking.objects.get(pk=booking.pk).reminder_sent_at is None


def test_the_day_before_is_by_the_shops_clock_across_a_daylight_saving_change(shop):
    # Clocks go back in New York on Sunday 1 November 2026: the day before a Sunday 09:00
    # visit is 25 hours before it.
    visit = Booking(shop=shop, starts_at=local(shop, "2026-11-01 09:00"))
    assert reminders.moment(visit) == local(shop, "2026-10-31 09:00")
    assert visit.starts_at - reminders.moment(visit) == timedelta(hours=25)


def test_the_beat_sends_reminders_and_sweeps_pending_bookings():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "portal.booking.tasks.send_reminders",
        "portal.booking.tasks.sweep_pending_bookings",
    } <= tasks
