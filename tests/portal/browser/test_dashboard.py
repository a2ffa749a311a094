"""The staff dashboard in real Chromium: axe-core finds no WCAG 2.1 AA violation on the
overview and the board on a desktop, a tablet and a phone, and the board updates itself
without a reload when a work order changes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.dashboard import views
from portal.mirror.models import LineItem, WorkOrder
from portal.shops.models import Membership, Role, Shop
from tests.support import factories
from tests.support.browser import axe_violations, set_hidden, signed_in

pytestmark = pytest.mark.browser

WIDTHS = [1280, 820, 390]


@pytest.fixture
def day(cast):
    """A shop's busy day: work orders in every open status (one stuck waiting for a part
    that ran out), payments over the month, appointments, a second shop to switch to."""
    shop = cast.shop
    shop.timezone = "America/Chicago"
    shop.save()
    other = Shop.objects.create(remote_id=93001, name="Second Garage")
    Membership.objects.create(user=cast.owner, shop=other, role=Role.STAFF)
    now = timezone.now()
    pads = factories.part(shop, name="Brake pad set", part_number="BP-220", quantity=0)
    factories.part(shop, name="Wiper blade", quantity=2, reorder_threshold=6)
    for n in range(12):
        owner = factories.customer(shop, first_name=f"Customer{n}", last_name="Doe")
        car = factories.vehicle(shop, owner, make="Ford", model="Focus", license_plate=f"PL{n:03}")
        status = ("draft", "in_progress", "waiting_parts", "completed")[n % 4]
        order = factories.work_order(
            shop,
            owner,
            car,
            status=status,
            number=f"WO-{500 + n}",
            technician_name=("Sam W.", "Ana P.")[n % 2],
            technician_remote_id=n % 2 + 1,
            remote_created_at=now - timedelta(days=n % 5),
            remote_updated_at=now - timedelta(days=n % 5),
        )
        order.statuses.update(seen_at=now - timedelta(days=n % 5))
        if status == "waiting_parts":
            LineItem.objects.filter(job__work_order=order, type="part").update(
                part_remote_id=pads.remote_id
            )
        factories.payment(
            shop, order, amount=Decimal(90 + n * 10), remote_created_at=now - timedelta(days=n * 2)
        )
        factories.appointment(shop, now + timedelta(hours=n * 5), owner=owner, car=car)
    return shop


@pytest.mark.parametrize("width", WIDTHS)
def test_the_overview_and_the_board_pass_axe_at_every_width(
    chromium, browsing, live_server, cast, day, width
):
    page = signed_in(chromium, live_server, cast.owner, width=width)
    found = {}
    for name in ("dashboard:overview", "dashboard:board"):
        page.goto(live_server.url + reverse(name, args=[day.pk]))
        page.wait_for_load_state("networkidle")
        # Open every definition, table and the switcher: axe checks what is shown.
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        problems = axe_violations(page)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            problems.append("the page is wider than the screen")
        if problems:
            found[name] = problems
    assert not found, found


def test_the_board_updates_itself_when_a_work_order_changes(
    chromium, browsing, live_server, cast, day, monkeypatch
):
    monkeypatch.setattr(views, "REFRESH_SECONDS", 1)
    page = signed_in(chromium, live_server, cast.owner, width=1280)
    page.goto(live_server.url + reverse("dashboard:board", args=[day.pk]) + "?q=WO-500")
    refreshes: list[tuple[int, bool]] = []
    page.on(
        "response",
        lambda r: (
            refreshes.append((r.status, bool(r.request.headers.get("x-poll-pass"))))
            if r.request.headers.get("hx-request")
            else None
        ),
    )
    row = page.get_by_role("row", name="WO-500")
    row.get_by_text("Draft").wait_for()
    page.evaluate("window.notReloaded = true")
    page.wait_for_timeout(2500)
    # While nothing changed: 204, with the page's poll pass (answered before the session).
    assert (204, True) in refreshes, refreshes
    WorkOrder.objects.filter(shop=day, number="WO-500").update(
        status="in_progress", remote_updated_at=timezone.now()
    )
    row.get_by_text("In progress").wait_for(timeout=10_000)
    assert page.evaluate("window.notReloaded === true")
    assert page.get_by_label("Search").input_value() == "WO-500"


def test_the_board_is_searched_as_you_type_and_the_address_follows(
    chromium, browsing, live_server, cast, day
):
    page = signed_in(chromium, live_server, cast.owner, width=390)
    page.goto(live_server.url + reverse("dashboard:board", args=[day.pk]))
    page.get_by_label("Search").fill("pl007")
    page.get_by_role("heading", name="1 matching work order").wait_for()
    assert "q=pl007" in page.url
    assert page.get_by_role("row", name="WO-507").is_visible()


def test_the_board_is_searched_and_paged_without_javascript(
    chromium, browsing, live_server, cast, day
):
    for n in range(20):
        factories.work_order(day, status="draft", number=f"WO-9{n:02}", jobs=0)
    page = signed_in(chromium, live_server, cast.owner, width=390, javascript=False)
    page.goto(live_server.url + reverse("dashboard:board", args=[day.pk]))
    page.get_by_role("link", name="Next page").click()
    page.get_by_role("link", name="Page 2").and_(page.locator("[aria-current=page]")).wait_for()
    page.get_by_label("Search").fill("pl007")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="1 matching work order").wait_for()
    assert "q=pl007" in page.url


def test_a_hidden_tab_does_not_refresh_and_refreshes_again_when_shown(
    chromium, browsing, live_server, cast, day, monkeypatch
):
    """A dashboard left open in a background tab all day asks nothing (static/js/polls.js)."""
    monkeypatch.setattr(views, "REFRESH_SECONDS", 1)
    page = signed_in(chromium, live_server, cast.owner, width=1280)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.headers.get("hx-request") else None)
    page.goto(live_server.url + reverse("dashboard:overview", args=[day.pk]))
    page.wait_for_function("window.htmx !== undefined")
    set_hidden(page, True)
    asked.clear()
    page.wait_for_timeout(2500)  # more than two refreshes' time
    assert asked == []
    set_hidden(page, False)
    page.wait_for_timeout(500)
    assert asked  # and it asks again
