"""Every page costs the same number of queries with one row as with many. The pages are read
from the URL resolver, so a new page fails here until it is listed."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal.accounts import verification
from portal.booking.models import Booking, BookingSettings, Service
from portal.booking.visit import BOOKED_KEY
from portal.mirror import books
from portal.mirror.models import Customer
from portal.shops import invites
from portal.shops.models import Invite, Membership, Role, Shop
from tests.support import factories
from tests.support.booking import at, bookable_day, fill_visit
from tests.support.portal import PASSWORD
from tests.support.urls import arguments, named_routes

#: Every page: who asks for it (a member of the cast, or None for a visitor).
PAGES = {
    "home": None,
    "accounts:account": "owner",
    "accounts:signup": None,
    "accounts:signup-done": None,
    "accounts:verify-email": None,
    "accounts:login": None,
    "accounts:password_change": "owner",
    "accounts:password_change_done": "owner",
    "accounts:password_reset": None,
    "accounts:password_reset_done": None,
    "accounts:password_reset_confirm": None,
    "accounts:password_reset_complete": None,
    "shops:list": "owner",
    "shops:detail": "owner",
    "shops:disconnect": "owner",
    "shops:invite": None,
    "shops:connect": "owner",
    "mirror:shop-sync": "owner",
    # The public booking pages: a visitor with a visit in their session (see booking_visit).
    "booking:shop": None,
    "booking:what": None,
    "booking:vehicle": None,
    "booking:when": None,
    "booking:times": None,
    "booking:who": None,
    "booking:review": None,
    "booking:booked": None,
    # The vehicle owner's sign-in (its other pages: tests/portal/garage/test_page_queries.py).
    "garage:sign-in": None,
    "garage:sign-in-code": None,
    "booking:manage": None,
    # The dashboard's inbox, settings and health (dash-manage).
    "dashboard:inbox": "owner",
    "dashboard:settings": "owner",
    "dashboard:health": "owner",
    # The staff dashboard: the shop at a glance and the work-order board.
    "dashboard:overview": "owner",
    "dashboard:board": "owner",
}

#: Named URLs that are not pages, and where they are tested.
NOT_PAGES = {
    "accounts:logout",  # POST only (test_accounts.py)
    "accounts:verify-again",
    "shops:invite-create",  # the team's changes: POST only (test_teams.py)
    "shops:invite-resend",
    "shops:invite-cancel",
    "shops:member-role",
    "shops:member-remove",
    "shops:connect-callback",  # AutoSync's redirect (test_connect.py)
    "mirror:autosync-webhook",  # a machine endpoint (test_webhooks.py)
    "healthz",  # for load balancers (test_operations.py)
    "readyz",
    "accounts:dev-mailbox",  # development tools, off in production (test_accounts.py)
    "accounts:dev-mail",
    "accounts:dev-mail-attachment",
    # The vehicle owner's garage: counted with one row and many, owner by owner, in
    # tests/portal/garage/test_page_queries.py.
    "garage:home",
    "garage:vehicles",
    "garage:appointments",
    "garage:booking",
    "garage:appointment",
    "garage:work-orders",
    "garage:work-order",
    "garage:work-order-status",
    "garage:payments",
    "garage:payments-csv",
    "garage:receipt",
    "garage:sign-out",  # POST only (test_signin.py)
    # Reached by a token from an email; they show one record and list nothing
    # (test_signin.py, test_notifications.py).
    "garage:sign-in-link",
    "garage:unsubscribe",
    # The owner's three kinds of email, on or off: nothing per row (test_notifications.py).
    "garage:preferences",
    # The dashboard's answers, settings changes and "sync now": POST only (tests/portal/dashboard/)
    "dashboard:answer-booking",
    "dashboard:answer-change",
    "dashboard:settings-booking",
    "dashboard:settings-hours",
    "dashboard:settings-closed-add",
    "dashboard:settings-closed-remove",
    "dashboard:settings-services",
    "dashboard:settings-stuck",
    "dashboard:sync-now",
    # The inbox's notice, polled: one query (tests/portal/dashboard/test_live_manage.py)
    "dashboard:inbox-news",
}

ROUTES = {name: route for name, route in named_routes() if not name.startswith("admin:")}


def test_every_page_is_counted_and_everything_else_says_why_not():
    assert set(ROUTES) == set(PAGES) | NOT_PAGES
    assert not set(PAGES) & NOT_PAGES


def add_rows(cast, django_user_model, count: int) -> None:
    """`count` more of everything a page lists: the owner's shops (all on the cast's grant),
    teammates, pending invites, mirrored records."""
    now = timezone.now()
    for n in range(count):
        shop = Shop.objects.create(
            remote_id=91000 + n, name=f"Garage {n}", connection=cast.connection
        )
        Membership.objects.create(user=cast.owner, shop=shop, role=Role.OWNER)
        mate = django_user_model.objects.create_user(f"mate{n}@example.com", PASSWORD)
        Membership.objects.create(user=mate, shop=cast.shop, role=Role.STAFF)
        Invite.objects.create(shop=cast.shop, email=f"invited{n}@example.com")
        Customer.objects.create(shop=cast.shop, remote_id=n, observed_at=now, confirmed_at=now)
        # The booking pages: services on the menu, hours, mirrored appointments and portal
        # bookings on the day whose free times are listed.
        Service.objects.create(shop=cast.shop, name=f"Service {n}", minutes=30)
        factories.appointment(cast.shop, at(cast.shop, bookable_day(cast.shop), "09:00"))
        make_booking(cast.shop, "11:00", f"booker{n}@example.com")


def make_booking(shop: Shop, clock: str, email: str) -> tuple[Booking, str]:
    """A confirmed booking on the listed day, and its manage link's secret."""
    start = at(shop, bookable_day(shop), clock)
    booking = Booking(
        shop=shop,
        state=Booking.State.CONFIRMED,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        name="Olive Owner",
        email=email,
        phone="+13125550143",
        vehicle_year=2019,
        vehicle_make="Honda",
        vehicle_model="Civic",
    )
    token = booking.issue_manage_token()
    booking.save()
    booking.services.set(Service.objects.filter(shop=shop)[:2])
    return booking, token


