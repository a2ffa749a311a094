"""Free times: the one rule that decides both what the booking page lists and whether a booking
is accepted (docs/booking.md).

A time is free when a visit starting then fits in one of the day's opening periods, respects
the shop's notice and horizon, and at no moment of the visit are `capacity` appointments
already in progress: those mirrored from AutoSync (phone bookings included, cancelled ones
not) and the portal's bookings that hold a time but are not mirrored yet.

Times are instants (aware datetimes in UTC). Opening hours are wall-clock times in the shop's
zone, turned into instants day by day, and visits are stepped in real minutes from there: on a
daylight-saving day the shop's 08:00 is the right instant, the missing hour is never offered
and the repeated one is offered twice, once per instant. Instants are compared in UTC: two
aware datetimes sharing a ZoneInfo compare by wall time, blind to the repeated hour.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from portal.mirror.models import Appointment
from portal.shops.models import Shop

from .cache import remembered
from .models import Booking, BookingSettings, ClosedDate, OpeningHours

#: Mirrored appointments longer than this are not looked for before the day's first visit.
LONGEST_APPOINTMENT = timedelta(days=1)

Interval = tuple[datetime, datetime]
#: A step function of how many visits are in progress (`_occupancy`).
Occupancy = tuple[list[datetime], list[int]]


def free_times(
    shop: Shop,
    day: date,
    minutes: int,
    *,
    now: datetime | None = None,
    settings: BookingSettings | None = None,
    listing: bool = False,
) -> list[datetime]:
    """The instants a visit of `minutes` can start on the shop's local `day`, in order.
    `settings` are the shop's when the caller has them already (read with the shop).

    `listing`: for a page that only shows the times, whose shop comes from `public_shops`
    with the settings: the day's times may be the ones computed for the same calendar
    version (`portal.booking.cache`), the notice and the horizon applied now all the same.
    Never when deciding a booking."""
    settings = settings or BookingSettings.for_shop(shop)
    now = now or timezone.now()
    last_day = now.astimezone(shop.zone).date() + timedelta(days=settings.horizon_days)
    if not settings.enabled or day > last_day:
        return []
    earliest = now + timedelta(minutes=settings.notice_minutes)

    def compute() -> list[datetime]:
        return _free_on(shop, day, minutes, settings)

    times = remembered(shop, ("free times", day, minutes), compute) if listing else compute()
    return [start for start in times if start >= earliest]


def _free_on(shop: Shop, day: date, minutes: int, settings: BookingSettings) -> list[datetime]:
    """The day's free times whenever one asks: the opening periods stepped by the slot, each
    with a bay free for the whole visit. Two queries: the periods, then what is busy."""
    length, slot = timedelta(minutes=minutes), timedelta(minutes=settings.slot_minutes)
    starts = sorted(
        {
            start
            for opens, closes in _opening_periods(shop, day)
            for start in _steps(opens, closes - length, slot)
        }
    )
    if not starts:
        return []
    occupancy = _occupancy(_busy(shop, starts[0], starts[-1] + length, slot))
    return [
        start for start in starts if _peak(occupancy, start, start + length) < settings.capacity
    ]


def nearest_free_times(
    shop: Shop, wanted: datetime, minutes: int, count: int = 3, *, now: datetime | None = None
) -> list[datetime]:
    """Up to `count` free times closest to `wanted`, from its day and the days after it."""
    settings = BookingSettings.for_shop(shop)
    day = wanted.astimezone(shop.zone).date()
    found: list[datetime] = []
    for offset in range(settings.horizon_days + 1):
        found += free_times(shop, day + timedelta(days=offset), minutes, now=now)
        if len(found) >= count:
            break
    return sorted(found, key=lambda start: (abs(start - wanted), start))[:count]


def _opening_periods(shop: Shop, day: date) -> Iterator[Interval]:
    """The day's opening periods as instants (the wall times read in the shop's zone); none on
    a closed date. One query: the periods, unless the day is closed."""
    zone = shop.zone
    closed = ClosedDate.objects.filter(shop=shop, date=day)
    periods = OpeningHours.objects.filter(shop=shop, weekday=day.weekday()).filter(~Exists(closed))
    for opens, closes in periods.values_list("opens", "closes"):
        yield (
            datetime.combine(day, opens, tzinfo=zone).astimezone(UTC),
            datetime.combine(day, closes, tzinfo=zone).astimezone(UTC),
        )


def _steps(first: datetime, last: datetime, step: timedelta) -> Iterator[datetime]:
    """`first`, `first + step`, … up to `last` included (UTC: real minutes, not wall time)."""
    start = first
    while start <= last:
        yield start
        start += step


def _busy(shop: Shop, start: datetime, end: datetime, slot: timedelta) -> list[Interval]:
    """What already occupies the shop between `start` and `end`: mirrored appointments that
    are not cancelled (one without an end takes a slot), and the portal's bookings that hold
    a time and whose appointment is not in the mirror yet (so none is counted twice). The
    database drops what ends by `start`: the day before's appointments are many on a busy
    calendar, and only the ones running into the day matter. One query (UNION ALL) reads the
    two columns of both."""
    appointments = (
        Appointment.objects.live()
        .of(shop)
        .filter(
            Q(end_time__gt=start) | Q(end_time__isnull=True, start_time__gt=start - slot),
            ~Q(status="cancelled"),
            start_time__gte=start - LONGEST_APPOINTMENT,
            start_time__lt=end,
        )
    )
    bookings = (
        Booking.objects.holding()
        .filter(shop=shop, starts_at__lt=end, ends_at__gt=start)
        # NOT EXISTS on the mirror's (shop, remote_id) key: a lookup per booking, where NOT IN
        # would read the ids of all the shop's appointments.
        .exclude(
            Exists(Appointment.objects.of(shop).filter(remote_id=OuterRef("appointment_remote_id")))
        )
    )
    both = (
        appointments.order_by()
        .values_list("start_time", "end_time")
        .union(bookings.order_by().values_list("starts_at", "ends_at"), all=True)
    )
    return [(begins, ends or begins + slot) for begins, ends in both]


def _occupancy(busy: list[Interval]) -> Occupancy:
    """How many intervals of `busy` are in progress, as a step function: `counts[i]` from
    `moments[i]` until the next moment (none before the first). Intervals include their start,
    not their end, and all the changes at one moment are applied together: back-to-back
    visits do not overlap. One sort of the edges, whatever the number of start times."""
    changes: dict[datetime, int] = {}
    for begins, ends in busy:
        if begins < ends:
            changes[begins] = changes.get(begins, 0) + 1
            changes[ends] = changes.get(ends, 0) - 1
    moments = sorted(changes)
    counts, current = [], 0
    for moment in moments:
        current += changes[moment]
        counts.append(current)
    return moments, counts


def _peak(occupancy: Occupancy, start: datetime, end: datetime) -> int:
    """The most intervals in progress at one moment between `start` and `end` (excluded): the
    step in force at `start`, and every step that begins before `end`."""
    moments, counts = occupancy
    first = max(bisect_right(moments, start) - 1, 0)
    return max(counts[first : bisect_left(moments, end)], default=0)
