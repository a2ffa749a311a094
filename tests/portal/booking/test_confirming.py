"""Confirming instant bookings at AutoSync, against a live sandbox: the shop's customers and
vehicles are found rather than duplicated, the appointment is made exactly once whatever fails
on the way, and a booking that cannot be confirmed reaches staff."""

from __future__ import annotations

import random
import time as pytime
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from portal.autosync import conf
from portal.booking import confirming
from portal.booking.models import Booking, BookingSettings, Service
from portal.booking.services import CustomerDetails, VehicleDetails, book
from portal.booking.tasks import confirm_booking, sweep_pending_bookings
from portal.booking.validation import clean_phone
from portal.mirror.models import Appointment, Customer, Vehicle
from portal.shops.models import Membership, Role

pytestmark = pytest.mark.django_db

FLAKY = "error=0.15,error_after_commit=0.3,reset=0.05"


def deliver(task, *args, **kwargs):
    """One delivery of `task`, run here as a worker runs it (with the tasks it queues, such as
    its emails): its result, or the Retry it asked for (whose `sig` is the next delivery)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        try:
            return task.s(*args, **kwargs).apply().get()
        except Retry as retry:
            return retry


def deliver_until_done(task, booking_id: int, limit: int = 60):
    outcome = deliver(task, booking_id)
    for _ in range(limit):
        if not isinstance(outcome, Retry):
            return outcome
        outcome = deliver(task, *outcome.sig.args, **outcome.sig.kwargs)
    raise AssertionError(f"still retrying after {limit} deliveries")


def visit_day() -> date:
    """A weekday a week or more ahead (the shop's default hours are weekdays)."""
    day = timezone.now().date() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def new_phone() -> str:
    while True:
        try:
            return clean_phone(f"+1617{random.randint(2_000_000, 9_999_999)}")
        except Exception:  # noqa: S112  (not a number in service: draw again)
            continue


def booking_for(
    shop, *, email=None, phone=None, name=None, vin="", plate="", hour=10, notes=""
) -> Booking:
    """A pending booking of `shop` (by default from a person the shop has never seen)."""
    customer = CustomerDetails(
        name or f"Fay Ulty{uuid.uuid4().hex[:6]}",
        email or f"booker-{uuid.uuid4().hex[:10]}@example.com",
        phone or new_phone(),
    )
    vehicle = VehicleDetails(2020, "Toyota", "Corolla", vin=vin, license_plate=plate)
    start = datetime.combine(visit_day(), time(hour), tzinfo=shop.zone)
    services = [Service.objects.get(shop=shop, name="Brake check")] if notes else []
    booked = book(shop, start, services, customer, vehicle, notes)
    return booked.booking


@pytest.fixture
def shop(connect_shop, cast):
    """A connected shop of the sandbox, with the cast's owner and staff member."""
    shop = connect_shop()
    Membership.objects.create(user=cast.owner, shop=shop, role=Role.OWNER)
    Membership.objects.create(user=cast.teammate, shop=shop, role=Role.STAFF)
    BookingSettings.for_shop(shop)
    return shop


@pytest.fixture
def seeded(truth, account) -> tuple[dict, dict]:
    """A seeded customer with an email and a phone, and one of their vehicles with a VIN."""
    shop_id = account["shops"][0]["id"]
    customers = truth.all(shop_id, "customers")
    for vehicle in truth.all(shop_id, "vehicles").values():
        owner = customers.get(vehicle["customer_id"])
        if vehicle.get("vin") and owner and owner.get("email") and owner.get("phone"):
            return owner, vehicle
    raise AssertionError("the seed has no customer with an email, a phone and a VIN")


def remote(truth, shop, resource: str, **equal) -> list[dict]:
    return [
        record
        for record in truth.all(shop.remote_id, resource).values()
        if all(record.get(name) == value for name, value in equal.items())
    ]


def test_a_new_owner_becomes_one_new_customer_with_their_vehicle_and_appointment(
    shop, truth, eager
):
    booking = booking_for(shop, vin="2T1BURHE0KC123456", notes="Grinding noise when braking")
    assert deliver(confirm_booking, booking.pk) == Booking.State.CONFIRMED
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED and booking.confirmed_at
    (customer,) = remote(truth, shop, "customers", email=booking.email)
    assert customer["id"] == booking.customer_remote_id
    assert (customer["first_name"], customer["last_name"]) == tuple(booking.name.split())
    (vehicle,) = remote(truth, shop, "vehicles", customer_id=customer["id"])
    assert (vehicle["id"], vehicle["vin"]) == (booking.vehicle_remote_id, booking.vin)
    (appointment,) = remote(truth, shop, "appointments", customer_id=customer["id"])
    assert appointment["id"] == booking.appointment_remote_id
    assert appointment["vehicle_id"] == vehicle["id"]
    assert appointment["start_time"] == booking.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert appointment["end_time"] == booking.ends_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "Brake check" in appointment["notes"]
    assert "Grinding noise when braking" in appointment["notes"]
    # The new records are in the mirror at once, and the visit is counted once.
    assert Customer.objects.filter(shop=shop, remote_id=customer["id"]).exists()
    assert Vehicle.objects.filter(shop=shop, remote_id=vehicle["id"]).exists()
    mirrored = Appointment.objects.get(shop=shop, remote_id=appointment["id"])
    assert mirrored.start_time == booking.starts_at
    # The owner is emailed once, with the invitation; nothing was "received" first.
    (message,) = mail.outbox
    assert message.subject.startswith("Confirmed") and message.attachments


def test_the_same_owner_booking_again_is_the_same_customer_and_vehicle(shop, truth, eager):
    first = booking_for(shop, plate="8ABC123")
    deliver(confirm_booking, first.pk)
    first.refresh_from_db()
    again = booking_for(shop, email=first.email.upper(), phone=first.phone, plate="8abc 123")
    assert deliver(confirm_booking, again.pk) == Booking.State.CONFIRMED
    again.refresh_from_db()
    assert again.customer_remote_id == first.customer_remote_id
    assert again.vehicle_remote_id == first.vehicle_remote_id
    assert len(remote(truth, shop, "customers", email=first.email)) == 1
    assert len(remote(truth, shop, "appointments", customer_id=first.customer_remote_id)) == 2


def test_an_existing_customer_found_by_email_is_reused_with_their_vehicle_by_vin(
    shop, truth, seeded, eager
):
    customer, vehicle = seeded
    booking = booking_for(shop, email=customer["email"], vin=vehicle["vin"])
    assert deliver(confirm_booking, booking.pk) == Booking.State.CONFIRMED
    booking.refresh_from_db()
    assert booking.customer_remote_id == customer["id"]
    assert booking.vehicle_remote_id == vehicle["id"]
    assert len(remote(truth, shop, "customers", email=customer["email"])) == 1


def test_a_customer_the_shop_has_by_phone_only_is_reused(shop, truth, eager):
    phone = new_phone()
    national = f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
    known = truth.write(
        "POST",
        f"/shops/{shop.remote_id}/customers",
        {"first_name": "Phil", "last_name": "Oldcaller", "phone": national},
    )
    booking = booking_for(shop, phone=phone, name="Phil Oldcaller")
    deliver(confirm_booking, booking.pk)
    booking.refresh_from_db()
    assert booking.customer_remote_id == known["id"]


def test_someone_else_sharing_a_phone_with_another_email_is_a_customer_of_their_own(
    shop, truth, seeded, eager
):
    customer, _ = seeded
    booking = booking_for(shop, phone=clean_phone(customer["phone"]), name="Nora Newperson")
    deliver(confirm_booking, booking.pk)
    booking.refresh_from_db()
    assert booking.customer_remote_id != customer["id"]


def test_while_autosync_is_down_the_booking_stays_pending_then_is_confirmed_once(
    shop, truth, eager, settings, start_sandbox, roomy_sandbox
):
    booking = booking_for(shop, vin="2T1BURHE0KC654321")
    settings.AUTOSYNC_API_URL = start_sandbox(
        SANDBOX_FAULTS="error=1", SANDBOX_RATE_LIMIT="100000"
    ).api_url
    retry = deliver(confirm_booking, booking.pk)
    assert isinstance(retry, Retry) and retry.sig.kwargs["failures"] == 1
    booking.refresh_from_db()
    assert booking.state == Booking.State.PENDING
    assert booking.failure.startswith("ServerError: ")
    (received,) = mail.outbox
    assert received.subject.startswith("Booking received")
    # Still down: a second failure, and no second "received" email.
    retry = deliver(confirm_booking, *retry.sig.args, **retry.sig.kwargs)
    assert isinstance(retry, Retry) and len(mail.outbox) == 1
    settings.AUTOSYNC_API_URL = roomy_sandbox.api_url
    assert deliver(confirm_booking, *retry.sig.args, **retry.sig.kwargs) == "confirmed"
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED and booking.failure == ""
    assert len(remote(truth, shop, "appointments", customer_id=booking.customer_remote_id)) == 1
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Booking received", "Confirmed"]
    # A late redelivery of the task changes nothing and sends nothing.
    assert deliver(confirm_booking, booking.pk) == "confirmed"
    assert len(mail.outbox) == 2


def test_through_server_errors_and_lost_answers_each_record_is_made_once(
    shop, truth, eager, settings, start_sandbox, monkeypatch
):
    monkeypatch.setattr(confirm_booking, "max_failures", 40)
    booking = booking_for(shop, vin="2T1BURHE0KC777777", plate="FLK 101")
    settings.AUTOSYNC_API_URL = start_sandbox(
        SANDBOX_FAULTS=FLAKY, SANDBOX_RATE_LIMIT="100000"
    ).api_url
    assert deliver_until_done(confirm_booking, booking.pk) == Booking.State.CONFIRMED
    booking.refresh_from_db()
    (customer,) = remote(truth, shop, "customers", email=booking.email)
    (_,) = remote(truth, shop, "vehicles", customer_id=customer["id"])
    (appointment,) = remote(truth, shop, "appointments", customer_id=customer["id"])
    assert appointment["id"] == booking.appointment_remote_id


def test_an_attempt_that_stopped_after_sending_the_appointment_finds_it_instead_of_resending(
    shop, truth, seeded, eager
):
    customer, vehicle = seeded
    booking = booking_for(shop, email=customer["email"], vin=vehicle["vin"], hour=15)
    # A worker found both, sent the appointment, and died before it could keep its id.
    Booking.objects.filter(pk=booking.pk).update(
        customer_remote_id=customer["id"],
        vehicle_remote_id=vehicle["id"],
        appointment_sent_at=timezone.now(),
    )
    booking.refresh_from_db()
    made = truth.write(
        "POST",
        f"/shops/{shop.remote_id}/appointments",
        {
            "customer_id": customer["id"],
            "vehicle_id": vehicle["id"],
            "start_time": booking.starts_at.isoformat(),
            "end_time": booking.ends_at.isoformat(),
            "notes": confirming.appointment_notes(booking),
        },
    )
    assert deliver(confirm_booking, booking.pk) == Booking.State.CONFIRMED
    booking.refresh_from_db()
    assert booking.appointment_remote_id == made["id"]
    mine = [
        a
        for a in remote(truth, shop, "appointments", customer_id=customer["id"])
        if (a["notes"], a["start_time"]) == (made["notes"], made["start_time"])
    ]
    assert [a["id"] for a in mine] == [made["id"]]


def test_a_booking_that_finally_fails_is_kept_as_failed_and_reaches_staff(
    shop, eager, settings, start_sandbox
):
    booking = booking_for(shop)
    settings.AUTOSYNC_API_URL = start_sandbox(
        SANDBOX_FAULTS="error=1", SANDBOX_RATE_LIMIT="100000"
    ).api_url
    outcome = deliver(confirm_booking, booking.pk, failures=confirm_booking.max_failures)
    assert outcome == Booking.State.FAILED
    booking.refresh_from_db()
    assert booking.state == Booking.State.FAILED and booking.failure
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]  # the owner; not the staff member
    assert booking.email in message.body


