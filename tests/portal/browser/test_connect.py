"""The consent round trip in real Chromium: sign up, connect, sign in at AutoSync, allow."""

import re

import pytest

from tests.support.portal import point_at, register_client


@pytest.mark.browser
def test_a_staff_member_connects_their_shops_through_autosync_consent(
    chromium, live_server, live_sandbox, sandbox_db, settings, shop_owner, monkeypatch, mailoutbox
):
    # Django's async-unsafe guard trips on Playwright's event loop in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client = register_client(sandbox_db, f"{live_server.url}/connect/autosync/callback/")
    point_at(settings, live_sandbox, client, base_url=live_server.url)

    page = chromium.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a long browser password")
    page.get_by_label("Password confirmation").fill("a long browser password")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{live_server.url}/accounts/signup/done/")
    assert page.get_by_role("heading", name="Check your email").is_visible()

    link = re.search(r"http://\S+/accounts/verify/\S+", mailoutbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm owner@example.com").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/**")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill("a long browser password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/shops/")
    assert page.get_by_role("link", name="Your account").is_visible()

    page.get_by_role("button", name="Connect your AutoSync shop").click()
    page.wait_for_url(f"{live_sandbox.url}/accounts/login/**")
    page.get_by_label("Username").fill(shop_owner["username"])
    page.get_by_label("Password").fill(shop_owner["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow access").click()

    # The owner lands on a new shop's live sync page.
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/shops/\d+/sync/"))
    assert page.get_by_text("Connected to AutoSync").is_visible()
    page.goto(f"{live_server.url}/shops/")
    for shop in shop_owner["shops"]:
        assert page.get_by_role("link", name=shop["name"], exact=True).is_visible()
    assert page.locator(".health-connected").count() == len(shop_owner["shops"])


@pytest.mark.browser
def test_the_browser_check_catches_an_inline_script(chromium, live_server, monkeypatch):
    """The watch itself works: an inline script on a portal page is blocked and reported."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    page = chromium.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.head.appendChild(s); }"
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.ran === undefined")
    assert any("script-src" in v for v in chromium.csp_violations), chromium.csp_violations
    chromium.csp_violations.clear()  # provoked on purpose
