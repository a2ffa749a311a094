"""A vehicle owner signed in (the garage's sign-in) books for one of their vehicles at the shop
instead of typing it in, and finds their details filled in; anyone else books as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.accounts.owners import SESSION_KEY as OWNER_KEY
from portal.booking.models import Booking
from portal.booking.visit import SESSION_KEY
from portal.shops.models import Shop
from tests.support import factories
from tests.support.booking import at, bookable_day, fill_visit, visit_data

pytestmark = pytest.mark.django_db

EMAIL = "pat@example.com"


def url(name: str, shop) -> str:
    return reverse(f"booking:{name}", args=[shop.slug])


def sign_in(client, email: str = EMAIL) -> None:
    session = client.session
    session[OWNER_KEY] = email
    session.save()


@pytest.fixture
def pat(shop):
    """Pat, a customer of the shop with a 2016 Civic, signed in, at step 2 of a visit."""
    customer = factories.customer(
        shop, first_name="Pat", last_name="Lee", email=EMAIL, phone="+13125550199"
    )
    return customer, factories.vehicle(
        shop, customer, year=2016, make="Honda", model="Civic", vin="", license_plate="ABC123"
    )


@pytest.fixture
def at_step_two(client, shop):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=1)
    sign_in(client)
    return client


def test_a_signed_in_owner_is_offered_their_vehicles_at_this_shop_and_another_vehicle(
    at_step_two, shop, pat, cast
):
    elsewhere = Shop.objects.get(memberships__user=cast.stranger)
    factories.vehicle(elsewhere, factories.customer(elsewhere, email=EMAIL), model="Accord")
    factories.vehicle(shop, factories.customer(shop, email="sid@example.com"), model="Fit")
    page = at_step_two.get(url("vehicle", shop))
    html = page.content.decode()
    assert page.status_code == 200
    assert "2016 Honda Civic, plate ABC123" in html and "Another vehicle" in html
    assert "Accord" not in html and "Fit" not in html
    assert 'name="year"' in html  # another vehicle's details, shown once it is chosen


def test_a_signed_in_owner_picks_their_vehicle_and_the_booking_carries_it(at_step_two, shop, pat):
    customer, car = pat
    answer = at_step_two.post(url("vehicle", shop), {"choice": str(car.remote_id), "year": "x"})
    assert answer.status_code == 302 and answer.url == url("when", shop)
    session = at_step_two.session
    data = session[SESSION_KEY]["data"]
    assert data["vehicle"] == {
        "year": 2016,
        "make": "Honda",
        "model": "Civic",
        "vin": "",
        "license_plate": "ABC123",
        "remote_id": car.remote_id,
        "owner_remote_id": customer.remote_id,
    }
    start = at(shop, bookable_day(shop), "10:00")
    rest = visit_data(shop, start, email=EMAIL)
    data |= {"when": rest["when"], "who": rest["who"]}
    session.save()
    assert at_step_two.post(url("review", shop), {"website": ""}).url == url("booked", shop)
    booking = Booking.objects.get()
    assert (booking.vehicle_year, booking.vehicle_make, booking.vehicle_model) == (
        2016,
        "Honda",
        "Civic",
    )
    assert (booking.license_plate, booking.vin) == ("ABC123", "")
    # Confirming finds them without a search.
    assert (booking.vehicle_remote_id, booking.customer_remote_id) == (
        car.remote_id,
        customer.remote_id,
    )


def test_going_back_to_the_vehicle_step_shows_the_vehicle_picked(at_step_two, shop, pat):
    _, car = pat
    at_step_two.post(url("vehicle", shop), {"choice": str(car.remote_id)})
    html = at_step_two.get(url("vehicle", shop)).content.decode()
    assert f'value="{car.remote_id}" id="id_choice_0" checked' in html


@pytest.mark.parametrize("whose", ["another customer", "the same email at another shop"])
def test_a_vehicle_that_is_not_the_owners_here_is_refused_with_a_message(
    at_step_two, shop, pat, cast, whose
):
    if whose == "another customer":
        forged = factories.vehicle(shop, factories.customer(shop, email="sid@example.com"))
    else:
        elsewhere = Shop.objects.get(memberships__user=cast.stranger)
        forged = factories.vehicle(elsewhere, factories.customer(elsewhere, email=EMAIL))
    page = at_step_two.post(
        url("vehicle", shop), {"choice": str(forged.remote_id), "year": "2020", "make": "Kia"}
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert "Choose one of your vehicles, or another vehicle." in html
    assert 'id="id_choice_error"' in html and 'value="Kia"' in html  # the rest is kept
    assert "vehicle" not in at_step_two.session[SESSION_KEY]["data"]


def test_a_signed_in_owner_may_type_in_another_vehicle(at_step_two, shop, pat):
    details = {"year": "2021", "make": "Ford", "model": "F-150", "license_plate": "xyz9"}
    missing = at_step_two.post(url("vehicle", shop), {"choice": "other", "make": "Ford"})
    assert missing.status_code == 422
    assert "Enter the year your vehicle was made." in missing.content.decode()
    answer = at_step_two.post(url("vehicle", shop), {"choice": "other", **details})
    assert answer.url == url("when", shop)
    stored = at_step_two.session[SESSION_KEY]["data"]["vehicle"]
    assert stored == {
        "year": 2021,
        "make": "Ford",
        "model": "F-150",
        "vin": "",
        "license_plate": "XYZ9",
    }


def test_an_owner_who_is_not_signed_in_types_in_their_vehicle_as_before(client, shop, pat):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=1)
    html = client.get(url("vehicle", shop)).content.decode()
    assert "Civic, plate" not in html and 'name="choice"' not in html
    forged = client.post(url("vehicle", shop), {"choice": str(pat[1].remote_id)})
    assert forged.status_code == 422
    assert "Enter the year your vehicle was made." in forged.content.decode()


def test_the_vehicle_step_costs_the_same_queries_for_one_vehicle_and_many(at_step_two, shop, pat):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert at_step_two.get(url("vehicle", shop)).status_code == 200
        return len(queries)

    one = count()
    customer, _ = pat
    for n in range(10):
        factories.vehicle(shop, customer, model=f"Model {n}")
    assert count() == one


def test_the_details_step_is_filled_in_for_a_signed_in_owner(client, shop, pat):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=3)
    sign_in(client)
    html = client.get(url("who", shop)).content.decode()
    assert f'value="{EMAIL}"' in html and 'value="Pat Lee"' in html
    assert 'value="+13125550199"' in html


def test_the_details_step_shows_what_was_entered_rather_than_the_shops_record(client, shop, pat):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=4, email=EMAIL)
    sign_in(client)
    html = client.get(url("who", shop)).content.decode()
    assert 'value="Olive Owner"' in html and "Pat Lee" not in html


# --- In Chromium ---------------------------------------------------------------------------


@pytest.fixture
def owner_browsing(monkeypatch, transactional_db):
    # Django's async-unsafe guard trips on Playwright's event loop in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_the_vehicle_step_of_a_signed_in_owner_passes_axe_and_works_by_keyboard(
    chromium, owner_browsing, live_server, shop, pat, width
):
    from django.conf import settings
    from django.test import Client

    from tests.support.browser import axe_violations

    client = Client()
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=1)
    sign_in(client)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.session.session_key,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(live_server.url + url("vehicle", shop))
    assert axe_violations(page) == []
    year = page.get_by_label("Year")
    assert not year.is_visible()  # another vehicle's details, until it is chosen
    page.get_by_label("Another vehicle").check()
    assert year.is_visible()
    assert axe_violations(page) == []
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    page.get_by_label("2016 Honda Civic, plate ABC123").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="When").wait_for()
    assert page.url.endswith(url("when", shop))
