"""Free times on the days clocks change, in a US and a European zone: the shop's 08:00 is the
right instant, the skipped hour is never offered, the repeated hour is offered once per
instant, and booking accepts exactly what the list offers."""

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from portal.booking.models import BookingSettings, OpeningHours
from portal.booking.services import SlotTaken, book
from portal.booking.slots import free_times
from tests.support import factories

from .conftest import CUSTOMER, VEHICLE, clock

pytestmark = pytest.mark.django_db

#: zone, the Sunday clocks change, and 08:00 of that day in UTC (worked out by hand).
SPRING = [
    ("America/New_York", date(2026, 3, 8), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
    ("Europe/Berlin", date(2026, 3, 29), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
]
AUTUMN = [
    ("America/New_York", date(2026, 11, 1), datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    ("Europe/Berlin", date(2026, 10, 25), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
]
#: The wall hour that is skipped in spring and repeated in autumn.
CHANGING_HOUR = {"America/New_York": 2, "Europe/Berlin": 2}
REPEATED_HOUR = {"America/New_York": 1, "Europe/Berlin": 2}


def open_on_sunday(cast, zone: str, opens: time, closes: time, capacity: int = 1):
    shop = cast.shop
    shop.timezone = zone
    shop.save()
    BookingSettings.for_shop(shop)
    BookingSettings.objects.filter(shop=shop).update(capacity=capacity)
    OpeningHours.objects.create(shop=shop, weekday=6, opens=opens, closes=closes)
    return shop


def week_before(day: date) -> datetime:
    return datetime.combine(day - timedelta(days=7), time(12), tzinfo=UTC)


@pytest.mark.parametrize(("zone", "day", "eight_utc"), SPRING + AUTUMN)
def test_eight_oclock_on_a_transition_day_is_eight_in_the_shops_zone(cast, zone, day, eight_utc):
    shop = open_on_sunday(cast, zone, time(8), time(10))
    times = free_times(shop, day, 30, now=week_before(day))
    assert times[0] == eight_utc
    assert clock(shop, times) == ["08:00", "08:30", "09:00", "09:30"]


@pytest.mark.parametrize(("zone", "day", "eight_utc"), SPRING + AUTUMN)
def test_an_appointment_at_nine_takes_nine_not_an_hour_either_side(cast, zone, day, eight_utc):
    shop = open_on_sunday(cast, zone, time(8), time(11))
    factories.appointment(shop, eight_utc + timedelta(hours=1), minutes=30)
    times = clock(shop, free_times(shop, day, 30, now=week_before(day)))
    assert times == ["08:00", "08:30", "09:30", "10:00", "10:30"]


@pytest.mark.parametrize(("zone", "day", "eight_utc"), SPRING)
def test_the_hour_skipped_in_spring_is_never_offered(cast, zone, day, eight_utc):
    shop = open_on_sunday(cast, zone, time(0), time(5))
    times = free_times(shop, day, 30, now=week_before(day))
    skipped = CHANGING_HOUR[zone]
    expected = [f"{h:02}:{m:02}" for h in range(5) if h != skipped for m in (0, 30)]
    assert clock(shop, times) == expected
    # Four real hours: the slots are half an hour apart all night.
    assert all(b - a == timedelta(minutes=30) for a, b in itertools.pairwise(times))


@pytest.mark.parametrize(("zone", "day", "eight_utc"), AUTUMN)
def test_the_hour_repeated_in_autumn_is_offered_once_for_each_time_it_happens(
    cast, zone, day, eight_utc
):
    shop = open_on_sunday(cast, zone, time(0), time(5))
    times = free_times(shop, day, 30, now=week_before(day))
    assert len(times) == 12  # six real hours
    assert all(b - a == timedelta(minutes=30) for a, b in itertools.pairwise(times))
    repeated = f"{REPEATED_HOUR[zone]:02}:00"
    first, second = (t for t in times if clock(shop, [t]) == [repeated])
    assert second - first == timedelta(hours=1)


@pytest.mark.parametrize(("zone", "day", "eight_utc"), AUTUMN)
def test_booking_the_second_of_a_repeated_time_leaves_the_first_free(cast, zone, day, eight_utc):
    shop = open_on_sunday(cast, zone, time(0), time(5))
    now = week_before(day)
    repeated = f"{REPEATED_HOUR[zone]:02}:00"
    first, second = (
        t for t in free_times(shop, day, 30, now=now) if clock(shop, [t]) == [repeated]
    )
    book(shop, second, [], CUSTOMER, VEHICLE, now=now)
    left = free_times(shop, day, 30, now=now)
    assert first in left and second not in left
    book(shop, first, [], CUSTOMER, VEHICLE, now=now)
    with pytest.raises(SlotTaken):
        book(shop, second, [], CUSTOMER, VEHICLE, now=now)


@pytest.mark.parametrize(("zone", "day", "eight_utc"), SPRING + AUTUMN)
def test_booking_accepts_every_time_the_list_offers_on_a_transition_day(cast, zone, day, eight_utc):
    shop = open_on_sunday(cast, zone, time(0), time(5))
    now = week_before(day)
    offered = free_times(shop, day, 30, now=now)
    for start in offered:
        assert book(shop, start, [], CUSTOMER, VEHICLE, now=now).booking.starts_at == start
    assert free_times(shop, day, 30, now=now) == []
