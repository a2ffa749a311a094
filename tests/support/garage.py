"""The garage's test helpers: a vehicle owner signed in by writing their session (in a test
client or a browser), the cast's other shop connected (the `owners` fixture leaves it
without a connection), and a scene of owners with records at both shops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone

from portal.accounts.owners import SESSION_KEY
from portal.booking.models import Booking
from portal.mirror.models import Appointment, Payment, WorkOrder
from portal.shops.models import Shop
from tests.support import factories
from tests.support.factories import Owners
from tests.support.portal import connection_with


def garage_client(client: Client, email: str) -> Client:
    """`client` signed in as the vehicle owner `email` (as the garage's sign-in leaves it)."""
    session = client.session
    session[SESSION_KEY] = email.strip().lower()
    session.save()
    return client


def connect_other_shop(owners: Owners) -> Shop:
    """The stranger's shop (where the owner of two shops is a customer too), connected. An
    update, not a save: a saved shop would queue its first sync."""
    shop = owners.stranger.customers[0].shop
    Shop.objects.filter(pk=shop.pk).update(
        connection=connection_with(access="at-2", refresh="rt-2")
    )
    shop.refresh_from_db()
    return shop


def booking(shop: Shop, start, email: str, state: str = "pending", **fields):
    """A portal booking of `email` at `start` (an hour), in `state`."""
    fields.setdefault("name", "Tom Owner")
    return factories.portal_booking(shop, start, state, minutes=60, email=email, **fields)


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


def build_scene(cast, owners: Owners) -> Scene:
    """The cast's vehicle owners with records at both shops, both connected: the owner of two
    shops an open work order at the cast's shop and an invoiced one at the other."""
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


def owner_page(browser, live_server, email: str, *, width=1280, javascript=True):
    """A page of a new browser context signed in as the vehicle owner `email`."""
    client = garage_client(Client(), email)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page