def test_autosync_refusing_the_booking_fails_it_at_once(shop, eager):
    shop.remote_id = 999_999_999  # a shop the credential does not reach: 404, permanent
    shop.save()
    booking = booking_for(shop)
    assert deliver(confirm_booking, booking.pk) == Booking.State.FAILED
    assert Booking.objects.get(pk=booking.pk).state == Booking.State.FAILED
    assert mail.outbox[0].to == ["alice@example.com"]


def test_a_booking_is_confirmed_when_it_commits(
    shop, truth, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_for(shop)
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED
    assert remote(truth, shop, "appointments", customer_id=booking.customer_remote_id)


def test_the_sweeper_queues_again_a_pending_booking_whose_task_was_lost(shop, monkeypatch):
    lost = booking_for(shop)
    booking_for(shop, hour=11)  # its task is still on its way
    confirmed = booking_for(shop, hour=12)
    old = timezone.now() - timedelta(hours=1)
    Booking.objects.filter(pk=lost.pk).update(updated_at=old)
    Booking.objects.filter(pk=confirmed.pk).update(updated_at=old, state=Booking.State.CONFIRMED)
    queued = []
    monkeypatch.setattr(confirm_booking, "delay", queued.append)
    assert sweep_pending_bookings.s().apply().get() == 1
    assert queued == [lost.pk]


def test_a_request_creates_nothing_at_autosync_and_tells_the_owner_it_was_requested(
    shop, truth, eager, django_capture_on_commit_callbacks
):
    BookingSettings.objects.filter(shop=shop).update(mode=BookingSettings.Mode.REQUEST)
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_for(shop)
    booking.refresh_from_db()
    assert booking.state == Booking.State.REQUESTED
    assert booking.customer_remote_id is None
    assert not remote(truth, shop, "customers", email=booking.email)
    (message,) = mail.outbox
    assert message.subject.startswith("Your visit request")


def test_an_owner_who_gives_neither_vin_nor_plate_keeps_one_vehicle_of_that_model(
    shop, truth, eager
):
    first = booking_for(shop)
    deliver(confirm_booking, first.pk)
    first.refresh_from_db()
    again = booking_for(shop, email=first.email, phone=first.phone, hour=14)
    deliver(confirm_booking, again.pk)
    again.refresh_from_db()
    assert again.vehicle_remote_id == first.vehicle_remote_id
    assert len(remote(truth, shop, "vehicles", customer_id=first.customer_remote_id)) == 1


def test_out_of_budget_the_booking_waits_for_the_window_without_counting_a_failure(shop, eager):
    booking = booking_for(shop)
    # Every process holds back for half a minute, as after a 429.
    conf.shared_budget().blocked_until(f"grant:{shop.connection_id}", pytime.time() + 30)
    retry = deliver(confirm_booking, booking.pk)
    assert isinstance(retry, Retry)
    assert 25 < float(retry.when) < 35
    assert "failures" not in retry.sig.kwargs
    booking.refresh_from_db()
    assert (booking.state, booking.failure, booking.customer_remote_id) == ("pending", "", None)
    assert mail.outbox == []
