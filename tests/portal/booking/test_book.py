"""Booking a visit through `book`: what is recorded, and what a taken time answers."""

from datetime import timedelta

import pytest

from portal.booking.models import Booking, BookingSettings, Service
from portal.booking.services import SlotTaken, book
from portal.booking.slots import free_times

from .conftest import CUSTOMER, MONDAY, NOW, VEHICLE, clock, local

pytestmark = pytest.mark.django_db


def menu(shop, *names: str) -> list[Service]:
    return [Service.objects.get(shop=shop, name=name) for name in names]


def test_a_free_time_is_booked_with_its_services_and_a_manage_link(shop):
    services = menu(shop, "Oil and filter change", "Check engine light")
    start = local(shop, "2026-06-15 10:00")
    booked = book(shop, start, services, CUSTOMER, VEHICLE, "Rattle at the back", now=NOW)
    booking = Booking.objects.get()
    assert booking == booked.booking
    assert booking.state == Booking.State.PENDING
    assert (booking.starts_at, booking.ends_at) == (start, start + timedelta(minutes=90))
    assert list(booking.services.all()) == services
    assert (booking.name, booking.phone, booking.vin) == (
        "Olive Owner",
        "+13125550143",
        "1HGCM82633A004352",
    )
    assert booking.notes == "Rattle at the back"
    assert list(Booking.objects.managed_by(booked.manage_token)) == [booking]
    assert booked.manage_token not in booking.manage_token_hash
    assert not Booking.objects.managed_by(booked.manage_token + "x").exists()


def test_in_request_mode_a_booking_waits_for_staff(shop):
    BookingSettings.objects.filter(shop=shop).update(mode=BookingSettings.Mode.REQUEST)
    booked = book(shop, local(shop, "2026-06-15 10:00"), [], CUSTOMER, VEHICLE, now=NOW)
    assert booked.booking.state == Booking.State.REQUESTED


def test_a_full_time_is_refused_with_the_nearest_free_times(shop):
    start = local(shop, "2026-06-15 10:00")
    book(shop, start, [], CUSTOMER, VEHICLE, now=NOW)
    book(shop, start, [], CUSTOMER, VEHICLE, now=NOW)
    with pytest.raises(SlotTaken) as taken:
        book(shop, start, [], CUSTOMER, VEHICLE, now=NOW)
    assert taken.value.wanted == start
    assert clock(shop, taken.value.nearest) == ["09:30", "10:30", "09:00"]
    assert Booking.objects.count() == 2


def test_the_nearest_free_times_may_be_on_the_next_open_day(shop):
    friday = MONDAY + timedelta(days=4)
    BookingSettings.objects.filter(shop=shop).update(capacity=1)
    for start in free_times(shop, friday, 30, now=NOW):
        book(shop, start, [], CUSTOMER, VEHICLE, now=NOW)
    with pytest.raises(SlotTaken) as taken:
        book(shop, local(shop, "2026-06-19 16:30"), [], CUSTOMER, VEHICLE, now=NOW)
    # Saturday and Sunday are closed: Monday morning is next.
    assert [f"{t.astimezone(shop.zone):%a %H:%M}" for t in taken.value.nearest] == [
        "Mon 08:00",
        "Mon 08:30",
        "Mon 09:00",
    ]


@pytest.mark.parametrize(
    "start",
    [
        "2026-06-15 10:10",  # between slots
        "2026-06-15 16:45",  # would end after closing
        "2026-06-14 10:00",  # a Sunday
        "2026-06-01 10:00",  # before the notice allows
        "2026-08-03 10:00",  # beyond the horizon
    ],
)
def test_a_time_the_list_would_not_offer_is_refused(shop, start):
    with pytest.raises(SlotTaken):
        book(shop, local(shop, start), [], CUSTOMER, VEHICLE, now=local(shop, "2026-06-01 09:00"))
    assert not Booking.objects.exists()


def test_a_service_of_another_shop_is_refused(shop, owners):
    other_shop = owners.stranger.customers[0].shop
    BookingSettings.for_shop(other_shop)
    theirs = Service.objects.filter(shop=other_shop)[:1]
    with pytest.raises(ValueError, match="another shop"):
        book(shop, local(shop, "2026-06-15 10:00"), theirs, CUSTOMER, VEHICLE, now=NOW)
    assert not Booking.objects.exists()
