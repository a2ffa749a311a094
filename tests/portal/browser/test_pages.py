"""The staff pages in real Chromium, with JavaScript on: what htmx swaps in keeps the page whole."""

import os
from pathlib import Path

import pytest

from portal.mirror.models import RunProgress, SyncRun
from tests.support.browser import signed_in

# Set SCREENSHOTS=dir to keep a picture of each page at desktop and phone widths.
SHOTS = os.environ.get("SCREENSHOTS")
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.mark.browser
def test_the_shop_page_keeps_its_link_to_the_sync_once_the_panel_loads(
    chromium,
    browsing,
    live_server,
    cast,
):
    SyncRun.objects.filter(shop=cast.shop).delete()
    run = SyncRun.objects.create(shop=cast.shop, mode=SyncRun.Mode.FULL, status=SyncRun.Status.DONE)
    RunProgress.objects.create(run=run, resource="customers", done=3, total=3, finished=True)
    page = signed_in(chromium, live_server, cast.owner)
    page.goto(f"{live_server.url}/shops/{cast.shop.pk}/")
    page.locator("#sync-progress").wait_for()  # htmx swapped the panel in
    link = page.get_by_role("link", name="See the sync and every record type")
    assert link.is_visible()
    link.click()
    page.wait_for_url(f"{live_server.url}/shops/{cast.shop.pk}/sync/")


@pytest.mark.browser
def test_the_records_table_fits_a_phone_screen(chromium, browsing, live_server, cast):
    page = signed_in(chromium, live_server, cast.owner, width=390)
    page.goto(f"{live_server.url}/shops/{cast.shop.pk}/sync/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


@pytest.mark.browser
def test_every_staff_page_renders_at_each_width_with_and_without_javascript(
    chromium, browsing, live_server, cast, tmp_path
):
    """Screenshots go to SCREENSHOTS when it names a folder (to look at them), else to a
    temporary one."""
    folder = Path(SHOTS) if SHOTS else tmp_path
    SyncRun.objects.filter(shop=cast.shop).delete()
    run = SyncRun.objects.create(
        shop=cast.shop, mode=SyncRun.Mode.FULL, status=SyncRun.Status.RUNNING
    )
    RunProgress.objects.create(run=run, resource="employees", done=4, total=4, finished=True)
    RunProgress.objects.create(run=run, resource="customers", done=60, total=200)
    for name, width in WIDTHS.items():
        for javascript in (True, False):
            page = signed_in(chromium, live_server, cast.owner, width=width, javascript=javascript)
            for slug, path in [
                ("list", "/shops/"),
                ("shop", f"/shops/{cast.shop.pk}/"),
                ("sync", f"/shops/{cast.shop.pk}/sync/"),
                ("disconnect", f"/shops/{cast.shop.pk}/disconnect/"),
            ]:
                response = page.goto(live_server.url + path)
                assert response is not None and response.ok, (path, width, javascript)
                page.wait_for_timeout(500)
                js = "js" if javascript else "nojs"
                page.screenshot(path=str(folder / f"{slug}-{name}-{js}.png"), full_page=True)
            page.context.close()


@pytest.mark.browser
def test_the_invite_form_keeps_the_focus_and_shows_the_flash_once_after_htmx_swaps_it(
    chromium,
    browsing,
    live_server,
    cast,
):
    page = signed_in(chromium, live_server, cast.owner)
    page.goto(f"{live_server.url}/shops/{cast.shop.pk}/")
    field = page.get_by_label("Teammate's email")
    field.fill("dana@example.com")
    field.press("Enter")
    page.get_by_text("Invite sent to dana@example.com").wait_for()
    assert page.get_by_text("Invite sent to dana@example.com").count() == 1
    assert page.evaluate("document.activeElement.id") == "id_email"
    # Inviting again is refused with a message beside the field, and no second email.
    page.get_by_label("Teammate's email").fill("dana@example.com")
    page.get_by_label("Teammate's email").press("Enter")
    page.get_by_text("already invited").wait_for()
    assert page.evaluate("document.activeElement.id") == "id_email"


@pytest.mark.browser
def test_the_invite_forms_fields_line_up_with_an_error_showing(
    chromium, browsing, live_server, cast
):
    page = signed_in(chromium, live_server, cast.owner)
    page.goto(f"{live_server.url}/shops/{cast.shop.pk}/")
    page.get_by_label("Teammate's email").fill("not an address")
    page.get_by_role("button", name="Send invite").click()
    page.locator(".errorlist").first.wait_for()
    email = page.locator("label[for=id_email]").bounding_box()
    role = page.locator("label[for=id_role]").bounding_box()
    assert abs(email["y"] - role["y"]) < 2
    error = page.locator(".errorlist").first.bounding_box()
    field = page.locator("#id_email").bounding_box()
    assert abs(error["x"] - field["x"]) < 2 and error["y"] > field["y"]  # under its field
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "invite-error-desktop-js.png"), full_page=True)
