"""The reminder the day before a visit: sent at most once, only for a confirmed booking, and
never late (docs/booking.md, "Reminders").

A visit's reminder is due at the same wall-clock time the day before, in the shop's zone, and
may go out until `WINDOW` after that; a reminder still unsent then (the beat or the workers were
down, the booking was confirmed later) is dropped: a reminder on the day itself, or hours after
the owner expected it, helps no one. Each reminder is claimed by a conditional UPDATE before it
is sent, so two beats or workers never both send it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from . import emails
from .models import Booking

log = logging.getLogger(__name__)

#: How long after its moment a reminder may still go out. The beat runs every 10 minutes.
WINDOW = timedelta(hours=2)


def moment(booking: Booking) -> datetime:
    """When the reminder is due: the visit's local time, the day before (a day of 23 or 25
    hours around a daylight-saving change is still "the day before")."""
    zone = booking.shop.zone
    local = booking.starts_at.astimezone(zone)
    day_before = datetime.combine(local.date() - timedelta(days=1), local.time(), tzinfo=zone)
    return day_before.astimezone(UTC)


def send_due(now: datetime | None = None) -> int:
    """Send every reminder due now; the number sent."""
    now = now or timezone.now()
    candidates = Booking.objects.select_related("shop").filter(
        state=Booking.State.CONFIRMED,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        # The day before is at most 25 hours before, on the day clocks go back.
        starts_at__lte=now + timedelta(hours=25),
    )
    sent = 0
    for booking in candidates:
        due = moment(booking)
        if not due <= now < due + WINDOW:
            continue
        claimed = Booking.objects.filter(
            pk=booking.pk, state=Booking.State.CONFIRMED, reminder_sent_at__isnull=True
        ).update(reminder_sent_at=now)
        if claimed:
            # At most once: a reminder whose sending fails is not sent again.
            try:
                emails.send_reminder(booking)
            except Exception:
                log.exception("The reminder of booking %s could not be sent", booking.pk)
            else:
                sent += 1
    return sent
