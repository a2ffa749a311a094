"""Booking a visit in real Chromium on a phone-sized screen (390 px), with JavaScript on (htmx
boosts the steps and loads the free times in place) and off (plain forms)."""

import pytest

from portal.booking.models import Booking, BookingSettings
from portal.mirror import books
from tests.support.booking import bookable_day

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(cast):
    cast.shop.timezone = "America/New_York"
    cast.shop.save()
    BookingSettings.for_shop(cast.shop)
    books.completed(cast.shop, "appointments")
    return cast.shop


def wait_for_focus(page, element_id: str) -> None:
    """Until the element `element_id` has the focus (htmx moves it to an autofocus element once
    a swap has settled, a moment after the new content shows); fails after 5 s."""
    page.wait_for_function(
        "id => document.activeElement && document.activeElement.id === id",
        arg=element_id,
        timeout=5_000,
    )


def book_through_the_flow(page, base_url: str, shop, *, javascript: bool) -> None:
    page.goto(f"{base_url}/book/{shop.slug}/")
    page.get_by_role("link", name="Book a visit").click()
    page.get_by_role("heading", name="What needs doing").wait_for()
    page.get_by_role("button", name="Continue").click()  # nothing chosen: refused, in place
    page.get_by_role("alert").wait_for()
    wait_for_focus(page, "problems")
    page.get_by_label("Oil and filter change").check()
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Your vehicle").wait_for()
    page.get_by_label("Year").fill("2019")
    page.get_by_label("Make").fill("Honda")
    page.get_by_label("Model").fill("Civic")
    page.get_by_label("VIN (optional)").fill("1HGCM82633A004353")  # a typo
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("This VIN has a typo somewhere").first.wait_for()
    assert page.get_by_label("Make").input_value() == "Honda"  # kept
    page.get_by_label("VIN (optional)").fill("1HGCM82633A004352")
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="When").wait_for()
    if javascript:
        # htmx has settled the step (it sets up the new content, then moves the focus): a day
        # typed in the 20 ms between the swap and then changes without htmx listening.
        wait_for_focus(page, "step-title")
    day = bookable_day(shop)
    page.get_by_label("Day").fill(day.isoformat())
    if not javascript:
        page.get_by_role("button", name="Show free times").click()
    heading = page.get_by_role("heading", name="Free times on")
    heading.wait_for()
    if javascript:  # loaded in place, and the focus moved to what changed
        wait_for_focus(page, "times-title")
    page.get_by_text("10:00 AM", exact=True).click()
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Your details").wait_for()
    page.get_by_label("Your name").fill("Olive Owner")
    page.get_by_label("Email").fill("olive@example.com")
    page.get_by_label("Phone").fill("(312) 555-0143")
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Check and book").wait_for()
    assert "10:00 AM" in page.text_content("main")
    page.get_by_role("button", name="Book this visit").click()
    page.get_by_role("heading", name="Thank you, your visit is booked").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_an_owner_books_a_visit_on_a_phone(chromium, browsing, live_server, shop, javascript):
    context = chromium.new_context(
        viewport={"width": 390, "height": 800}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    book_through_the_flow(page, live_server.url, shop, javascript=javascript)
    booking = Booking.objects.get()
    assert (booking.name, booking.phone, booking.vin) == (
        "Olive Owner",
        "+13125550143",
        "1HGCM82633A004352",
    )
    assert f"{booking.starts_at.astimezone(shop.zone):%H:%M}" == "10:00"
