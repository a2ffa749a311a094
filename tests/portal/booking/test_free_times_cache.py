"""The pages that list free times keep the day's times under the shop's calendar version
(portal/booking/cache.py): a write to anything the times are computed from shows on the next
page at once, whatever code writes it, and time passing applies the notice all the same.

These tests commit (`transaction=True`): a page inside a transaction never uses the cache."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.booking.availability import public_shops, settings_of
from portal.booking.models import (
    Booking,
    BookingSettings,
    CalendarVersion,
    ClosedDate,
    OpeningHours,
    Service,
)
from portal.booking.services import book
from portal.booking.slots import free_times
from portal.mirror.models import Appointment
from portal.mirror.upsert import upsert
from tests.support import factories
from tests.support.booking import at, bookable_day

from .conftest import CUSTOMER, MONDAY, NOW, VEHICLE, clock, local

pytestmark = pytest.mark.django_db(transaction=True)


def listed(shop, day=MONDAY, minutes: int = 30, now=NOW) -> list[str]:
    """The day's free times as a page lists them: the shop read anew, the cache allowed."""
    shop = public_shops().get(pk=shop.pk)
    settings = settings_of(shop)
    return clock(shop, free_times(shop, day, minutes, now=now, settings=settings, listing=True))


def one_bay(shop) -> None:
    BookingSettings.objects.filter(shop=shop).update(capacity=1)


def mirrored(shop, remote_id: int, start: str, status: str = "scheduled") -> None:
    """An appointment written the way the mirror writes (its upsert, one SQL statement)."""
    begins = local(shop, start)
    row = {
        "shop_id": shop.pk,
        "remote_id": remote_id,
        "observed_at": timezone.now(),
        "remote_updated_at": None,
        "start_time": begins,
        "end_time": begins + timedelta(minutes=30),
        "status": status,
        "notes": "",
        "payload": {},
    }
    upsert(Appointment, [row], ["start_time", "end_time", "status", "notes", "payload"])


def a_booking(shop, start: str, **fields) -> Booking:
    return factories.portal_booking(shop, local(shop, start), state=Booking.State.PENDING, **fields)


def test_a_listed_day_is_computed_once_per_calendar_version(shop, django_assert_num_queries):
    one_bay(shop)
    first = listed(shop)
    with django_assert_num_queries(1):  # the shop, with its settings and calendar version
        again = listed(shop)
    assert again == first and "10:00" in first


def test_an_appointment_the_mirror_writes_shows_at_once(shop):
    one_bay(shop)
    assert "10:00" in listed(shop)
    mirrored(shop, 501, "2026-06-15 10:00")
    assert "10:00" not in listed(shop)
    mirrored(shop, 501, "2026-06-15 10:00", status="cancelled")  # the same, updated
    assert "10:00" in listed(shop)


def test_appointments_changed_or_deleted_in_bulk_show_at_once(shop):
    one_bay(shop)
    appointment = factories.appointment(shop, local(shop, "2026-06-15 10:00"), minutes=30)
    assert "10:00" not in listed(shop)
    Appointment.objects.filter(pk=appointment.pk).update(removed_at=NOW)
    assert "10:00" in listed(shop)
    Appointment.objects.filter(pk=appointment.pk).update(removed_at=None)
    assert "10:00" not in listed(shop)
    Appointment.objects.filter(pk=appointment.pk).delete()
    assert "10:00" in listed(shop)


def test_a_portal_booking_taking_or_freeing_its_time_shows_at_once(shop):
    one_bay(shop)
    assert "10:00" in listed(shop)
    booking = a_booking(shop, "2026-06-15 10:00")
    assert "10:00" not in listed(shop)
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.DECLINED)
    assert "10:00" in listed(shop)


def test_a_booking_made_through_book_shows_at_once(shop):
    one_bay(shop)
    assert "10:00" in listed(shop)
    book(shop, local(shop, "2026-06-15 10:00"), [], CUSTOMER, VEHICLE, now=NOW)
    assert "10:00" not in listed(shop)


