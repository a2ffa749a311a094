"""The tags and includes every page shares, rendered as pages render them."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone

from portal.accounts.owners import NOBODY, Owner
from portal.mirror.models import STATUS_ORDER
from portal.shops.models import Connection, Shop
from portal.ui.statuses import STATUSES, badge

#: The statuses AutoSync has: its reference's for work orders (PUT /workorders/{id}, `status`),
#: and those its records are served with for appointments and payments.
AUTOSYNC_STATUSES = {
    "work_order": {"draft", "in_progress", "waiting_parts", "completed", "invoiced"},
    "appointment": {"scheduled", "completed", "cancelled"},
    "payment": {"succeeded", "refunded"},
}


def render(source: str, path: str = "/shops/", **context) -> str:
    request = RequestFactory().get(path)
    request.resolver_match = resolve(request.path)
    return Template("{% load ui %}" + source).render(RequestContext(request, context))


def test_the_badge_map_covers_every_status_autosync_and_the_mirror_know():
    assert {kind: set(badges) for kind, badges in STATUSES.items()} == AUTOSYNC_STATUSES
    assert set(STATUS_ORDER) <= set(STATUSES["work_order"])


@pytest.mark.parametrize("kind", sorted(AUTOSYNC_STATUSES))
def test_each_status_has_its_own_words_and_a_tone_the_stylesheet_colours(kind):
    labels = [badge.label for badge in STATUSES[kind].values()]
    assert len(set(labels)) == len(labels)
    css = (settings.BASE_DIR / "static" / "css" / "components.css").read_text()
    for known in STATUSES[kind].values():
        assert f".tone-{known.tone} " in css or f".tone-{known.tone}," in css, known


def test_the_status_badge_says_the_status_in_words_in_its_colour():
    html = render("{% status_badge status %}", status="waiting_parts")
    assert '<span class="badge tone-warn">Waiting for parts</span>' in html
    html = render('{% status_badge status "payment" %}', status="succeeded")
    assert '<span class="badge tone-ok">Paid</span>' in html


def test_a_status_autosync_adds_later_reads_as_its_words_in_a_neutral_badge():
    assert badge("on_hold") == ("On hold", "neutral")
    assert badge("no_show", "appointment") == ("No show", "neutral")


def test_aria_current_marks_only_the_link_to_the_page_shown():
    source = (
        '<a{% aria_current "shops:list" %}>shops</a><a{% aria_current "accounts:account" %}>me</a>'
    )
    assert render(source, "/shops/") == '<a aria-current="page">shops</a><a>me</a>'
    assert render(source, "/accounts/") == '<a>shops</a><a aria-current="page">me</a>'


def test_aria_current_accepts_several_views_for_one_link():
    source = '<a{% aria_current "accounts:login" "accounts:account" %}>'
    assert 'aria-current="page"' in render(source, "/accounts/")


@pytest.mark.django_db
def test_the_navigation_marks_the_current_page_for_a_signed_in_user(client, cast):
    client.force_login(cast.owner)
    page = client.get("/accounts/").content.decode()
    assert page.count('aria-current="page"') == 1
    assert '<a href="/accounts/" aria-current="page">Your account</a>' in page


def test_the_vehicle_owners_navigation_lists_its_links_and_marks_the_current_one():
    html = render(
        '{% include "includes/nav_owner.html" with links=links owner=person %}',
        "/garage/payments/",
        links=[("/garage/", "Overview", False), ("/garage/payments/", "Payments", True)],
        person=Owner("pat@example.com"),
    )
    assert '<a href="/garage/">Overview</a>' in html
    assert '<a href="/garage/payments/" aria-current="page">Payments</a>' in html
    assert "pat@example.com" in html and 'action="/garage/sign-out/"' in html


def test_the_vehicle_owners_navigation_offers_only_sign_in_to_a_visitor():
    html = render(
        '{% include "includes/nav_owner.html" with links=links owner=person %}',
        "/garage/sign-in/",
        links=[("/garage/", "Overview", False)],
        person=NOBODY,
    )
    assert "/garage/sign-in/" in html and "Overview" not in html


def page_of(number: int, per_page: int = 10, count: int = 200):
    return Paginator(range(count), per_page).page(number)


def test_pagination_links_work_without_javascript_and_swap_with_htmx():
    html = render('{% pagination page "#orders" %}', "/shops/?status=open&page=5", page=page_of(5))
    assert 'href="/shops/?status=open&amp;page=4"' in html
    assert 'hx-get="/shops/?status=open&amp;page=4"' in html
    assert 'hx-target="#orders"' in html and 'hx-push-url="true"' in html
    assert 'rel="prev"' in html and 'rel="next"' in html


def test_pagination_marks_the_current_page_and_elides_the_far_ones():
    html = render('{% pagination page "#orders" %}', "/shops/", page=page_of(10))
    assert 'aria-current="page"><span class="visually-hidden">Page </span>10</a>' in html
    assert html.count("…") == 2  # 1 … 9 10 11 … 20
    assert ">20</a>" in html and ">5</a>" not in html


def test_pagination_of_a_single_page_shows_nothing():
    assert render('{% pagination page "#orders" %}', page=page_of(1, count=3)).strip() == ""


def test_the_first_page_has_no_link_back_and_the_last_none_forward():
    assert 'rel="prev"' not in render('{% pagination page "#o" %}', page=page_of(1))
    assert 'rel="next"' not in render('{% pagination page "#o" %}', page=page_of(20))


def shop_with(status: str) -> Shop:
    return Shop(remote_id=1, name="Main Street Garage", connection=Connection(status=status))


def test_the_freshness_line_says_when_the_data_was_updated():
    updated = timezone.now() - timedelta(minutes=2)
    html = render(
        '{% include "includes/freshness.html" %}', shop=shop_with("connected"), updated=updated
    )
    assert "Updated <time" in html and "2\xa0minutes ago" in html
    assert "paused" not in html and "stopped" not in html


def test_the_freshness_line_warns_plainly_when_syncing_is_paused():
    html = render(
        '{% include "includes/freshness.html" %}',
        shop=shop_with("needs_reconnecting"),
        updated=None,
    )
    assert "Not synced yet." in html
    assert "Syncing is paused" in html and "may be out of date" in html


def test_the_freshness_line_says_syncing_stopped_for_a_disconnected_shop():
    html = render(
        '{% include "includes/freshness.html" %}', shop=shop_with("disconnected"), updated=None
    )
    assert "Syncing has stopped" in html


def test_the_empty_state_says_what_is_missing_and_what_to_do():
    html = render('{% include "includes/empty.html" with title="No visits yet" text="Book one." %}')
    assert "<h2>No visits yet</h2>" in html and "<p>Book one.</p>" in html
