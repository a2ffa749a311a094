"""The public booking pages through the test client: the shop's page and why it may be
closed, each step's validation (keeping what was entered), the no-JavaScript and htmx paths,
a time taken meanwhile, the confirmation and the manage page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from portal.booking.models import Booking, BookingSettings, ChangeRequest, ClosedDate, Service
from portal.booking.views import time_choices
from portal.booking.visit import BOOKED_KEY, SESSION_KEY, STEPS
from portal.mirror import books
from portal.shops.models import Connection
from tests.support.booking import at, bookable_day, fill_visit

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, shop, *args) -> str:
    return reverse(f"booking:{name}", args=[shop.slug, *args])


def visit_in(client) -> dict:
    return client.session[SESSION_KEY]["data"]


# --- The shop's page ---------------------------------------------------------------------------


def test_the_shop_page_shows_the_shop_and_its_hours_and_offers_to_book(client, shop):
    shop.address, shop.phone = "12 Main St, Springfield, IL 62701", "+13125550100"
    shop.save()
    page = client.get(url("shop", shop))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Main Street Garage" in html and "12 Main St" in html and "+13125550100" in html
    assert "Monday</dt>" in html and "8:00 AM to 5:00 PM" in html and "Closed" in html
    assert url("what", shop) in html


def test_an_unknown_slug_is_not_found(client, shop):
    assert client.get("/book/no-such-shop/").status_code == 404


@pytest.mark.parametrize(
    ("close", "words"),
    [
        (lambda shop: Connection.objects.update(status="disconnected"), "not taking online"),
        (lambda shop: type(shop).objects.update(granted=False), "not taking online"),
        (lambda shop: type(shop).objects.update(connection=None), "not taking online"),
        (
            lambda shop: BookingSettings.objects.update(enabled=False),
            "does not take bookings online",
        ),
        (
            lambda shop: books.forget_completeness(shop, ["appointments"]),
            "as soon as the shop&#x27;s calendar has reached us",
        ),
    ],
)
def test_a_shop_that_cannot_take_bookings_says_so_and_offers_no_times(client, shop, close, words):
    close(shop)
    page = client.get(url("shop", shop))
    assert words in page.content.decode()
    assert url("what", shop) not in page.content.decode()
    assert client.get(url("what", shop)).url == url("shop", shop)
    day = bookable_day(shop)
    assert client.get(url("times", shop), {"day": day.isoformat()}).status_code == 404


# --- Step 1: what needs doing --------------------------------------------------------------


def test_step_one_lists_the_menu_and_needs_a_service_or_words(client, shop):
    page = client.get(url("what", shop))
    assert "Tire rotation" in page.content.decode() and "About 30 minutes" in page.content.decode()
    empty = client.post(url("what", shop), {"notes": ""})
    assert empty.status_code == 422
    html = empty.content.decode()
    assert "Choose a service, or tell us in your own words" in html
    assert 'role="alert"' in html and 'aria-describedby="id_services_error"' in html


def test_a_step_posted_empty_is_refused_not_taken_from_before(client, shop):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=2)
    page = client.post(url("what", shop), {})
    assert page.status_code == 422
    assert "Choose a service, or tell us" in page.content.decode()
    assert 'id="id_services_0" checked' not in page.content.decode()


def test_step_one_keeps_the_words_when_a_service_is_unknown(client, shop):
    page = client.post(url("what", shop), {"services": ["999999"], "notes": "Squeaky brakes"})
    assert page.status_code == 422
    assert "This service is not offered any more." in page.content.decode()
    assert "Squeaky brakes" in page.content.decode()


def test_step_one_stores_the_choice_and_goes_on_to_the_vehicle(client, shop):
    oil = Service.objects.get(shop=shop, name="Oil and filter change")
    answer = client.post(url("what", shop), {"services": [oil.pk], "notes": ""})
    assert answer.status_code == 302 and answer.url == url("vehicle", shop)
    assert visit_in(client)["what"] == {"services": [oil.pk], "notes": ""}
    again = client.get(url("what", shop)).content.decode()
    assert f'value="{oil.pk}" id="id_services_0" checked' in again


def test_a_step_opened_too_early_sends_to_the_first_step_to_do(client, shop):
    assert client.get(url("who", shop)).url == url("what", shop)
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=2)
    assert client.get(url("review", shop)).url == url("when", shop)


# --- Step 2: the vehicle -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("year", "", "Enter the year your vehicle was made."),
        ("year", "nineteen", "Enter the year as a number, such as 2019."),
        ("year", "1850", "Enter a year between 1900 and"),
        ("make", "", "Enter the make of your vehicle."),
        ("model", "", "Enter the model of your vehicle."),
        ("vin", "1HGCM82633A00435", "A VIN has 17 letters and digits."),
        ("vin", "1HGCM82633A0O4352", "never has the letters I, O or Q"),
        ("vin", "1HGCM82633A004353", "This VIN has a typo somewhere"),
        ("license_plate", "X" * 17, "at most 16 characters"),
    ],
)
def test_each_wrong_vehicle_detail_gets_its_message_and_the_rest_is_kept(
    client, shop, field, value, message
):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=1)
    details = {"year": "2019", "make": "Honda", "model": "Civic", "vin": "", "license_plate": ""}
    page = client.post(url("vehicle", shop), {**details, field: value})
    assert page.status_code == 422
    html = page.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html and f'id="id_{field}_error"' in html
    for name, kept in details.items():
        if name != field and kept:
            assert f'value="{kept}"' in html


def test_the_vin_and_plate_are_written_the_way_the_shop_reads_them(client, shop):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=1)
    details = {"year": "2019", "make": "Honda", "model": "Civic"}
    answer = client.post(
        url("vehicle", shop), {**details, "vin": "1hgcm8263 3a004352", "license_plate": "7abc123"}
    )
    assert answer.url == url("when", shop)
    stored = visit_in(client)["vehicle"]
    assert (stored["vin"], stored["license_plate"]) == ("1HGCM82633A004352", "7ABC123")


# --- Step 3: when --------------------------------------------------------------------------


def test_without_javascript_the_day_reloads_the_page_with_its_free_times(client, shop):
    day = bookable_day(shop)
    fill_visit(client, shop, at(shop, day, "10:00"), steps=2)
    page = client.get(url("when", shop), {"day": day.isoformat()})
    html = page.content.decode()
    assert page.status_code == 200
    assert "8:00 AM" in html and "4:30 PM" in html and "5:00 PM" not in html
    assert at(shop, day, "10:00").astimezone(UTC).isoformat() in html


def test_the_free_times_part_lists_a_day_for_htmx_in_the_shops_zone(client, shop):
    day = bookable_day(shop)
    oil = Service.objects.get(shop=shop, name="Scheduled maintenance")  # 120 minutes
    part = client.get(url("times", shop), {"day": day.isoformat(), "services": [oil.pk]}, **HTMX)
    html = part.content.decode()
    assert part.status_code == 200 and "<html" not in html
    assert "8:00 AM" in html and "3:00 PM" in html and "3:30 PM" not in html
    assert "autofocus" in html  # the times' heading takes the focus


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("", "Choose a day."),
        ("15/06/2026", "Enter a date such as 2026-06-15."),
        ("2001-01-01", "Choose a day from"),
        ("2999-01-01", "Choose a day from"),
    ],
)
def test_a_day_that_cannot_be_booked_gets_its_message_beside_the_field(client, shop, day, message):
    part = client.get(url("times", shop), {"day": day, "services": ["x"]}, **HTMX)
    assert part.status_code == 422
    html = part.content.decode()
    assert message in html and 'aria-invalid="true"' in html and 'id="id_day_error"' in html
    if day:  # what was typed stays in the field
        assert f'value="{day}"' in html


def test_a_closed_date_lists_no_times(client, shop):
    day = bookable_day(shop)
    ClosedDate.objects.create(shop=shop, date=day)
    part = client.get(url("times", shop), {"day": day.isoformat()}, **HTMX)
    assert "No free times on this day" in part.content.decode()


def test_a_time_is_kept_only_if_it_is_free(client, shop):
    day = bookable_day(shop)
    fill_visit(client, shop, at(shop, day, "10:00"), steps=2)
    listed = at(shop, day, "10:00").astimezone(UTC).isoformat()
    off_grid = at(shop, day, "10:10").astimezone(UTC).isoformat()
    refused = client.post(url("when", shop), {"day": day.isoformat(), "start": off_grid})
    assert refused.status_code == 422
    assert "This time is not free any more" in refused.content.decode()
    assert listed in refused.content.decode()  # the day's times are listed again
    nothing = client.post(url("when", shop), {"day": day.isoformat()})
    assert "Choose a time." in nothing.content.decode()
    garbage = client.post(url("when", shop), {"day": day.isoformat(), "start": "soon"})
    assert "Choose one of the times listed." in garbage.content.decode()
    answer = client.post(url("when", shop), {"day": day.isoformat(), "start": listed})
    assert answer.url == url("who", shop)
    assert visit_in(client)["when"] == {"start": listed}


# --- Step 4: who ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your name."),
        ("email", "", "Enter your email address."),
        ("email", "olive@", "Enter an email address such as name@example.com."),
        ("phone", "", "Enter a phone number the shop can call you on."),
        ("phone", "12", "Enter a phone number the shop can call you on, such as"),
    ],
)
def test_each_wrong_contact_detail_gets_its_message_and_the_rest_is_kept(
    client, shop, field, value, message
):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=3)
    details = {"name": "Olive Owner", "email": "olive@example.com", "phone": "(312) 555-0143"}
    page = client.post(url("who", shop), {**details, field: value})
    assert page.status_code == 422
    html = page.content.decode()
    assert message in html and f'id="id_{field}_error"' in html
    for name, kept in details.items():
        if name != field:
            assert f'value="{kept}"' in html


def test_the_phone_is_kept_in_international_form(client, shop):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"), steps=3)
    details = {"name": "Olive", "email": "Olive@Example.com", "phone": "(312) 555-0143"}
    assert client.post(url("who", shop), details).url == url("review", shop)
    assert visit_in(client)["who"] == {
        "name": "Olive",
        "email": "olive@example.com",
        "phone": "+13125550143",
    }


# --- Step 5: review and book ---------------------------------------------------------------


def test_the_review_shows_everything_in_the_shops_zone(client, shop):
    day = bookable_day(shop)
    fill_visit(client, shop, at(shop, day, "10:00"))
    html = client.get(url("review", shop)).content.decode()
    assert "10:00 AM E" in html  # EDT or EST, the shop's zone
    for words in ("Oil and filter change", "A rattle at the back", "2019 Honda Civic"):
        assert words in html
    assert "+13125550143" in html and 'name="website"' in html


def test_booking_records_the_visit_and_shows_the_confirmation_with_its_manage_link(client, shop):
    day = bookable_day(shop)
    start = at(shop, day, "10:00")
    fill_visit(client, shop, start)
    answer = client.post(url("review", shop), {"website": ""})
    assert answer.status_code == 302 and answer.url == url("booked", shop)
    booking = Booking.objects.get()
    assert booking.starts_at == start and booking.vin == "1HGCM82633A004352"
    assert booking.notes == "A rattle at the back"
    assert SESSION_KEY not in client.session
    page = client.get(answer.url).content.decode()
    assert "Received, confirming with the shop" in page
    token = client.session[BOOKED_KEY]["token"]
    assert reverse("booking:manage", args=[token]) in page
    assert list(Booking.objects.managed_by(token)) == [booking]


def test_a_time_taken_meanwhile_is_refused_with_the_nearest_free_times(client, shop):
    BookingSettings.objects.update(capacity=1)
    day = bookable_day(shop)
    start = at(shop, day, "10:00")
    fill_visit(client, shop, start, email="first@example.com")
    client.post(url("review", shop), {"website": ""})
    fill_visit(client, shop, start)
    page = client.post(url("review", shop), {"website": ""})
    assert page.status_code == 409
    html = page.content.decode()
    assert "that time was just taken" in html and 'role="alert"' in html
    assert "9:30 AM" in html and "10:30 AM" in html
    assert Booking.objects.count() == 1
    assert visit_in(client)["who"]["name"] == "Olive Owner"  # nothing entered is lost
    other = at(shop, day, "10:30").astimezone(UTC).isoformat()
    assert other in html
    assert client.post(url("when", shop), {"start": other}).url == url("review", shop)


def test_a_filled_honeypot_is_refused_in_plain_words_and_books_nothing(client, shop):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"))
    page = client.post(url("review", shop), {"website": "http://spam.example"})
    assert page.status_code == 422
    assert "Leave this field empty" in page.content.decode()
    assert not Booking.objects.exists()


def test_booking_is_throttled_per_email_with_a_plain_429_page(client, shop):
    start = at(shop, bookable_day(shop), "10:00")
    for _ in range(5):
        fill_visit(client, shop, start)
        client.post(url("review", shop), {"website": "bot"})
    fill_visit(client, shop, start)
    page = client.post(url("review", shop), {"website": ""})
    assert page.status_code == 429
    assert "Too many booking attempts" in page.content.decode()
    assert not Booking.objects.exists()
    # Another address from the same place may still book.
    fill_visit(client, shop, start, email="other@example.com")
    assert client.post(url("review", shop), {"website": ""}).status_code == 302


def test_booking_is_throttled_per_ip_address(client, shop):
    start = at(shop, bookable_day(shop), "10:00")
    for n in range(20):
        fill_visit(client, shop, start, email=f"owner{n}@example.com")
        client.post(url("review", shop), {"website": "bot"})
    fill_visit(client, shop, start, email="last@example.com")
    assert client.post(url("review", shop), {"website": ""}).status_code == 429


def test_every_form_needs_its_csrf_token(client, shop, booked):
    _, manage = booked
    guarded = Client(enforce_csrf_checks=True)
    fill_visit(guarded, shop, at(shop, bookable_day(shop), "11:00"))
    for path in [*(url(step, shop) for step in STEPS), manage]:
        assert guarded.post(path, {"kind": "cancel"}).status_code == 403, path
    assert not ChangeRequest.objects.exists()


def test_the_confirmation_without_a_booking_goes_back_to_the_shop(client, shop):
    assert client.get(url("booked", shop)).url == url("shop", shop)


# --- Manage this booking -------------------------------------------------------------------


@pytest.fixture
def booked(client, shop):
    fill_visit(client, shop, at(shop, bookable_day(shop), "10:00"))
    client.post(url("review", shop), {"website": ""})
    token = client.session[BOOKED_KEY]["token"]
    return Booking.objects.get(), reverse("booking:manage", args=[token])


def test_the_manage_page_shows_the_bookings_state_and_time(client, booked):
    _booking, manage = booked
    Booking.objects.update(state=Booking.State.CONFIRMED)
    html = client.get(manage).content.decode()
    assert "Confirmed" in html and "10:00 AM E" in html and "Change or cancel" in html


def test_an_unknown_or_altered_token_is_not_found(client, booked):
    _, manage = booked
    assert client.get(manage[:-2] + "x/").status_code == 404
    assert client.get(reverse("booking:manage", args=["not-a-token"])).status_code == 404


def test_a_stranger_with_another_bookings_link_sees_only_that_booking(client, shop, booked):
    """The link is the key: another booking's link shows that booking, never this one."""
    booking, _manage = booked
    other = Booking.objects.create(
        shop=shop,
        state=Booking.State.CONFIRMED,
        starts_at=booking.starts_at + timedelta(days=1),
        ends_at=booking.ends_at + timedelta(days=1),
        name="Sid Stranger",
        email="sid@example.com",
        phone="+13125550199",
        vehicle_year=2010,
        vehicle_make="Ford",
        vehicle_model="Focus",
        manage_token_hash="0" * 64,
    )
    token = other.issue_manage_token()
    other.save()
    html = client.get(reverse("booking:manage", args=[token])).content.decode()
    assert "Sid Stranger" in html and "Olive Owner" not in html


