"""Who may open each of a shop's staff pages. The pages are read from the URL resolver, so a
new page under shops/<id>/ fails here until it says who may open it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.booking.models import ChangeRequest, ClosedDate
from portal.shops.access import MANAGERS, OWNERS
from portal.shops.models import Invite, Membership, Role
from tests.support import factories
from tests.support.portal import PASSWORD
from tests.support.urls import arguments, named_routes

EVERYONE = frozenset(Role)

#: Every staff page of a shop: the method it is asked with, and the roles that may.
STAFF_PAGES = {
    "shops:detail": ("get", EVERYONE),
    "shops:invite-create": ("post", MANAGERS),
    "shops:invite-resend": ("post", MANAGERS),
    "shops:invite-cancel": ("post", MANAGERS),
    "shops:member-role": ("post", OWNERS),
    "shops:member-remove": ("post", OWNERS),
    "shops:disconnect": ("get", OWNERS),
    "mirror:shop-sync": ("get", EVERYONE),
    # The staff dashboard: the shop at a glance and the board (dash-board), the inbox,
    # settings and health (dash-manage).
    "dashboard:overview": ("get", EVERYONE),
    "dashboard:board": ("get", EVERYONE),
    "dashboard:inbox": ("get", EVERYONE),
    "dashboard:inbox-news": ("get", EVERYONE),
    "dashboard:answer-booking": ("post", EVERYONE),
    "dashboard:answer-change": ("post", EVERYONE),
    "dashboard:settings": ("get", MANAGERS),
    "dashboard:settings-booking": ("post", MANAGERS),
    "dashboard:settings-hours": ("post", MANAGERS),
    "dashboard:settings-closed-add": ("post", MANAGERS),
    "dashboard:settings-closed-remove": ("post", MANAGERS),
    "dashboard:settings-services": ("post", MANAGERS),
    "dashboard:settings-stuck": ("post", MANAGERS),
    "dashboard:health": ("get", EVERYONE),
    "dashboard:sync-now": ("post", EVERYONE),
}


SHOP_ROUTES = {
    name: route for name, route in named_routes() if route.startswith("shops/<int:shop_id>/")
}


def test_every_page_under_a_shop_says_who_may_open_it():
    assert set(SHOP_ROUTES) == set(STAFF_PAGES)


@pytest.fixture
def team(cast, django_user_model):
    """One member of each role in the cast's shop, a teammate to act on, a pending invite."""
    members = {
        role: Membership.objects.create(
            user=django_user_model.objects.create_user(f"{role}@example.com", PASSWORD),
            shop=cast.shop,
            role=role,
        )
        for role in Role
    }
    teammate = Membership.objects.get(user=cast.teammate, shop=cast.shop)
    invite = Invite.objects.create(shop=cast.shop, email="new@example.com", role=Role.STAFF)
    ids = {"shop_id": cast.shop.pk, "member_id": teammate.pk, "invite_id": invite.pk}
    ids |= dashboard_ids(cast.shop)
    return members, ids


def dashboard_ids(shop) -> dict:
    """A booking request with a change request, and a closed date, for the dashboard's pages."""
    booking = factories.portal_booking(shop, timezone.now() + timedelta(days=9))
    change = ChangeRequest.objects.create(booking=booking, kind=ChangeRequest.Kind.CANCEL)
    closed = ClosedDate.objects.create(shop=shop, date=timezone.now().date() + timedelta(days=9))
    return {"booking_id": booking.pk, "change_id": change.pk, "closed_id": closed.pk}


def url_of(name: str, ids: dict) -> str:
    return reverse(name, kwargs={key: ids[key] for key in arguments(SHOP_ROUTES[name])})


def ask(client, name: str, ids: dict):
    method, _ = STAFF_PAGES[name]
    return getattr(client, method)(url_of(name, ids))


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(STAFF_PAGES))
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, team, name):
    _, ids = team
    response = ask(client, name, ids)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(STAFF_PAGES))
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_stranger_gets_404_on_another_teams_shop(client, cast, team, name, method):
    _, ids = team
    client.force_login(cast.stranger)
    assert getattr(client, method)(url_of(name, ids)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(STAFF_PAGES))
@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_the_pages_its_role_allows_and_is_refused_the_rest(
    client, team, name, role
):
    members, ids = team
    client.force_login(members[role].user)
    status = ask(client, name, ids).status_code
    if role in STAFF_PAGES[name][1]:
        assert status not in (403, 404), status
    else:
        assert status == 403


@pytest.mark.django_db
def test_a_refusal_says_who_may_do_it(client, team):
    members, ids = team
    client.force_login(members[Role.STAFF].user)
    refused = client.post(reverse("shops:invite-create", kwargs={"shop_id": ids["shop_id"]}))
    assert b"Only the shop&#x27;s owners and managers can do this." in refused.content
    client.force_login(members[Role.MANAGER].user)
    refused = client.get(reverse("shops:disconnect", kwargs={"shop_id": ids["shop_id"]}))
    assert b"Only the shop&#x27;s owners can do this." in refused.content
