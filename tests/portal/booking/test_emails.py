"""The booking's emails: to whom, what they say (in the shop's time zone), the manage link, and
the calendar invitation read back as a calendar app reads it."""

import email
from datetime import UTC, datetime
from email import policy

import icalendar
import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from portal.booking import emails
from portal.booking.models import Booking, Service
from portal.booking.services import book
from portal.booking.tasks import send_email
from portal.shops.models import Membership, Role

from .conftest import CUSTOMER, NOW, VEHICLE, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(shop):
    services = [Service.objects.get(shop=shop, name="Oil and filter change")]
    start = local(shop, "2026-06-15 10:00")
    return book(shop, start, services, CUSTOMER, VEHICLE, "Squeaky brakes", now=NOW)


def parts(message) -> tuple[str, str]:
    (html, kind), *_ = message.alternatives
    assert kind == "text/html"
    return message.body, html


def test_the_confirmation_shows_the_visit_in_the_shops_time_with_the_manage_link(booked, settings):
    emails.send_confirmed(booked.booking)
    (message,) = mail.outbox
    assert message.to == ["olive@example.com"]
    assert message.subject == "Confirmed: your visit to Main Street Garage"
    text, html = parts(message)
    for body in (text, html):
        assert "Monday 15 June 2026, 10:00 AM to 10:30 AM EDT" in body
        assert f"{settings.PORTAL_BASE_URL}/book/manage/{booked.manage_token}/" in body
        assert "Oil and filter change" in body
        assert "2019 Honda Civic" in body
        assert "Squeaky brakes" in body


def test_the_confirmation_carries_an_invitation_that_calendars_import(booked):
    emails.send_confirmed(booked.booking)
    (message,) = mail.outbox
    # As a mail client receives it: the invitation is a text/calendar part beside the text.
    received = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    (part,) = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    assert (part.get_filename(), part.get_param("method")) == ("visit.ics", "PUBLISH")
    calendar = icalendar.Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 6, 15, 14, 30, tzinfo=UTC)
    assert str(event["summary"]) == "Visit to Main Street Garage"
    assert str(event["uid"]).startswith(f"booking-{booked.booking.pk}@")
    assert f"/book/manage/{booked.manage_token}/" in str(event["url"])
    assert str(calendar["method"]) == "PUBLISH"


def test_the_invitations_uid_is_the_same_every_time_so_calendars_update_one_event(booked):
    first = icalendar.Calendar.from_ical(emails.invitation(booked.booking))
    again = icalendar.Calendar.from_ical(emails.invitation(booked.booking))
    assert first.walk("VEVENT")[0]["uid"] == again.walk("VEVENT")[0]["uid"]


def test_the_emails_sent_later_carry_the_link_issued_at_booking(booked):
    later = Booking.objects.get(pk=booked.booking.pk)
    assert later.manage_token == booked.manage_token
    assert booked.manage_token not in later.manage_token_encrypted
    emails.send_reminder(later)
    assert f"/book/manage/{booked.manage_token}/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("send", "subject", "words"),
    [
        (
            emails.send_received,
            "Booking received: confirming with Main Street Garage",
            "are confirming it with the shop",
        ),
        (emails.send_requested, "Your visit request to Main Street Garage", "confirm or decline"),
        (emails.send_reminder, "Reminder: your visit to Main Street Garage tomorrow", "tomorrow"),
    ],
)
def test_each_email_to_the_owner_says_where_the_booking_stands(booked, send, subject, words):
    send(booked.booking)
    (message,) = mail.outbox
    assert (message.to, message.subject) == (["olive@example.com"], subject)
    text, html = parts(message)
    assert words in text and words in html
    assert "Monday 15 June 2026, 10:00 AM" in text
    assert f"/book/manage/{booked.manage_token}/" in html
    assert not message.attachments


def test_a_failed_booking_reaches_the_shops_owners_and_managers_not_its_staff(
    booked, cast, django_user_model
):
    manager = django_user_model.objects.create_user("mia@example.com", "x", name="Mia")
    Membership.objects.create(user=manager, shop=cast.shop, role=Role.MANAGER)
    booking = booked.booking
    booking.failure = "AutoSync refused the appointment"
    emails.send_failed(booking)
    (message,) = mail.outbox
    assert sorted(message.to) == ["alice@example.com", "mia@example.com"]
    text, html = parts(message)
    for body in (text, html):
        assert "olive@example.com" in body and "+13125550143" in body
        assert "AutoSync refused the appointment" in body
        assert "please call or email them" in body
        # The owner's manage link is theirs alone.
        assert booked.manage_token not in body


class MailServerDown(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


def test_a_mail_server_that_is_down_delays_the_email_with_retries(booked, settings, eager):
    settings.EMAIL_BACKEND = f"{__name__}.MailServerDown"
    with pytest.raises(Retry) as retry:
        send_email.s(booked.booking.pk, "confirmed").apply().get()
    assert retry.value.sig.kwargs["failures"] == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_email.s(*retry.value.sig.args, **retry.value.sig.kwargs).apply().get()
    assert [m.subject for m in mail.outbox] == ["Confirmed: your visit to Main Street Garage"]