def test_changed_hours_closed_dates_and_settings_show_at_once(shop):
    assert listed(shop)[0] == "08:00"
    OpeningHours.objects.filter(shop=shop, weekday=0).update(opens="09:00")
    assert listed(shop)[0] == "09:00"
    BookingSettings.objects.filter(shop=shop).update(slot_minutes=60)
    assert listed(shop)[:2] == ["09:00", "10:00"]
    closed = ClosedDate.objects.create(shop=shop, date=MONDAY)
    assert listed(shop) == []
    closed.delete()
    assert listed(shop) != []
    BookingSettings.objects.filter(shop=shop).update(enabled=False)
    assert listed(shop) == []


def test_time_passing_takes_the_times_inside_the_notice_off_the_list(shop):
    assert listed(shop)[0] == "08:00"
    morning = local(shop, "2026-06-15 08:00")  # the notice is two hours
    assert listed(shop, now=morning)[0] == "10:00"
    assert listed(shop, now=morning + timedelta(hours=1))[0] == "11:00"


def test_the_list_never_lists_a_time_that_booking_refuses(shop):
    """The list and `book` agree after each change: the list, read from the cache, and the
    rule run on the rows (as `book` does) give the same times."""
    one_bay(shop)
    shop_now = public_shops().get(pk=shop.pk)
    for remote_id, start in enumerate(["09:00", "10:00", "13:30"], start=700):
        mirrored(shop, remote_id, f"2026-06-15 {start}")
        assert listed(shop) == clock(shop, free_times(shop_now, MONDAY, 30, now=NOW))


@pytest.mark.parametrize(
    "write",
    [
        lambda shop: factories.appointment(shop, local(shop, "2026-06-16 10:00")),
        lambda shop: a_booking(shop, "2026-06-16 10:00"),
        lambda shop: BookingSettings.objects.filter(shop=shop).update(notice_minutes=60),
        lambda shop: OpeningHours.objects.filter(shop=shop).delete(),
        lambda shop: ClosedDate.objects.create(shop=shop, date=MONDAY),
        lambda shop: Service.objects.filter(shop=shop).update(minutes=45),
    ],
    ids=["appointment", "booking", "settings", "opening hours", "closed date", "services"],
)
def test_every_table_the_times_are_computed_from_changes_the_calendar_version(shop, write):
    before = CalendarVersion.objects.get(shop_id=shop.pk).version
    write(shop)
    assert CalendarVersion.objects.get(shop_id=shop.pk).version != before


def test_the_free_times_part_shows_a_new_appointment_at_once(client, shop):
    one_bay(shop)
    day = bookable_day(shop)
    path = reverse("booking:times", args=[shop.slug])
    assert "10:00 AM" in client.get(path, {"day": day.isoformat()}).content.decode()
    factories.appointment(shop, at(shop, day, "10:00"), minutes=30)
    assert "10:00 AM" not in client.get(path, {"day": day.isoformat()}).content.decode()


def test_a_services_new_duration_shows_at_once_in_the_free_times_part(client, shop):
    day = bookable_day(shop)
    service = Service.objects.filter(shop=shop).order_by("pk").first()
    Service.objects.filter(pk=service.pk).update(minutes=30)
    path = reverse("booking:times", args=[shop.slug])
    query = {"day": day.isoformat(), "services": [service.pk]}
    assert "4:30 PM" in client.get(path, query).content.decode()
    Service.objects.filter(pk=service.pk).update(minutes=120)
    html = client.get(path, query).content.decode()
    assert "3:00 PM" in html and "4:30 PM" not in html


def test_the_shop_page_shows_new_opening_hours_at_once(client, shop):
    path = reverse("booking:shop", args=[shop.slug])
    assert "8:00 AM to 5:00 PM" in client.get(path).content.decode()
    OpeningHours.objects.filter(shop=shop).update(closes="16:00")
    html = client.get(path).content.decode()
    assert "8:00 AM to 4:00 PM" in html and "5:00 PM" not in html