def test_asking_to_cancel_records_the_request_and_shows_it_pending(client, booked):
    booking, manage = booked
    refused = client.post(manage, {"message": "Sorry"})
    assert refused.status_code == 422
    assert "Choose whether to change or cancel" in refused.content.decode()
    assert "Sorry" in refused.content.decode()
    answer = client.post(manage, {"kind": "cancel", "message": "Away that week"})
    assert answer.status_code == 302
    request = ChangeRequest.objects.get()
    assert (request.booking, request.kind, request.outcome) == (booking, "cancel", "pending")
    html = client.get(manage).content.decode()
    assert "Your request: cancel the visit" in html and "Away that week" in html
    assert "Send to the shop" not in html
    client.post(manage, {"kind": "change"})
    assert ChangeRequest.objects.count() == 1


def test_a_cancelled_booking_offers_no_change(client, booked):
    _, manage = booked
    Booking.objects.update(state=Booking.State.CANCELLED)
    html = client.get(manage).content.decode()
    assert "Cancelled" in html and "Send to the shop" not in html


def test_the_hour_that_happens_twice_says_which_it_is(shop):
    first, second = (datetime(2026, 11, 1, hour, 30, tzinfo=UTC) for hour in (5, 6))
    later = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    labels = [label for _, label in time_choices(shop, [first, second, later])]
    assert labels == ["1:30 AM EDT", "1:30 AM EST", "9:00 AM"]