def booking_visit(client, cast) -> str:
    """A visitor's visit, every step done, and the booking they just made; its manage link."""
    shop = cast.shop
    BookingSettings.for_shop(shop)  # made on the first look: not counted on either side
    books.completed(shop, "appointments")
    booking, token = make_booking(shop, "10:00", "olive@example.com")
    fill_visit(client, shop, at(shop, bookable_day(shop), "14:00"))
    session = client.session
    session[BOOKED_KEY] = {"booking": booking.pk, "token": token}
    session.save()
    return reverse("booking:manage", args=[token])


def url_of(name: str, cast, invite: Invite, manage_link: str) -> str:
    emailed = {  # pages reached from a link in an email
        "shops:invite": lambda: invites.link_for(invite),
        "accounts:verify-email": lambda: verification.link_for(cast.owner),
        "booking:manage": lambda: manage_link,
    }
    if name in emailed:
        return urlsplit(emailed[name]()).path
    if name in ("booking:when", "booking:times"):  # a day's free times, listed
        day = bookable_day(cast.shop).isoformat()
        services = Service.objects.filter(shop=cast.shop).first().pk
        return reverse(name, args=[cast.shop.slug]) + f"?day={day}&services={services}"
    values = {
        "slug": cast.shop.slug,
        "shop_id": cast.shop.pk,
        "uidb64": urlsafe_base64_encode(force_bytes(cast.owner.pk)),
        "token": default_token_generator.make_token(cast.owner),
    }
    return reverse(name, kwargs={key: values[key] for key in arguments(ROUTES[name])})


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, follow=True)  # a reset link redirects to its form
    assert response.status_code == 200, response.content[:500]
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_page_costs_the_same_queries_for_one_row_and_many(
    client, cast, django_user_model, settings, name
):
    settings.AUTOSYNC_CLIENT_ID = "portal"  # the connect page itself, not its failure page
    invite = Invite.objects.create(shop=cast.shop, email="dana@example.com")
    Customer.objects.create(
        shop=cast.shop, remote_id=9999, observed_at=timezone.now(), confirmed_at=timezone.now()
    )
    manage_link = booking_visit(client, cast)
    if PAGES[name]:
        client.force_login(getattr(cast, PAGES[name]))
    url = url_of(name, cast, invite, manage_link)
    one = queries_for(client, url)
    add_rows(cast, django_user_model, 12)
    assert queries_for(client, url) == one
