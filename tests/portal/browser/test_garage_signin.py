"""A vehicle owner signs in in real Chromium, with the emailed code and with the emailed link,
and the sign-in pages pass axe-core's WCAG 2.1 A and AA rules on a desktop and a phone."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache

from portal.garage import notify
from tests.portal.browser.test_accessibility import WIDTHS, check
from tests.portal.garage.conftest import last_sign_in_email
from tests.portal.mirror.conftest import eager  # noqa: F401  (the sign-in email is sent at once)
from tests.support.browser import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def olive(owners, eager):  # noqa: F811
    """Olive's address; the throttles' counts (in the cache, which outlives a transactional
    test's database flush) start afresh."""
    cache.clear()
    return owners.one_shop.email


def ask_for_a_way_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("link", name="Car owners: see your car's repairs").click()
    page.get_by_label("Your email").fill(email)
    page.get_by_role("button", name="Email me a link and a code").click()
    page.get_by_role("heading", name="Check your email").wait_for()


def session_cookie(page) -> dict:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    return cookie


@pytest.mark.parametrize("width", WIDTHS)
def test_an_owner_signs_in_with_the_code(chromium, browsing, live_server, olive, width):
    page = chromium.new_page(viewport={"width": width, "height": 900})
    ask_for_a_way_in(page, live_server.url, olive)
    _, code = last_sign_in_email()
    page.get_by_label("6-digit code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("This is not the code we sent. You have 4 more tries.").wait_for()
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#messages").get_by_text(f"You are signed in as {olive}.").wait_for()
    assert page.url == f"{live_server.url}/garage/"
    assert session_cookie(page)["expires"] == -1  # ends with the browser
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_owner_signs_in_with_the_link_on_another_device(
    chromium, browsing, live_server, olive, width
):
    laptop = chromium.new_page(viewport={"width": 1280, "height": 900})
    ask_for_a_way_in(laptop, live_server.url, olive)
    token, _ = last_sign_in_email()
    phone = chromium.new_page(viewport={"width": width, "height": 900})
    phone.goto(f"{live_server.url}/garage/sign-in/link/?token={token}")
    phone.get_by_text(f"You are signing in as {olive}.").wait_for()
    phone.get_by_label("Keep me signed in on this device").check()
    phone.get_by_role("button", name="Sign in").click()
    phone.locator("#messages").get_by_text(f"You are signed in as {olive}.").wait_for()
    assert session_cookie(phone)["expires"] > 0  # kept, as asked
    # The link worked once.
    again = chromium.new_page(viewport={"width": width, "height": 900})
    again.goto(f"{live_server.url}/garage/sign-in/link/?token={token}")
    again.get_by_role("heading", name="This link cannot be used").wait_for()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sign_in_pages_pass_axe(chromium, browsing, live_server, olive, settings, width):
    settings.PORTAL_DEV_MAILBOX = False
    page = chromium.new_page(viewport={"width": width, "height": 900})
    found = check(page, live_server.url, ["/", "/garage/sign-in/"])
    # The form with an error, the code page with one, the link's page, a used link.
    page.get_by_label("Your email").fill("olive@")
    page.get_by_role("button", name="Email me a link and a code").click()
    page.get_by_text("Enter a valid email address.").wait_for()
    found |= check_here(page, "sign-in form with an error")
    page.get_by_label("Your email").fill(olive)
    page.get_by_role("button", name="Email me a link and a code").click()
    found |= check_here(page, "code page")
    page.get_by_label("6-digit code").fill("12")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Enter the 6 digits from the email.").wait_for()
    found |= check_here(page, "code page with an error")
    token, _ = last_sign_in_email()
    found |= check(page, live_server.url, [f"/garage/sign-in/link/?token={token}"])
    page.get_by_role("button", name="Sign in").click()
    page.locator("#messages").get_by_text(f"You are signed in as {olive}.").wait_for()
    unsubscribe = f"/garage/unsubscribe/?token={notify.unsubscribe_token(olive, 'ready')}"
    found |= check(
        page,
        live_server.url,
        ["/garage/", "/garage/preferences/", unsubscribe, "/garage/unsubscribe/?token=forged"],
    )
    page.goto(live_server.url + unsubscribe)
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="Unsubscribed").wait_for()
    found |= check_here(page, "unsubscribed")
    found |= check(page, live_server.url, [f"/garage/sign-in/link/?token={token}"])  # used
    assert len(mail.outbox) == 1
    assert not found, found


def check_here(page, name: str) -> dict[str, list[str]]:
    """`check` on the page as it is (a form's answer to a POST)."""
    page.wait_for_load_state("networkidle")
    problems = axe_violations(page)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        problems.append("the page is wider than the screen")
    return {name: problems} if problems else {}
