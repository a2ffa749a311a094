"""Chromium through Playwright for the browser tests, watched for CSP violations."""

import os

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
