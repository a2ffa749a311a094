"""Every page of the portal passes axe-core's WCAG 2.1 A and AA rules in real Chromium, on a
desktop (1280 px) and a phone (390 px), with what htmx loads into it."""

from urllib.parse import urlsplit

import pytest

from portal.accounts import verification
from portal.mirror.models import RunProgress, SyncRun
from portal.shops.invites import link_for
from portal.shops.models import Connection, Invite, Role
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
            "/dev/mail/",
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
