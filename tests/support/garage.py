"""The garage's test helpers: a vehicle owner signed in by writing their session, and the
cast's other shop connected (the `owners` fixture leaves it without a connection)."""

from __future__ import annotations

from django.test import Client

from portal.accounts.owners import SESSION_KEY
from portal.shops.models import Shop
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
    from datetime import timedelta

    from portal.booking.models import Booking

    made = Booking(
        shop=shop,
        state=state,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        name="Tom Owner",
        email=email,
        phone="+13125550143",
        vehicle_year=2019,
        vehicle_make="Honda",
        vehicle_model="Civic",
        **fields,
    )
    made.issue_manage_token()
    made.save()
    return made
