"""The overview's and board's refresh with the page's poll pass (portal/accounts/passes.py):
answered from one query while nothing changed, and worth nothing for another session, another
shop, or once something changed."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.shops.models import Membership
from tests.support import factories

pytestmark = pytest.mark.django_db

PAGES = ("dashboard:overview", "dashboard:board")


def page_and_pass(client: Client, name: str, shop) -> tuple[str, str, str]:
    """The page's address, its poll pass and the tag its live part shows."""
    address = reverse(name, args=[shop.pk])
    page = client.get(address).content.decode()
    granted = re.search(r'"X-Poll-Pass": "([^"]+)"', page)[1]
    tag = re.search(r'"X-Dashboard-Seen": "([^"]+)"', page)[1]
    return address, granted, tag


def refresh(client: Client, address: str, granted: str, tag: str):
    headers = {"HX-Request": "true", "X-Poll-Pass": granted, "X-Dashboard-Seen": tag}
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(address, headers=headers)
    return answer, [query["sql"].lower() for query in captured]


def read_the_session(queries: list[str]) -> bool:
    return any("django_session" in sql for sql in queries)


@pytest.mark.parametrize("name", PAGES)
def test_an_unchanged_refresh_with_the_pass_costs_one_query_and_no_session(
    client, cast, busy_day, name
):
    client.force_login(cast.owner)
    address, granted, tag = page_and_pass(client, name, cast.shop)
    answer, queries = refresh(client, address, granted, tag)
    assert answer.status_code == 204 and answer.content == b""
    assert len(queries) == 1 and not read_the_session(queries)


@pytest.mark.parametrize("name", PAGES)
def test_a_change_sends_the_refresh_the_normal_way(client, cast, busy_day, name):
    client.force_login(cast.owner)
    address, granted, tag = page_and_pass(client, name, cast.shop)
    factories.work_order(cast.shop, status="draft")
    answer, queries = refresh(client, address, granted, tag)
    assert answer.status_code == 200 and b'id="' in answer.content
    assert read_the_session(queries)


def test_a_pass_is_worth_nothing_with_another_session(client, cast, busy_day):
    client.force_login(cast.owner)
    address, granted, tag = page_and_pass(client, "dashboard:overview", cast.shop)
    stranger = Client()
    stranger.force_login(cast.stranger)
    answer, queries = refresh(stranger, address, granted, tag)
    assert answer.status_code == 404 and read_the_session(queries)


def test_a_pass_for_one_shop_is_worth_nothing_at_another(client, cast, busy_day):
    """The stranger's pass, from their own shop's page, tried on the cast's shop with their
    own session: the normal way, which refuses them."""
    stranger = Client()
    stranger.force_login(cast.stranger)
    theirs = Membership.objects.filter(user=cast.stranger).first().shop
    _, granted, _ = page_and_pass(stranger, "dashboard:overview", theirs)
    client.force_login(cast.owner)
    address, _, tag = page_and_pass(client, "dashboard:overview", cast.shop)
    answer, queries = refresh(stranger, address, granted, tag)
    assert answer.status_code == 404 and read_the_session(queries)


def test_a_pass_is_worth_nothing_after_signing_out(client, cast, busy_day):
    client.force_login(cast.owner)
    address, granted, tag = page_and_pass(client, "dashboard:overview", cast.shop)
    client.logout()
    answer, _ = refresh(client, address, granted, tag)
    assert answer.status_code == 204 and "HX-Redirect" in answer.headers  # to the sign-in


def test_a_member_removed_from_the_team_is_refused_at_the_next_change(client, cast, busy_day):
    client.force_login(cast.teammate)
    address, granted, tag = page_and_pass(client, "dashboard:overview", cast.shop)
    Membership.objects.filter(user=cast.teammate, shop=cast.shop).delete()
    factories.payment(cast.shop, factories.work_order(cast.shop))
    answer, _ = refresh(client, address, granted, tag)
    assert answer.status_code == 404
