"""A visit filled in up to some step, in a test client's session, for the booking pages'
tests (the steps themselves are tested one by one in tests/portal/booking/test_pages.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from portal.booking.models import Service
from portal.booking.visit import SESSION_KEY
from portal.shops.models import Shop


def bookable_day(shop: Shop, days_ahead: int = 3) -> date:
    """A weekday (the default hours' open days) at least `days_ahead` days from today."""
    day = timezone.now().astimezone(shop.zone).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def at(shop: Shop, day: date, clock: str) -> datetime:
    """The instant of the shop's wall time `clock` ("10:00") on `day`."""
    return datetime.combine(day, datetime.strptime(clock, "%H:%M").time(), tzinfo=shop.zone)


def visit_data(shop: Shop, start: datetime, email: str = "olive@example.com") -> dict:
    """Every step done: an oil change for a 2019 Honda Civic at `start`, for Olive."""
    oil = Service.objects.get(shop=shop, name="Oil and filter change")
    return {
        "what": {"services": [oil.pk], "notes": "A rattle at the back"},
        "vehicle": {
            "year": 2019,
            "make": "Honda",
            "model": "Civic",
            "vin": "1HGCM82633A004352",
            "license_plate": "7ABC123",
        },
        "when": {"start": start.astimezone(UTC).isoformat()},
        "who": {"name": "Olive Owner", "email": email, "phone": "+13125550143"},
    }


def fill_visit(client, shop: Shop, start: datetime, steps: int = 4, **details) -> None:
    """The first `steps` steps of a visit at `shop`, done, in `client`'s session."""
    data = dict(list(visit_data(shop, start, **details).items())[:steps])
    session = client.session
    session[SESSION_KEY] = {"shop_id": shop.pk, "data": data}
    session.save()
