"""The work order's live poll in real Chromium is polite: it asks nothing while the tab is
hidden and asks at once when it shows again, and it stops for good, saying so, when the work
order is gone."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from portal.mirror.models import WorkOrder
from tests.support.browser import set_hidden
from tests.support.garage import build_scene, owner_page

pytestmark = pytest.mark.browser


@pytest.fixture
def browsing(monkeypatch, transactional_db):
    # Django's async-unsafe guard trips on Playwright's event loop in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def scene(cast, owners):
    return build_scene(cast, owners)


def open_work_order(chromium, live_server, scene):
    """The owner's open work order's page, and the list its polls are counted in."""
    order = scene.tom_main.work_order
    page = owner_page(chromium, live_server, scene.owners.two_shops.email)
    polls: list[int] = []
    page.on("response", lambda r: polls.append(r.status) if "/status/" in r.url else None)
    page.goto(f"{live_server.url}/garage/work-orders/{order.shop_id}/{order.remote_id}/")
    page.wait_for_function("window.htmx !== undefined")
    return page, polls


def test_a_hidden_tab_does_not_poll_and_polls_at_once_when_shown(
    chromium, browsing, live_server, scene
):
    page, polls = open_work_order(chromium, live_server, scene)
    set_hidden(page, True)
    polls.clear()
    time.sleep(6)  # more than the 5 s between polls
    assert polls == []
    with page.expect_request(lambda request: "/status/" in request.url) as asked:
        set_hidden(page, False)
    page.wait_for_timeout(1000)  # well before the next 5 s
    assert polls == [204]
    # It sends the page's poll pass: the answer came without a session read (passes.py).
    assert asked.value.headers.get("x-poll-pass")


def test_the_poll_stops_and_says_so_when_the_work_order_is_gone(
    chromium, browsing, live_server, scene
):
    page, polls = open_work_order(chromium, live_server, scene)
    order = scene.tom_main.work_order
    WorkOrder.objects.filter(pk=order.pk).update(removed_at=timezone.now())
    page.locator("#live:not([hx-get])").wait_for(timeout=12_000)
    assert "no longer in your garage" in page.locator("#live").inner_text()
    seen = len(polls)
    assert polls[-1] == 404
    time.sleep(6)
    assert len(polls) == seen  # it asks no more
