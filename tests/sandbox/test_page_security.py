"""The sandbox's pages (sign-in, consent, authorized applications, error pages, the back office)
send a Content-Security-Policy without inline scripts and a Permissions-Policy, and keep to
them: no inline script or style, nothing a browser refuses."""

import os
import re
from urllib.parse import urlencode

import pytest

from tests.sandbox.test_oauth import Browser, Visitor, consent_params, register
from tests.support.servers import service_missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.fixture(scope="module")
def app(sandbox_db) -> dict:
    return register(sandbox_db, "Policy Portal")


@pytest.fixture(scope="module")
def pages(live_sandbox, app, johnsons) -> dict:
    """Each HTML page the sandbox serves, as its visitor sees it."""
    browser = Browser(live_sandbox, johnsons["users"][0])
    visitor = Visitor(live_sandbox)
    return {
        "sign-in": visitor.get("/accounts/login/"),
        "consent": browser.get("/oauth/authorize", params=consent_params(app)),
        "applications": browser.get("/account/applications/"),
        "authorization error": browser.get("/oauth/authorize", params={"client_id": "ci_no"}),
        "back office sign-in": visitor.get("/admin/login/"),
    }


@pytest.mark.parametrize(
    "page", ["sign-in", "consent", "applications", "authorization error", "back office sign-in"]
)
def test_every_page_sends_a_content_security_policy_without_inline_scripts(pages, page):
    answer = pages[page]
    assert answer.headers["Content-Type"].startswith("text/html")
    policy = directives(answer)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "page", ["sign-in", "consent", "applications", "authorization error", "back office sign-in"]
)
def test_every_page_sends_a_permissions_policy(pages, page):
    policy = pages[page].headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


@pytest.mark.parametrize("page", ["sign-in", "consent", "applications", "authorization error"])
def test_the_pages_have_no_inline_script_or_style(pages, page):
    html = pages[page].text
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)  # event handler attributes
    assert not re.search(r"\sstyle=", html)


def test_the_stylesheet_is_served(live_sandbox, pages):
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', pages["sign-in"].text).group(1)
    sheet = Visitor(live_sandbox).get(href)
    assert sheet.status_code == 200
    assert "--brand" in sheet.text


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
def test_chromium_refuses_nothing_on_the_sign_in_consent_and_back_office_pages(
    chromium, live_sandbox, app, johnsons, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    page = chromium.new_page()
    page.set_default_timeout(20_000)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text or "Permissions policy" in message.text
            else None
        ),
    )
    page.goto(f"{live_sandbox.url}/oauth/authorize?{urlencode(consent_params(app))}")
    user = johnsons["users"][0]
    page.get_by_label("Username").fill(user["username"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow access").wait_for()
    # The stylesheet applied: the page has the sandbox's background, not the browser's white.
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(244, 246, 249)"
    page.goto(f"{live_sandbox.url}/account/applications/")
    page.goto(f"{live_sandbox.url}/admin/")  # shop staff use the back office
    page.get_by_role("heading", name="Shop records").wait_for()
    page.goto(f"{live_sandbox.url}/admin/webhooks/endpoint/add/")
    page.get_by_label("Url").wait_for()
    assert refused == []
