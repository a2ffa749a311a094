"""Chromium through Playwright for the browser tests, watched for CSP violations."""

import os
from pathlib import Path

import pytest

from tests.support.servers import service_missing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


# Reported by Chromium on the console (also a Permissions-Policy it cannot parse), and by the
# page's `securitypolicyviolation` events.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def watch_for_csp_violations(context, violations: list[str]) -> None:
    context.add_init_script(REPORT_VIOLATIONS)

    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith(("CSP violation", "Error with")):
            violations.append(f"{message.page.url if message.page else '?'}: {text}")

    context.on("console", on_console)


@pytest.fixture
def chromium():
    """Chromium through Playwright. Every page it opens is watched: a test fails on any
    Content-Security-Policy violation, on the portal's pages or AutoSync's."""
    if not os.path.exists(CHROMIUM):
        service_missing("Chromium")
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def watched_context(**options):
            context = new_context(**options)
            watch_for_csp_violations(context, violations)
            return context

        browser.new_context = watched_context
        browser.new_page = lambda **options: watched_context(**options).new_page()
        browser.csp_violations = violations
        yield browser
        browser.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def signed_in(browser, live_server, user, *, width=1280, javascript=True):
    """A page of a new browser context with `user`'s session, `width` pixels wide."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
#: The rules of WCAG 2.0 and 2.1, levels A and AA.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[str]:
    """axe-core's findings on the page against WCAG 2.1 A and AA, whatever their impact."""
    # Evaluated by the test, not added as a <script>: the page's CSP rightly refuses inline
    # scripts, and the CSP watcher would report the test's own.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]


def set_hidden(page, hidden: bool) -> None:
    """What the browser does when the tab goes to the background or comes back."""
    page.evaluate(
        """hidden => {
            Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )
