"""The whole story in real Chromium, over the live system (tests/support/journey.py): the
sandbox and its webhook sender, the portal under gunicorn and its Celery workers, on the CI
pass's database and broker (SQLite and the filesystem broker, or PostgreSQL and Redis).

A shop owner signs up and connects two shops through AutoSync's consent, and watches the
first sync; a new customer books a visit on a phone; staff see it on the dashboard; the
sandbox's simulator checks the car in, works on it and completes it; the customer, signed in
by the emailed link, watches the status change without reloading, gets the "ready for pickup"
email, and then sees the payment. Every step leaves a screenshot in var/journey/ (the
processes' logs are in var/journey/logs/), and the journey fails on any console error,
uncaught exception or CSP violation in any page.
"""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings

from portal.booking.models import Booking
from portal.shops.models import Shop
from tests.support.journey import Camera, System, watch_console

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
STAFF = ("sam@example.com", "a long journey password")
OWNER = {"name": "Olive Martin", "email": "olive.martin@example.com", "phone": "(330) 555-0143"}
# Waits on the live system: a sync of two small shops under AutoSync's rate limit, a webhook
# through the sender and a worker, a poll every 5 s.
SYNC_TIMEOUT = 120_000
LIVE_TIMEOUT = 20_000


@pytest.fixture
def system(browsing, tmp_path):
    started = System(tmp_path)
    try:
        yield started.start(settings.SECRET_KEY, settings.PORTAL_ENCRYPTION_KEYS)
    finally:
        started.stop()


@pytest.fixture
def problems(chromium):
    """The journey's console errors and uncaught exceptions, checked at the end of the test
    (the chromium fixture checks CSP violations itself)."""
    found: list[str] = []
    new_context = chromium.new_context

    def watched(**options):
        context = new_context(**options)
        watch_console(context, found)
        return context

    chromium.new_context = watched
    yield found
    if found:  # also when the journey stopped earlier: they may say why
        print("Console errors and uncaught exceptions:", *found, sep="\n")


def new_page(chromium, viewport: dict):
    page = chromium.new_context(viewport=viewport).new_page()
    page.set_default_timeout(LIVE_TIMEOUT)
    return page


def reload_until(page, locator, timeout: int = LIVE_TIMEOUT) -> None:
    """Reload a page that does not update itself until `locator` is on it; fails after
    `timeout` ms."""
    deadline = time.monotonic() + timeout / 1000
    while not locator.count():
        if time.monotonic() > deadline:
            raise AssertionError(f"not on {page.url} within {timeout / 1000:.0f} s: {locator}")
        page.wait_for_timeout(500)
        page.reload()


def open_mail(page, base_url: str, subject: str | re.Pattern) -> None:
    """Open the newest email with `subject` in the development mailbox, once a worker has
    sent it."""
    page.goto(f"{base_url}/accounts/dev/mail/")
    link = page.get_by_role("link", name=subject).first
    reload_until(page, link)
    link.click()
    page.get_by_role("heading", name=subject).wait_for()


