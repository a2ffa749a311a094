"""The design system's promises, in real Chromium: a visible focus ring, pages that fit a
360 px phone, and paper that carries the content without the navigation."""

import pytest

from portal.mirror.models import RunProgress, SyncRun
from tests.support.browser import signed_in


@pytest.mark.browser
def test_a_keyboard_user_sees_a_focus_ring_on_the_skip_link_and_the_links(
    chromium, browsing, live_server
):
    page = chromium.new_page()
    page.goto(f"{live_server.url}/")
    focused = []
    for _ in range(3):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate(
                "() => { const e = document.activeElement, s = getComputedStyle(e);"
                " return [e.textContent.trim(), s.outlineStyle, parseFloat(s.outlineWidth),"
                " e.getBoundingClientRect().left]; }"
            )
        )
    assert [text for text, *_ in focused] == ["Skip to content", "AutoSync portal", "Sign in"]
    for text, style, width, left in focused:
        assert style == "solid" and width >= 2 and left >= 0, (text, style, width, left)


@pytest.mark.browser
def test_the_staff_pages_fit_a_360_pixel_phone(chromium, browsing, live_server, cast):
    SyncRun.objects.filter(shop=cast.shop).delete()
    run = SyncRun.objects.create(
        shop=cast.shop, mode=SyncRun.Mode.FULL, status=SyncRun.Status.RUNNING
    )
    RunProgress.objects.create(run=run, resource="customers", done=60, total=200)
    page = signed_in(chromium, live_server, cast.owner, width=360)
    for path in ("/shops/", f"/shops/{cast.shop.pk}/", f"/shops/{cast.shop.pk}/sync/", "/account/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)


@pytest.mark.browser
def test_a_printed_page_keeps_the_content_and_leaves_out_the_navigation(
    chromium, browsing, live_server, cast
):
    page = signed_in(chromium, live_server, cast.owner)
    page.goto(f"{live_server.url}/shops/{cast.shop.pk}/")
    page.emulate_media(media="print")
    assert not page.get_by_role("navigation", name="Main").is_visible()
    assert page.get_by_role("heading", name=cast.shop.name).is_visible()
    page.emulate_media(media="screen")
    assert page.get_by_role("navigation", name="Main").is_visible()
