"""The dashboard's tests: the cast's shop in New York, and a way to fill its day."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from portal.booking.models import Booking
from tests.support import factories


@pytest.fixture
def shop(cast):
    cast.shop.timezone = "America/New_York"
    cast.shop.save()
    return cast.shop


def local(shop, day, clock: str = "10:00") -> datetime:
    """The instant of `clock` on the shop's local `day`."""
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=shop.zone)


def today(shop):
    return timezone.now().astimezone(shop.zone).date()


@pytest.fixture
def busy_day(shop):
    """A little of everything the overview shows."""
    owner = factories.customer(shop, first_name="Olive", last_name="Owner")
    car = factories.vehicle(shop, owner, make="Toyota", model="Corolla", license_plate="8XYZ001")
    order = factories.work_order(shop, owner, car, status="waiting_parts", number="WO-1001")
    factories.payment(shop, order, amount="120.00")
    factories.appointment(shop, timezone.now() + timedelta(hours=1), owner=owner, car=car)
    factories.part(shop, name="Brake pad set", quantity=1, reorder_threshold=4)
    factories.employee(shop)
    return order


def booking_of(shop, start: datetime, **fields) -> Booking:
    """A portal booking at `start` (confirmed unless `state` says otherwise)."""
    values = {
        "state": Booking.State.CONFIRMED,
        "starts_at": start,
        "ends_at": start + timedelta(minutes=30),
        "name": "Bea Booker",
        "email": "bea@example.com",
        "phone": "+13125550143",
        "vehicle_year": 2018,
        "vehicle_make": "Mazda",
        "vehicle_model": "3",
        **fields,
    }
    booking = Booking(shop=shop, **values)
    booking.issue_manage_token()
    booking.save()
    return booking
