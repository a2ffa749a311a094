"""Which times are free: opening hours, closed dates, notice, horizon and the shop's bays."""

import random
from datetime import timedelta

import pytest

from portal.booking import slots
from portal.booking.models import Booking, BookingSettings, ClosedDate, OpeningHours, Service
from portal.booking.slots import free_times
from tests.support import factories

from .conftest import MONDAY, NOW, clock, local

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)
WHOLE_DAY = [f"{h:02}:{m:02}" for h in range(8, 17) for m in (0, 30)]


def update(shop, **fields) -> None:
    BookingSettings.objects.filter(shop=shop).update(**fields)


def booking(shop, start: str, minutes: int = 30, **fields) -> Booking:
    begins = local(shop, start)
    defaults = {
        "state": Booking.State.PENDING,
        "name": "Olive Owner",
        "email": "olive@example.com",
        "phone": "+13125550143",
        "vehicle_year": 2019,
        "vehicle_make": "Honda",
        "vehicle_model": "Civic",
    }
    made = Booking(
        shop=shop, starts_at=begins, ends_at=begins + timedelta(minutes=minutes), **defaults
    )
    made.issue_manage_token()
    for name, value in fields.items():
        setattr(made, name, value)
    made.save()
    return made


def test_a_shops_first_look_gives_it_weekday_hours_and_a_service_menu(cast):
    first = BookingSettings.for_shop(cast.shop)
    assert BookingSettings.for_shop(cast.shop) == first
    assert (first.enabled, first.capacity, first.slot_minutes) == (True, 2, 30)
    hours = OpeningHours.objects.filter(shop=cast.shop)
    assert [h.weekday for h in hours] == [0, 1, 2, 3, 4]
    assert {str(h) for h in hours} == {
        f"{day} 08:00 to 17:00" for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
    }
    assert Service.objects.filter(shop=cast.shop).count() == len(Service.DEFAULTS)


def test_a_visit_lasts_its_services_estimates_in_whole_slots(shop):
    settings = BookingSettings.for_shop(shop)
    oil, tires, engine = (Service(shop=shop, minutes=m) for m in (30, 20, 60))
    assert settings.visit_minutes([]) == 30
    assert settings.visit_minutes([tires]) == 30
    assert settings.visit_minutes([oil, tires]) == 60
    assert settings.visit_minutes([oil, tires, engine]) == 120


def test_every_slot_of_an_open_day_is_free_in_the_shops_local_time(shop):
    times = free_times(shop, MONDAY, 30, now=NOW)
    assert clock(shop, times) == WHOLE_DAY
    # 08:00 in New York in June is 12:00 UTC.
    assert times[0] == local(shop, "2026-06-15 08:00") and times[0].hour == 12


def test_a_longer_visit_must_end_by_closing_time(shop):
    assert clock(shop, free_times(shop, MONDAY, 90, now=NOW))[-1] == "15:30"


def test_a_day_without_opening_hours_a_closed_date_or_booking_off_has_no_free_time(shop):
    assert free_times(shop, MONDAY - timedelta(days=1), 30, now=NOW) == []  # a Sunday
    ClosedDate.objects.create(shop=shop, date=MONDAY, reason="Juneteenth")
    assert free_times(shop, MONDAY, 30, now=NOW) == []
    assert free_times(shop, MONDAY + timedelta(days=1), 30, now=NOW) != []
    update(shop, enabled=False)
    assert free_times(shop, MONDAY + timedelta(days=1), 30, now=NOW) == []


def test_a_day_with_two_opening_periods_offers_both_and_not_the_break(shop):
    OpeningHours.objects.filter(shop=shop, weekday=0).delete()
    OpeningHours.objects.create(shop=shop, weekday=0, opens="08:00", closes="10:00")
    OpeningHours.objects.create(shop=shop, weekday=0, opens="13:00", closes="14:00")
    times = clock(shop, free_times(shop, MONDAY, 60, now=NOW))
    assert times == ["08:00", "08:30", "09:00", "13:00"]


def test_times_closer_than_the_notice_are_not_free(shop):
    now = local(shop, "2026-06-15 10:10")
    assert clock(shop, free_times(shop, MONDAY, 30, now=now))[0] == "12:30"
    update(shop, notice_minutes=0)
    assert clock(shop, free_times(shop, MONDAY, 30, now=now))[0] == "10:30"
    assert free_times(shop, MONDAY - timedelta(days=7), 30, now=now) == []  # the past


def test_days_beyond_the_horizon_are_not_free(shop):
    update(shop, horizon_days=14)
    assert free_times(shop, MONDAY, 30, now=NOW) != []  # 14 days ahead
    assert free_times(shop, MONDAY + timedelta(days=1), 30, now=NOW) == []


def test_a_time_is_taken_when_appointments_fill_every_bay(shop):
    start = local(shop, "2026-06-15 10:00")
    factories.appointment(shop, start, minutes=30)
    assert "10:00" in clock(shop, free_times(shop, MONDAY, 30, now=NOW))
    factories.appointment(shop, start, minutes=60)
    times = clock(shop, free_times(shop, MONDAY, 30, now=NOW))
    assert "10:00" not in times
    assert "10:30" in times and "09:30" in times


