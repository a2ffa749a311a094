"""Fixtures of the booking tests: the cast's shop in New York with its default booking
settings, a fixed "now", and the details an owner types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.booking.models import BookingSettings
from portal.booking.services import CustomerDetails, VehicleDetails
from portal.mirror import books

# The mirror's live-sandbox fixtures: connected shops of the seeded account, the truth over
# HTTP, eager Celery, a budget of each test's own.
from tests.portal.mirror.conftest import (  # noqa: F401
    account,
    connect_shop,
    eager,
    private_budget,
    roomy_sandbox,
    truth,
)

#: "Now" in most booking tests: two weeks before the Monday they book on.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MONDAY = NOW.date().replace(day=15)

CUSTOMER = CustomerDetails("Olive Owner", "olive@example.com", "+13125550143")
VEHICLE = VehicleDetails(2019, "Honda", "Civic", vin="1HGCM82633A004352")


def local(shop, text: str) -> datetime:
    """ "2026-06-15 10:00" as the shop's wall time: an aware datetime in its zone."""
    return datetime.fromisoformat(text).replace(tzinfo=shop.zone)


def clock(shop, times) -> list[str]:
    """Instants as the shop's wall times, "10:00"."""
    return [f"{t.astimezone(shop.zone):%H:%M}" for t in times]


@pytest.fixture
def shop(cast):
    """The cast's shop in New York, with the default booking settings (two bays, 30-minute
    slots, weekdays 08:00 to 17:00), its appointments completely mirrored."""
    cast.shop.timezone = "America/New_York"
    cast.shop.save()
    BookingSettings.for_shop(cast.shop)
    books.completed(cast.shop, "appointments")  # the public pages offer times only then
    return cast.shop
