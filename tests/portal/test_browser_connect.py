"""The consent round trip in real Chromium: sign up, connect, sign in at AutoSync, allow."""

import os
import re

import pytest

from tests.portal.conftest import point_at, register_client
from tests.support.servers import service_missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def chromium():
    if not os.path.exists(CHROMIUM):
        service_missing("Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.browser
def test_a_staff_member_connects_their_shops_through_autosync_consent(
    chromium, live_server, live_sandbox, sandbox_db, settings, shop_owner, monkeypatch
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
    page.wait_for_url(f"{live_server.url}/shops/")

    page.get_by_role("button", name="Connect your AutoSync shop").click()
    page.wait_for_url(f"{live_sandbox.url}/accounts/login/**")
    page.get_by_label("Username").fill(shop_owner["username"])
    page.get_by_label("Password").fill(shop_owner["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow access").click()

    page.wait_for_url(f"{live_server.url}/shops/")
    assert page.get_by_text("Connected to AutoSync").is_visible()
    for shop in shop_owner["shops"]:
        assert page.get_by_role("link", name=shop["name"]).is_visible()
    assert page.locator(".health-connected").count() == len(shop_owner["shops"])