def test_a_longer_visit_needs_a_bay_for_every_moment_of_it(shop):
    factories.appointment(shop, local(shop, "2026-06-15 11:00"), minutes=30)
    factories.appointment(shop, local(shop, "2026-06-15 11:00"), minutes=30)
    times = clock(shop, free_times(shop, MONDAY, 90, now=NOW))
    assert "10:00" not in times and "11:00" not in times
    # Back to back is not overlapping: ending at 11:00 or starting at 11:30 is fine.
    assert "09:30" in times and "11:30" in times


def test_appointments_that_never_meet_do_not_add_up(shop):
    factories.appointment(shop, local(shop, "2026-06-15 09:00"), minutes=30)
    factories.appointment(shop, local(shop, "2026-06-15 10:00"), minutes=30)
    update(shop, capacity=1)
    times = clock(shop, free_times(shop, MONDAY, 30, now=NOW))
    assert "09:00" not in times and "10:00" not in times and "09:30" in times
    update(shop, capacity=2)
    # A 90-minute visit from 09:00 meets both, but never both at once.
    assert "09:00" in clock(shop, free_times(shop, MONDAY, 90, now=NOW))


def test_cancelled_removed_and_other_shops_appointments_take_no_bay(shop, owners):
    start = local(shop, "2026-06-15 10:00")
    factories.appointment(shop, start, status="cancelled")
    factories.appointment(shop, start, removed_at=NOW)
    other_shop = owners.stranger.customers[0].shop
    factories.appointment(other_shop, start)
    factories.appointment(other_shop, start)
    update(shop, capacity=1)
    assert "10:00" in clock(shop, free_times(shop, MONDAY, 30, now=NOW))


def test_an_appointment_without_an_end_takes_one_slot(shop):
    factories.appointment(shop, local(shop, "2026-06-15 10:00"), end_time=None)
    update(shop, capacity=1)
    times = clock(shop, free_times(shop, MONDAY, 30, now=NOW))
    assert "10:00" not in times and "10:30" in times


def test_an_appointment_from_the_day_before_still_running_takes_its_bay(shop):
    factories.appointment(shop, local(shop, "2026-06-14 16:00"), minutes=18 * 60)
    update(shop, capacity=1)
    assert clock(shop, free_times(shop, MONDAY, 30, now=NOW))[0] == "10:00"


@pytest.mark.parametrize("state", Booking.HOLDING)
def test_portal_bookings_in_flight_take_their_bay(shop, state):
    booking(shop, "2026-06-15 10:00", state=state)
    update(shop, capacity=1)
    assert "10:00" not in clock(shop, free_times(shop, MONDAY, 30, now=NOW))


@pytest.mark.parametrize("state", ["declined", "cancelled", "failed"])
def test_bookings_that_ended_free_their_time(shop, state):
    booking(shop, "2026-06-15 10:00", state=state)
    update(shop, capacity=1)
    assert "10:00" in clock(shop, free_times(shop, MONDAY, 30, now=NOW))


def test_a_confirmed_booking_and_its_mirrored_appointment_take_one_bay_not_two(shop):
    start = local(shop, "2026-06-15 10:00")
    mirrored = factories.appointment(shop, start, minutes=30)
    booking(
        shop,
        "2026-06-15 10:00",
        state=Booking.State.CONFIRMED,
        appointment_remote_id=mirrored.remote_id,
    )
    assert "10:00" in clock(shop, free_times(shop, MONDAY, 30, now=NOW))
    booking(shop, "2026-06-15 10:00", state=Booking.State.CONFIRMED, appointment_remote_id=1)
    assert "10:00" not in clock(shop, free_times(shop, MONDAY, 30, now=NOW))


def test_the_list_costs_the_same_queries_for_one_appointment_and_many(
    shop, django_assert_num_queries
):
    factories.appointment(shop, local(shop, "2026-06-15 10:00"))
    # The settings, the day's opening periods (none on a closed date), what is busy.
    with django_assert_num_queries(3):
        one = free_times(shop, MONDAY, 30, now=NOW)
    for hour in range(8, 17):
        factories.appointment(shop, local(shop, f"2026-06-15 {hour:02}:00"))
    with django_assert_num_queries(3):
        many = free_times(shop, MONDAY, 30, now=NOW)
    assert len(many) < len(one)


def test_the_sweep_counts_the_most_visits_in_progress_as_counting_every_minute_would():
    """`_peak` over `_occupancy` (one sort, whatever the number of start times) agrees with
    the rule's definition, checked minute by minute, on random calendars."""
    rng = random.Random(11)
    base = NOW.replace(minute=0)
    for _ in range(200):
        busy = []
        for _ in range(rng.randint(0, 12)):
            begins = base + timedelta(minutes=rng.randrange(0, 600, 15))
            busy.append((begins, begins + timedelta(minutes=rng.randrange(0, 180, 15))))
        occupancy = slots._occupancy(busy)
        start = base + timedelta(minutes=rng.randrange(0, 600, 15))
        end = start + timedelta(minutes=rng.randrange(15, 180, 15))
        moments = [start + timedelta(minutes=m) for m in range((end - start) // MINUTE)]
        expected = max(sum(1 for b, e in busy if b <= t < e) for t in moments)
        assert slots._peak(occupancy, start, end) == expected
