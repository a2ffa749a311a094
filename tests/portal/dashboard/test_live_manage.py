"""The inbox's notice and the health page's figures refresh themselves while the page is open:
204 (or 304) without rendering while nothing changed, the news or the new figures once
something did, members only, and a poll after the session ended takes the page to sign in."""

# The fixtures come from manage_support (imported, so tests name them as parameters).
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.booking.models import Booking, ChangeRequest
from portal.dashboard.views import SEEN_HEADER
from portal.mirror import books
from portal.mirror.models import ResourceState, WebhookEvent
from portal.mirror.resources import REGISTRY
from portal.shops.models import Connection
from tests.support.factories import appointment, customer, portal_booking

from .manage_support import a_weekday_at, manager, queued, shop  # noqa: F401

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SEEN = "HTTP_" + SEEN_HEADER.upper().replace("-", "_")


def inbox_url(shop) -> str:
    return reverse("dashboard:inbox", args=[shop.pk])


def health_url(shop) -> str:
    return reverse("dashboard:health", args=[shop.pk])


def poll_of(page: str, element_id: str) -> tuple[str, str]:
    """The address and the tag the element `element_id` of `page` polls with."""
    element = re.search(rf'<[a-z]+ id="{element_id}"[^>]*>', page)
    assert element, f"no #{element_id}"
    address = re.search(r'hx-get="([^"]+)"', element.group(0))
    tag = re.search(rf'"{SEEN_HEADER}": "(\w+)"', element.group(0))
    assert address and tag, element.group(0)
    return address.group(1).replace("&amp;", "&"), tag.group(1)


def poll(client, address: str, tag: str, **headers):
    return client.get(address, **HTMX, **{SEEN: tag}, **headers)


# --- The inbox's notice -------------------------------------------------------------------


@pytest.fixture
def request_(shop):
    return portal_booking(shop, a_weekday_at(shop, 10), name="Olive Owner")


def opened_inbox(client, user, shop) -> tuple[str, str, str]:
    """The inbox as `user` opens it, and the address and tag its notice polls with."""
    client.force_login(user)
    page = client.get(inbox_url(shop)).content.decode()
    return (page, *poll_of(page, "inbox-news"))


def test_the_inbox_has_a_polite_notice_and_without_javascript_a_refresh_link(
    client, cast, shop, request_
):
    page, address, _ = opened_inbox(client, cast.teammate, shop)
    top = page[page.index('<div class="inbox-news">') : page.index('id="inbox-items"')]
    assert re.search(r'<div aria-live="polite">\s*<div id="inbox-news"', top)
    assert f'<noscript><p class="muted small"><a href="{inbox_url(shop)}">Refresh</a>' in top
    assert address.startswith(reverse("dashboard:inbox-news", args=[shop.pk]))
    assert "came in." not in top and "The list changed" not in top


def test_an_unchanged_inbox_answers_204_from_one_query_and_304_to_a_revalidation(
    client, cast, shop, request_, django_assert_num_queries
):
    _, address, tag = opened_inbox(client, cast.teammate, shop)
    with django_assert_num_queries(4):  # session, user, membership, the version
        response = poll(client, address, tag)
    assert response.status_code == 204 and response.content == b""
    assert client.get(address, HTTP_IF_NONE_MATCH=f'"{tag}"').status_code == 304


def test_the_notice_says_new_requests_came_in_once_a_booking_request_is_made(
    client, cast, shop, request_
):
    _, address, tag = opened_inbox(client, cast.teammate, shop)
    portal_booking(shop, a_weekday_at(shop, 11), name="Nina New")
    response = poll(client, address, tag)
    assert response.status_code == 200 and response["ETag"].strip('"') != tag
    notice = response.content.decode()
    assert "New requests came in." in notice
    assert f'<a href="{inbox_url(shop)}">Show the latest</a>' in notice
    assert "hx-get" not in notice  # said once: the notice polls no more
    assert "Nina New" not in notice  # the items are not swapped


def test_a_change_request_is_news_too(client, cast, shop, request_):
    held = portal_booking(shop, a_weekday_at(shop, 12), state="confirmed", name="Cleo")
    _, address, tag = opened_inbox(client, cast.teammate, shop)
    ChangeRequest.objects.create(booking=held, kind="cancel", message="Car sold")
    assert "New requests came in." in poll(client, address, tag).content.decode()


