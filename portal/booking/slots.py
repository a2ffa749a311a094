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

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from portal.mirror.models import Appointment
from portal.shops.models import Shop

from .models import Booking, BookingSettings, ClosedDate, OpeningHours

#: Mirrored appointments longer than this are not looked for before the day's first visit.
LONGEST_APPOINTMENT = timedelta(days=1)

Interval = tuple[datetime, datetime]


def free_times(
    shop: Shop, day: date, minutes: int, *, now: datetime | None = None
) -> list[datetime]:
    """The instants a visit of `minutes` can start on the shop's local `day`, in order."""
    settings = BookingSettings.for_shop(shop)
    now = now or timezone.now()
    last_day = now.astimezone(shop.zone).date() + timedelta(days=settings.horizon_days)
    if not settings.enabled or day > last_day:
        return []
    if ClosedDate.objects.filter(shop=shop, date=day).exists():
        return []
    earliest = now + timedelta(minutes=settings.notice_minutes)
    length, slot = timedelta(minutes=minutes), timedelta(minutes=settings.slot_minutes)
    starts = sorted(
        {
            start
            for opens, closes in _opening_periods(shop, day)
            for start in _steps(opens, closes - length, slot)
            if start >= earliest
        }
    )
    if not starts:
        return []
    busy = _busy(shop, starts[0], starts[-1] + length, slot)
    return [start for start in starts if _peak(busy, start, start + length) < settings.capacity]


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
    """The day's opening periods as instants: the wall times read in the shop's zone."""
    zone = shop.zone
    for opens, closes in OpeningHours.objects.filter(shop=shop, weekday=day.weekday()).values_list(
        "opens", "closes"
    ):
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
    calendar, and only the ones running into the day matter."""
    appointments = (
        Appointment.objects.live()
        .of(shop)
        .filter(start_time__gte=start - LONGEST_APPOINTMENT, start_time__lt=end)
        .filter(Q(end_time__gt=start) | Q(end_time__isnull=True, start_time__gt=start - slot))
        .exclude(status="cancelled")
    )
    bookings = (
        Booking.objects.holding()
        .filter(shop=shop, starts_at__lt=end, ends_at__gt=start)
        .exclude(appointment_remote_id__in=Appointment.objects.of(shop).values("remote_id"))
    )
    busy = [
        (begins, ends or begins + slot)
        for begins, ends in appointments.values_list("start_time", "end_time")
    ]
    return busy + list(bookings.values_list("starts_at", "ends_at"))


def _peak(busy: list[Interval], start: datetime, end: datetime) -> int:
    """The most intervals of `busy` in progress at one moment between `start` and `end`
    (intervals include their start, not their end: back-to-back visits do not overlap)."""
    edges = sorted(
        edge
        for begins, ends in busy
        if begins < end and ends > start
        for edge in ((max(begins, start), 1), (min(ends, end), -1))
    )
    peak = current = 0
    for _, change in edges:
        current += change
        peak = max(peak, current)
    return peak
