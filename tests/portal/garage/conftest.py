"""The garage's scene: the cast's vehicle owners with records at both shops, both connected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.booking.models import Booking
from portal.mirror.models import Appointment, Payment, WorkOrder
from portal.shops.models import Shop
from tests.support import factories
from tests.support.factories import Owners
from tests.support.garage import booking, connect_other_shop


@dataclass
class Records:
    """One owner's records at one shop."""

    work_order: WorkOrder
    payment: Payment
    appointment: Appointment
    booking: Booking


@dataclass
class Scene:
    owners: Owners
    main: Shop  # the cast's shop
    other: Shop  # another team's, connected
    tom_main: Records  # the owner of two shops, at each
    tom_other: Records
    sid: Records  # the stranger, at the other shop
    olive: Records  # the owner of one shop


def records_of(shop: Shop, customer, car, email: str, status: str = "in_progress") -> Records:
    order = factories.work_order(shop, customer, car, status=status)
    paid = factories.payment(shop, order, amount=order.total / 2)
    soon = timezone.now() + timedelta(days=3)
    phoned = factories.appointment(shop, soon, owner=customer, car=car)
    booked = booking(shop, soon + timedelta(days=1), email)
    return Records(order, paid, phoned, booked)


@pytest.fixture
def scene(cast, owners) -> Scene:
    other = connect_other_shop(owners)
    tom, sid, olive = owners.two_shops, owners.stranger, owners.one_shop
    return Scene(
        owners=owners,
        main=cast.shop,
        other=other,
        tom_main=records_of(cast.shop, tom.customers[0], tom.vehicles[0], tom.email),
        tom_other=records_of(
            other, tom.customers[1], tom.vehicles[1], tom.email, status="invoiced"
        ),
        sid=records_of(other, sid.customers[0], sid.vehicles[0], sid.email),
        olive=records_of(cast.shop, olive.customers[0], olive.vehicles[0], olive.email),
    )