def test_a_request_about_an_appointment_made_by_phone_is_news_too(client, cast, shop, request_):
    phoned = appointment(shop, timezone.now() + timedelta(days=2))
    _, address, tag = opened_inbox(client, cast.teammate, shop)
    ChangeRequest.objects.create(
        shop=shop, appointment_remote_id=phoned.remote_id, kind="cancel", email="o@example.com"
    )
    assert "New requests came in." in poll(client, address, tag).content.decode()


def test_a_request_a_teammate_answered_changes_the_list(client, cast, shop, request_, queued):
    _, address, tag = opened_inbox(client, cast.teammate, shop)
    Booking.objects.filter(pk=request_.pk).update(
        state=Booking.State.DECLINED, answered_at=timezone.now()
    )
    notice = poll(client, address, tag).content.decode()
    assert "The list changed." in notice and "New requests" not in notice


def test_a_booking_that_fails_again_is_seen_though_another_left(client, cast, shop):
    again = portal_booking(shop, a_weekday_at(shop, 9), state="pending", name="Fred")
    gone = portal_booking(shop, a_weekday_at(shop, 10), name="Gina")
    portal_booking(shop, a_weekday_at(shop, 11), name="Nina")  # the newest, staying
    _, address, tag = opened_inbox(client, cast.teammate, shop)
    # One goes, an older one comes back at once: as many wait, the newest is the same.
    Booking.objects.filter(pk=gone.pk).update(state=Booking.State.DECLINED)
    Booking.objects.filter(pk=again.pk).update(
        state=Booking.State.FAILED, updated_at=timezone.now() + timedelta(seconds=1)
    )
    assert "The list changed." in poll(client, address, tag).content.decode()


def test_after_an_answer_in_place_the_notice_polls_from_the_new_list(
    client, cast, shop, request_, queued
):
    other = portal_booking(shop, a_weekday_at(shop, 11), name="Nina")
    opened_inbox(client, cast.teammate, shop)
    answered = client.post(
        reverse("dashboard:answer-booking", args=[shop.pk, other.pk]),
        {"action": "decline", "note": "Full that day"},
        **HTMX,
    ).content.decode()
    assert '<div id="inbox-news" hx-swap-oob="true"' in answered
    address, tag = poll_of(answered, "inbox-news")
    assert poll(client, address, tag).status_code == 204  # our own answer is no news


def test_the_notice_without_htmx_leads_to_the_inbox(client, cast, shop, request_):
    _, address, _ = opened_inbox(client, cast.teammate, shop)
    response = client.get(address)
    assert response.status_code == 302 and response["Location"] == inbox_url(shop)


# --- The health page's figures ------------------------------------------------------------


def all_complete(shop) -> None:
    for name in REGISTRY:
        books.completed(shop, name)
        books.succeeded(shop, name)


def opened_health(client, user, shop) -> tuple[str, str, str]:
    client.force_login(user)
    page = client.get(health_url(shop)).content.decode()
    return (page, *poll_of(page, "health-live"))


def test_the_health_figures_poll_and_the_forms_stay_outside_what_is_swapped(client, cast, shop):
    cast.connection.set_status(Connection.Status.NEEDS_RECONNECTING, "Grant revoked")
    cast.connection.save()
    page, address, _ = opened_health(client, cast.owner, shop)
    assert address == health_url(shop)
    live = page[page.index('id="health-live"') :]
    assert "<form" not in live and "Records" in live and "Live updates from AutoSync" in live
    assert f'<noscript> <a href="{health_url(shop)}">Refresh</a>' in live
    before = page[: page.index('id="health-live"')]
    assert 'action="/connect/autosync/"' in before  # reconnect
    assert reverse("dashboard:sync-now", args=[shop.pk]) in before
    # The progress bars keep their own poll (the mirror's), once.
    assert page.count(f'hx-get="/shops/{shop.pk}/sync/?panel=1"') == 1


def test_unchanged_health_figures_answer_204_from_one_query_and_304_to_a_revalidation(
    client, cast, shop, django_assert_num_queries
):
    all_complete(shop)
    _, address, tag = opened_health(client, cast.teammate, shop)
    with django_assert_num_queries(4):  # session, user, membership, the version
        response = poll(client, address, tag)
    assert response.status_code == 204 and response.content == b""
    assert client.get(address, HTTP_IF_NONE_MATCH=f'"{tag}"', **HTMX).status_code == 304


