"""Shared pieces of the tests of the dashboard's inbox, settings and health pages: the cast's
shop in New York taking bookings, a weekday visit to book, and the pages every test visits
as a stranger."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from portal.booking.models import BookingSettings
from portal.mirror import books
from portal.shops.models import Membership, Role


@pytest.fixture
def shop(cast):
    """The cast's shop in New York, with the default booking settings (two bays, 30-minute
    slots, weekdays 08:00 to 17:00), its appointments completely mirrored."""
    cast.shop.timezone = "America/New_York"
    cast.shop.save()
    BookingSettings.for_shop(cast.shop)
    books.completed(cast.shop, "appointments")
    return cast.shop


@pytest.fixture
def manager(cast, django_user_model):
    user = django_user_model.objects.create_user(
        "mia@example.com", "pw-manager-1", name="Mia", email_verified_at=timezone.now()
    )
    Membership.objects.create(user=user, shop=cast.shop, role=Role.MANAGER)
    return user


def a_weekday_at(shop, hour: int, days_ahead: int = 7) -> datetime:
    """A weekday at least `days_ahead` days from now, at `hour` o'clock in the shop's zone."""
    day = timezone.now().astimezone(shop.zone).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=shop.zone)


@pytest.fixture
def queued(monkeypatch):
    """The tasks the services queue, by name, instead of queueing them."""
    from portal.booking import services

    calls: list[tuple] = []
    monkeypatch.setattr(
        services.confirm_booking, "delay", lambda *args: calls.append(("confirm", *args))
    )
    monkeypatch.setattr(services.send_email, "delay", lambda *args: calls.append(("email", *args)))
    return calls
