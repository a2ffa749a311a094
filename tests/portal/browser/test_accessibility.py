"""Every page of the portal passes axe-core's WCAG 2.1 A and AA rules in real Chromium, on a
desktop (1280 px) and a phone (390 px), with what htmx loads into it."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from portal.accounts import verification
from portal.booking import services
from portal.booking.models import BookingSettings
from portal.mirror import books
from portal.mirror.models import RunProgress, SyncRun
from portal.shops.invites import link_for
from portal.shops.models import Connection, Invite, Role
from tests.support.booking import at, bookable_day, fill_visit
from tests.support.browser import axe_violations, signed_in

WIDTHS = [1280, 390]


def check(page, base_url: str, paths: list[str]) -> dict[str, list[str]]:
    """axe's findings on each path (each must answer with a page, error pages included), and
    a page wider than the screen (WCAG 1.4.10, reflow)."""
    found = {}
    for path in paths:
        response = page.goto(base_url + path)
        assert response is not None and "text/html" in response.headers["content-type"], path
        page.wait_for_load_state("networkidle")
        problems = axe_violations(page)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            problems.append("the page is wider than the screen")
        if problems:
            found[path] = problems
    return found


@pytest.fixture
def invite_path(cast) -> str:
    invite = Invite.objects.create(
        shop=cast.shop, email="dana@example.com", role=Role.STAFF, invited_by=cast.owner
    )
    return urlsplit(link_for(invite)).path


@pytest.fixture
def running_sync(cast):
    SyncRun.objects.filter(shop=cast.shop).delete()
    run = SyncRun.objects.create(
        shop=cast.shop, mode=SyncRun.Mode.FULL, status=SyncRun.Status.RUNNING
    )
    RunProgress.objects.create(run=run, resource="employees", done=4, total=4, finished=True)
    RunProgress.objects.create(run=run, resource="customers", done=60, total=200)


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_the_pages_a_visitor_sees_signed_out_pass_axe(
    chromium, browsing, live_server, cast, invite_path, settings, width
):
    # The development pages: the designed error pages' previews and the mailbox.
    settings.DEBUG = settings.PORTAL_DEV_MAILBOX = True
    page = chromium.new_page(viewport={"width": width, "height": 900})
    found = check(
        page,
        live_server.url,
        [
            "/",
            "/accounts/login/",
            "/accounts/signup/",
            "/accounts/signup/done/",
            "/accounts/password_reset/",
            "/accounts/password_reset/done/",
            urlsplit(verification.link_for(cast.owner)).path,
            "/accounts/verify/not-a-token/",
            invite_path,
            "/invites/not-a-token/",
            "/dev/errors/403/",
            "/dev/errors/403_csrf/",
            "/dev/errors/404/",
            "/dev/errors/500/",
            "/dev/errors/rate_limited/",
            "/dev/errors/locked_out/",
            "/dev/errors/",
            "/accounts/dev/mail/",
        ],
    )
    assert not found, found


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_the_staff_pages_pass_axe(
    chromium, browsing, live_server, cast, running_sync, invite_path, settings, width
):
    settings.AUTOSYNC_CLIENT_ID = "portal-client"
    page = signed_in(chromium, live_server, cast.owner, width=width)
    found = check(
        page,
        live_server.url,
        [
            "/shops/",
            f"/shops/{cast.shop.pk}/",
            f"/shops/{cast.shop.pk}/sync/",
            f"/shops/{cast.shop.pk}/disconnect/",
            "/account/",
            "/accounts/password_change/",
            "/connect/autosync/",
            "/connect/autosync/callback/?state=forged",  # a failed connection
            invite_path,
            "/shops/999999/",  # not found
        ],
    )
    assert not found, found


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_the_pages_of_a_paused_shop_and_an_empty_list_pass_axe(
    chromium, browsing, live_server, cast, django_user_model, width
):
    cast.connection.set_status(Connection.Status.NEEDS_RECONNECTING, "refresh refused")
    cast.connection.save()
    newcomer = django_user_model.objects.create_user("dana@example.com", "a long password")
    paths = ["/shops/", f"/shops/{cast.shop.pk}/", f"/shops/{cast.shop.pk}/sync/"]
    found = check(signed_in(chromium, live_server, cast.owner, width=width), live_server.url, paths)
    # Only the owner may disconnect: a teammate is refused with the 403 page.
    teammate = signed_in(chromium, live_server, cast.teammate, width=width)
    found |= check(teammate, live_server.url, [f"/shops/{cast.shop.pk}/disconnect/"])
    found |= check(
        signed_in(chromium, live_server, newcomer, width=width), live_server.url, ["/shops/"]
    )
    assert not found, found


@pytest.mark.browser
def test_the_axe_check_catches_an_image_without_a_text_alternative(chromium, browsing, live_server):
    page = chromium.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    assert any(problem.startswith("image-alt") for problem in axe_violations(page))


def visitor_with_a_visit(browser, live_server, shop, width: int):
    """A page of a new browser context whose session holds a visit with every step done and
    the booking just made; and that booking's manage link."""
    from django.conf import settings
    from django.test import Client

    from portal.booking.visit import BOOKED_KEY

    client = Client()
    day = bookable_day(shop)
    fill_visit(client, shop, at(shop, day, "14:00"))
    booked = services.book(
        shop,
        at(shop, day, "10:00"),
        [],
        services.CustomerDetails("Olive Owner", "olive@example.com", "+13125550143"),
        services.VehicleDetails(2019, "Honda", "Civic"),
    )
    session = client.session
    session[BOOKED_KEY] = {"booking": booked.booking.pk, "token": booked.manage_token}
    session.save()
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page(), reverse("booking:manage", args=[booked.manage_token])


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_the_booking_pages_pass_axe(chromium, browsing, live_server, cast, monkeypatch, width):
    shop = cast.shop
    shop.timezone, shop.phone = "America/New_York", "+13125550100"
    shop.save()
    BookingSettings.for_shop(shop)
    books.completed(shop, "appointments")
    page, manage = visitor_with_a_visit(chromium, live_server, shop, width)
    base = f"/book/{shop.slug}"
    found = check(
        page,
        live_server.url,
        [
            f"{base}/",
            f"{base}/visit/",
            f"{base}/visit/vehicle/",
            f"{base}/visit/when/?day={bookable_day(shop).isoformat()}",
            f"{base}/visit/who/",
            f"{base}/visit/review/",
            f"{base}/visit/booked/",
            manage,
            "/book/manage/not-a-token/",
        ],
    )
    page.goto(f"{live_server.url}{base}/visit/review/")  # the visit is in the session
    assert page.get_by_role("heading", name="Check and book").is_visible()
    # A step's form with its problems (htmx swaps it in), and a day's times loaded in place.
    page.goto(f"{live_server.url}{base}/visit/vehicle/")
    page.get_by_label("Year").fill("")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("alert").wait_for()
    found["vehicle with problems"] = axe_violations(page)
    page.goto(f"{live_server.url}{base}/visit/when/")
    page.get_by_label("Day").fill(bookable_day(shop).isoformat())
    page.get_by_role("heading", name="Free times on").wait_for()
    found["times loaded in place"] = axe_violations(page)
    # The visit's time, taken meanwhile (both bays): the nearest free times are offered.
    for email in ("first@example.com", "second@example.com"):
        services.book(
            shop,
            at(shop, bookable_day(shop), "14:00"),
            [],
            services.CustomerDetails("Other Owner", email, "+13125550100"),
            services.VehicleDetails(2015, "Ford", "Focus"),
        )
    page.goto(f"{live_server.url}{base}/visit/review/")
    page.get_by_role("button", name="Book this visit").click()
    page.get_by_role("heading", name="Sorry, that time was just taken").wait_for()
    found["time taken"] = axe_violations(page)
    # One booking attempt too many.
    monkeypatch.setattr("portal.booking.views.PER_EMAIL", "0/h")
    page.goto(f"{live_server.url}{base}/visit/review/")
    page.get_by_role("button", name="Book this visit").click()
    page.get_by_role("heading", name="Too many booking attempts").wait_for()
    found["throttled"] = axe_violations(page)
    # A shop that takes no bookings says so.
    BookingSettings.objects.filter(shop=shop).update(enabled=False)
    found |= check(page, live_server.url, [f"{base}/"])
    found = {path: problems for path, problems in found.items() if problems}
    assert not found, found