@pytest.mark.parametrize(
    "change, shown",
    [
        (lambda shop: books.failed(shop, "vehicles", "AutoSync answered 503"), "answered 503"),
        (lambda shop: books.succeeded(shop, "customers"), ">just now</time>"),
        (lambda shop: books.forget_completeness(shop, ["payments"]), "Still arriving"),
        (lambda shop: books.note_total(shop, "customers", 4321), "4321"),
        (
            lambda shop: ResourceState.objects.filter(shop=shop, resource="vehicles").update(
                skipped=3, last_skipped="vehicle 9: no year"
            ),
            "vehicle 9: no year",
        ),
        (
            lambda shop: WebhookEvent.objects.create(
                key="dlv_1", name="customer.updated", shop_remote_id=shop.remote_id, body={}
            ),
            "<dt>Received, last 24 hours</dt><dd>1</dd>",
        ),
        (
            lambda shop: books.count_refusal("malformed", shop.remote_id),
            "<dt>Refused, last 24 hours</dt><dd>1 ",
        ),
        (
            lambda shop: Connection.objects.filter(pk=shop.connection_id).update(
                status=Connection.Status.NEEDS_RECONNECTING, status_reason="Grant revoked"
            ),
            "Needs attention:",
        ),
    ],
    ids=[
        "sync failing",
        "sync succeeded",
        "resource arriving again",
        "autosync total",
        "records skipped",
        "webhook received",
        "webhook refused",
        "connection lost",
    ],
)
def test_the_health_figures_come_anew_once_the_sync_or_connection_changed(
    client, cast, shop, change, shown
):
    all_complete(shop)
    ResourceState.objects.update(last_success_at=timezone.now() - timedelta(hours=2))
    _, address, tag = opened_health(client, cast.teammate, shop)
    change(shop)
    response = poll(client, address, tag)
    assert response.status_code == 200 and response["ETag"].strip('"') != tag
    part = response.content.decode()
    assert shown in part
    # The live part, and what comes with it out of band; not the page around them.
    assert 'id="health-live"' in part and "<form" not in part and "<nav" not in part
    for piece in ("health-badge", "health-alerts", "health-connection"):
        assert re.search(rf'id="{piece}"[^>]* hx-swap-oob="true"', part), piece
    assert poll_of(part, "health-live")[1] == response["ETag"].strip('"')


def test_a_changed_health_part_costs_the_same_queries_with_one_row_or_many(client, cast, shop):
    counts = []
    for rows in (1, 20):
        for n in range(rows):
            customer(shop, first_name=f"C{rows}-{n}")
        books.failed(shop, "customers", f"failure {rows}")
        client.force_login(cast.teammate)
        with CaptureQueriesContext(connection) as queries:
            assert poll(client, health_url(shop), "old").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Who may poll -------------------------------------------------------------------------


POLLS = {
    "inbox": lambda shop: reverse("dashboard:inbox-news", args=[shop.pk]),
    "health": health_url,
}


@pytest.mark.parametrize("which", POLLS)
def test_a_member_of_another_shop_and_a_stranger_get_404_from_the_polls(
    client, cast, shop, django_user_model, which
):
    nobody = django_user_model.objects.create_user("nobody@example.com", "pw-nobody-1")
    for user in (cast.stranger, nobody):  # the owner of another shop; a member of none
        client.force_login(user)
        assert client.get(POLLS[which](shop), **HTMX, **{SEEN: "x"}).status_code == 404


@pytest.mark.parametrize("which", POLLS)
def test_every_role_of_the_shop_may_poll(client, cast, shop, manager, which):
    for user in (cast.owner, manager, cast.teammate):
        client.force_login(user)
        assert client.get(POLLS[which](shop), **HTMX, **{SEEN: "x"}).status_code == 200


@pytest.mark.parametrize("which", POLLS)
def test_a_poll_after_the_session_ended_takes_the_whole_page_to_sign_in(client, cast, shop, which):
    page = inbox_url(shop) if which == "inbox" else health_url(shop)
    response = client.get(
        POLLS[which](shop), **HTMX, **{SEEN: "x"}, HTTP_HX_CURRENT_URL=f"http://testserver{page}"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("accounts:login") + "?" + urlencode({"next": page})