def test_a_shop_connects_a_customer_books_and_follows_the_repair_to_the_payment(
    chromium, problems, system
):
    from playwright.sync_api import expect

    base = system.portal_url
    camera = Camera()
    account = next(a for a in system.sandbox_db.seed["accounts"] if len(a["shops"]) >= 2)
    at_autosync = account["users"][0]

    # --- A shop owner signs up, confirms their address from the emailed link -------------
    staff = new_page(chromium, DESKTOP)
    staff.goto(f"{base}/accounts/signup/")
    staff.get_by_label("Email").fill(STAFF[0])
    staff.get_by_label(re.compile(r"^Password:?$")).fill(STAFF[1])
    staff.get_by_label("Password confirmation").fill(STAFF[1])
    camera.shoot(staff, "staff-signs-up")
    staff.get_by_role("button", name="Sign up").click()
    staff.get_by_role("heading", name="Check your email").wait_for()
    open_mail(staff, base, re.compile("Confirm"))
    staff.locator(".mail-body a[href*='/accounts/verify/']").click()
    staff.get_by_role("button", name=f"Confirm {STAFF[0]}").click()
    staff.get_by_label("Email").fill(STAFF[0])
    staff.get_by_label("Password").fill(STAFF[1])
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_url(f"{base}/shops/")

    # --- ... and connects both shops of their AutoSync account through its consent --------
    staff.get_by_role("button", name="Connect your AutoSync shop").click()
    staff.get_by_label("Username").fill(at_autosync["username"])
    staff.get_by_label("Password").fill(at_autosync["password"])
    staff.get_by_role("button", name="Sign in").click()
    for shop in account["shops"]:
        expect(staff.get_by_label(shop["name"])).to_be_checked()
    camera.shoot(staff, "autosync-asks-for-consent")
    staff.get_by_role("button", name="Allow access").click()

    # The first shop's sync page follows its first sync by itself, from the first bar moving
    # to the end; then the second shop's is done too.
    staff.wait_for_url(re.compile(re.escape(base) + r"/shops/\d+/sync/"))
    staff.evaluate("window.notReloaded = true")
    staff.get_by_role("heading", name="Full sync in progress").wait_for(timeout=SYNC_TIMEOUT)
    staff.wait_for_function(
        "() => [...document.querySelectorAll('.sync-bars progress')].some(bar => bar.value > 0)"
    )
    camera.shoot(staff, "first-sync-in-progress")
    done = staff.get_by_role("heading", name="Last full sync: done")
    done.wait_for(timeout=SYNC_TIMEOUT)
    assert staff.evaluate("window.notReloaded === true")
    camera.shoot(staff, "first-sync-done")
    shops = list(Shop.objects.order_by("pk"))
    assert [s.name for s in shops] == [s["name"] for s in account["shops"]]
    staff.goto(f"{base}/shops/{shops[1].pk}/sync/")
    done.wait_for(timeout=SYNC_TIMEOUT)
    staff.goto(f"{base}/shops/")
    for shop in shops:
        expect(staff.get_by_role("link", name=shop.name, exact=True)).to_be_visible()
    camera.shoot(staff, "two-shops-connected")

    # The shop opens on weekends too, so that the visit below lands in the dashboard's
    # three-day schedule whatever day this runs; its booking page's address is on the page.
    shop = shops[0]
    staff.goto(f"{base}/shops/{shop.pk}/settings/")
    for row, weekday in ((5, "Saturday"), (6, "Sunday")):
        staff.locator(f"#id_hours-{row}-weekday").select_option(label=weekday)
        staff.locator(f"#id_hours-{row}-opens").fill("08:00")
        staff.locator(f"#id_hours-{row}-closes").fill("17:00")
    staff.get_by_role("button", name="Save opening hours").click()
    expect(staff.locator("#id_hours-6-weekday")).to_have_value("6")
    booking_page = staff.locator("#booking a").first.get_attribute("href")

    # --- A new customer books a visit on their phone ------------------------------------
    phone = new_page(chromium, PHONE)
    phone.goto(base + booking_page)
    camera.shoot(phone, "phone-booking-page")
    phone.get_by_role("link", name="Book a visit").click()
    phone.get_by_label("Oil and filter change").check()
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="Your vehicle").wait_for()
    phone.get_by_label("Year").fill("2019")
    phone.get_by_label("Make").fill("Honda")
    phone.get_by_label("Model").fill("Civic")
    phone.get_by_label("VIN (optional)").fill("1HGCM82633A004352")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="When").wait_for()
    # htmx has settled the step when it moves the focus to its heading: only then does it
    # listen for the day's change.
    phone.wait_for_function("document.activeElement && document.activeElement.id === 'step-title'")
    tomorrow = phone.evaluate(
        "zone => new Date(Date.now() + 86400000).toLocaleDateString('en-CA', {timeZone: zone})",
        shop.timezone,
    )
    phone.get_by_label("Day").fill(tomorrow)
    phone.get_by_role("heading", name="Free times on").wait_for()
    first_time = phone.locator("#when .times label").first
    chosen = first_time.inner_text().strip()
    first_time.click()
    camera.shoot(phone, "phone-picks-a-time")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="Your details").wait_for()
    phone.get_by_label("Your name").fill(OWNER["name"])
    phone.get_by_label("Email").fill(OWNER["email"])
    phone.get_by_label("Phone").fill(OWNER["phone"])
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("heading", name="Check and book").wait_for()
    expect(phone.locator("main")).to_contain_text(chosen)
    phone.get_by_role("button", name="Book this visit").click()
    phone.get_by_role("heading", name="Thank you, your visit is booked").wait_for()
    camera.shoot(phone, "phone-visit-booked")

    # --- Staff see it on the dashboard, once AutoSync has the appointment ----------------
    staff.goto(f"{base}/shops/{shop.pk}/dashboard/")
    # (The schedule says "Not in AutoSync yet" while a worker confirms the booking there.)
    visit = staff.locator(".visits li").filter(has_text=f"{OWNER['name']}, 2019 Honda Civic")
    reload_until(staff, visit.filter(has_text="Booked online").filter(has_not_text="Not in"))
    expect(visit).to_contain_text(chosen)
    assert Booking.objects.get().state == Booking.State.CONFIRMED
    camera.shoot(staff, "dashboard-shows-the-booking")

    # --- The customer signs in by the emailed link, on the phone -------------------------
    phone.goto(f"{base}/")
    phone.get_by_role("link", name="Car owners: see your car's repairs").click()
    phone.get_by_label("Your email").fill(OWNER["email"])
    phone.get_by_role("button", name="Email me a link and a code").click()
    phone.get_by_role("heading", name="Check your email").wait_for()
    open_mail(phone, base, "Sign in to see your car's repairs")
    phone.locator(".mail-body a[href*='/garage/sign-in/link/']").click()
    phone.get_by_text(f"You are signing in as {OWNER['email']}.").wait_for()
    phone.get_by_role("button", name="Sign in").click()
    phone.locator("#messages").get_by_text(f"You are signed in as {OWNER['email']}.").wait_for()
    camera.shoot(phone, "phone-owner-signed-in")

    # --- The simulator checks the car in and starts work; the owner opens the work order --
    order = system.simulate("open", OWNER["email"])
    assert order["status"] == "in_progress", order
    phone.goto(f"{base}/garage/work-orders/")
    row = phone.get_by_role("link", name=re.compile(re.escape(order["number"])))
    reload_until(phone, row)
    row.first.click()
    badge = phone.locator("#status-badge")  # the later webhooks may still be on their way
    expect(badge).to_have_text("In progress", timeout=LIVE_TIMEOUT)
    camera.shoot(phone, "phone-work-order-in-progress")

    # --- Completed at the shop: the open page follows by itself, no reload ----------------
    phone.evaluate("window.notReloaded = true")
    order = system.simulate("complete", OWNER["email"])
    assert order["status"] == "completed", order
    expect(badge).to_have_text("Completed", timeout=LIVE_TIMEOUT)
    assert phone.evaluate("window.notReloaded === true")
    camera.shoot(phone, "phone-work-order-completed-live")

    # The "ready for pickup" email.
    mail = phone.context.new_page()
    open_mail(mail, base, re.compile("is ready for pickup at " + re.escape(shop.name)))
    expect(mail.locator(".mail-body")).to_contain_text(order["number"])
    camera.shoot(mail, "phone-ready-for-pickup-email")
    mail.close()

    # --- Paid at the counter: the payment shows on the same page, still not reloaded ------
    order = system.simulate("pay", OWNER["email"])
    receipt = phone.locator("#live").get_by_role("link", name=re.compile("receipt"))
    expect(receipt).to_be_visible(timeout=LIVE_TIMEOUT)
    assert phone.evaluate("window.notReloaded === true")
    camera.shoot(phone, "phone-payment-shows")
    phone.goto(f"{base}/garage/payments/")
    expect(phone.get_by_text(order["number"]).first).to_be_visible()
    camera.shoot(phone, "phone-payments")

    assert not problems, "\n".join(problems)
