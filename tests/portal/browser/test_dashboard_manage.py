"""The dashboard's inbox, settings and health in real Chromium: axe-core finds no WCAG 2.1 AA
violation on a desktop (1280 px) and a phone (390 px); staff approve a request and edit the
opening hours."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from portal.booking.models import Booking, BookingSettings, ChangeRequest, OpeningHours
from portal.mirror import books
from portal.mirror.models import RequestCount
from tests.portal.dashboard.manage_support import a_weekday_at
from tests.support import factories
from tests.support.browser import axe_violations, signed_in
from tests.support.factories import portal_booking

from .test_accessibility import WIDTHS, check


@pytest.fixture
def busy_shop(cast):
    """The cast's shop in New York with something in each part of the inbox, requests sent
    to AutoSync today, and the appointments still arriving (an alert)."""
    shop = cast.shop
    shop.timezone = "America/New_York"
    shop.save()
    BookingSettings.for_shop(shop)
    books.completed(shop, "customers")
    portal_booking(shop, a_weekday_at(shop, 10), name="Olive Owner", notes="Squeaky brakes")
    portal_booking(
        shop, a_weekday_at(shop, 11), state="failed", name="Fred", failure="AutoSync said 503"
    )
    held = portal_booking(shop, a_weekday_at(shop, 12), state="confirmed", name="Cleo")
    ChangeRequest.objects.create(booking=held, kind="change", message="Can we make it Friday?")
    owner = factories.customer(shop, first_name="Pat")
    phoned = factories.appointment(
        shop, a_weekday_at(shop, 14), owner=owner, car=factories.vehicle(shop, owner)
    )
    ChangeRequest.objects.create(
        shop=shop, appointment_remote_id=phoned.remote_id, email=owner.email, kind="cancel"
    )
    now = timezone.now()
    for hours in range(0, 20, 3):
        RequestCount.objects.create(
            shop=shop, resource="customers", minute=now - timedelta(hours=hours), count=10 + hours
        )
    return shop


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_the_inbox_settings_and_health_pass_axe(
    chromium, browsing, live_server, cast, busy_shop, width
):
    shop = busy_shop
    page = signed_in(chromium, live_server, cast.owner, width=width)
    paths = [f"/shops/{shop.pk}/inbox/", f"/shops/{shop.pk}/settings/", f"/shops/{shop.pk}/health/"]
    found = check(page, live_server.url, paths)
    # Staff see the inbox and health, and a 403 for the settings.
    teammate = signed_in(chromium, live_server, cast.teammate, width=width)
    found |= check(teammate, live_server.url, [f"/shops/{shop.pk}/settings/"])
    assert not found, found


@pytest.mark.browser
def test_staff_approve_a_request_in_place(chromium, browsing, live_server, cast, busy_shop):
    page = signed_in(chromium, live_server, cast.teammate)
    page.goto(f"{live_server.url}/shops/{busy_shop.pk}/inbox/")
    item = page.locator("li.card", has_text="Olive Owner")
    item.get_by_label("Note to the customer").fill("See you then")
    item.get_by_role("button", name="Approve Olive Owner's visit").click()
    page.get_by_text("Approved Olive Owner's visit").wait_for()
    assert page.locator("li.card", has_text="Olive Owner").count() == 0
    booking = Booking.objects.get(name="Olive Owner")
    assert booking.state == Booking.State.PENDING and booking.reply == "See you then"
    assert axe_violations(page) == []


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_an_owner_edits_the_opening_hours(chromium, browsing, live_server, cast, busy_shop, width):
    shop = busy_shop
    page = signed_in(chromium, live_server, cast.owner, width=width)
    page.goto(f"{live_server.url}/shops/{shop.pk}/settings/")
    hours = page.locator("#hours")
    periods = hours.locator("li.period")
    # Monday closes at noon; a new period opens Saturday morning.
    periods.nth(0).get_by_label("Closes").fill("12:00")
    new = periods.nth(5)
    new.get_by_label("Day").select_option(label="Saturday")
    new.get_by_label("Opens").fill("09:00")
    new.get_by_label("Closes").fill("13:00")
    hours.get_by_role("button", name="Save opening hours").click()
    page.get_by_text("Opening hours saved.").wait_for()
    assert OpeningHours.objects.get(shop=shop, weekday=0).closes == time(12)
    assert OpeningHours.objects.filter(shop=shop, weekday=5, opens=time(9)).exists()

    # Closing before opening: refused, said under the field, what was typed kept.
    periods = page.locator("#hours li.period")
    periods.nth(1).get_by_label("Closes").fill("07:00")
    page.locator("#hours").get_by_role("button", name="Save opening hours").click()
    page.get_by_text("Closing must be after opening.").wait_for()
    assert page.locator("#hours li.period").nth(1).get_by_label("Closes").input_value() == "07:00"
    assert OpeningHours.objects.get(shop=shop, weekday=1).closes == time(17)
    assert axe_violations(page) == []


@pytest.mark.browser
def test_the_inbox_says_a_request_came_in_without_losing_a_note_being_typed(
    chromium, browsing, live_server, cast, busy_shop, monkeypatch
):
    monkeypatch.setattr("portal.dashboard.inbox.REFRESH_SECONDS", 1)
    page = signed_in(chromium, live_server, cast.teammate)
    page.goto(f"{live_server.url}/shops/{busy_shop.pk}/inbox/")
    note = page.locator("li.card", has_text="Olive Owner").get_by_label("Note to the customer")
    note.click()
    page.keyboard.type("See you on")
    portal_booking(busy_shop, a_weekday_at(busy_shop, 14), name="Nina New")
    page.get_by_text("New requests came in.").wait_for()
    page.keyboard.type(" Monday")
    assert note.input_value() == "See you on Monday"  # still there, still focused
    assert page.locator("li.card", has_text="Nina New").count() == 0  # the list as it was
    page.get_by_role("link", name="Show the latest").click()
    page.locator("li.card", has_text="Nina New").wait_for()


@pytest.mark.browser
def test_the_health_page_shows_a_failing_sync_without_reloading(
    chromium, browsing, live_server, cast, busy_shop, monkeypatch
):
    monkeypatch.setattr("portal.dashboard.health_page.REFRESH_SECONDS", 1)
    page = signed_in(chromium, live_server, cast.teammate)
    page.goto(f"{live_server.url}/shops/{busy_shop.pk}/health/")
    page.evaluate("window.unreloaded = true")
    books.failed(busy_shop, "customers", "AutoSync answered 503")
    page.locator("#health-live", has_text="AutoSync answered 503").wait_for()
    page.locator("#health-alerts", has_text="Updates from AutoSync are failing").wait_for()
    assert page.evaluate("window.unreloaded") is True
    assert page.get_by_role("button", name="Sync now").count() == 1
