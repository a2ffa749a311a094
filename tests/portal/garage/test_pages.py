"""The garage's pages as an owner sees them: everything of theirs in every shop, each record
labelled with its shop, how fresh it is, and plain words when a shop's sync is paused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.booking.models import ChangeRequest
from portal.garage import pages
from portal.mirror.models import ResourceState, ShopNotice, WorkOrder, WorkOrderStatus
from portal.shops.models import Connection, Shop
from tests.support import factories
from tests.support.garage import booking, garage_client

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def work_order_url(order) -> str:
    return f"/garage/work-orders/{order.shop_id}/{order.remote_id}/"


# --- Overview ----------------------------------------------------------------------------------


def test_the_overview_shows_an_owners_records_at_both_shops_each_with_its_shop(client, scene):
    tom = scene.owners.two_shops
    text = text_of(garage_client(client, tom.email).get("/garage/"))
    assert "Main Street Garage" in text and "Elsewhere Motors" in text
    assert work_order_url(scene.tom_main.work_order) in text  # open: listed
    assert work_order_url(scene.tom_other.work_order) not in text  # invoiced: not open
    assert f"/garage/payments/{scene.other.pk}/{scene.tom_other.payment.remote_id}/" in text
    assert "Honda Civic" in text
    assert scene.sid.work_order.number not in text and "Sid" not in text


def test_the_overview_says_how_fresh_each_shop_is_and_when_syncing_is_paused(client, scene):
    ResourceState.objects.create(
        shop=scene.main, resource="workorders", last_success_at=timezone.now()
    )
    Connection.objects.filter(pk=scene.other.connection_id).update(
        status=Connection.Status.NEEDS_RECONNECTING
    )
    text = text_of(garage_client(client, scene.owners.two_shops.email).get("/garage/"))
    assert "Updated <time" in text and "just now" in text
    assert "Not synced yet." in text  # the other shop: no sync recorded
    assert "Syncing is paused" in text


def test_an_owner_with_nothing_mirrored_is_told_what_will_appear(client, scene):
    text = text_of(garage_client(client, "nobody@example.com").get("/garage/"))
    assert "Nothing here yet" in text


def test_the_owners_navigation_links_every_garage_page(client, scene):
    text = text_of(garage_client(client, scene.owners.one_shop.email).get("/garage/vehicles/"))
    for label in ("Overview", "Vehicles", "Appointments", "Work orders", "Payments"):
        assert f">{label}</a>" in text
    assert 'href="/garage/vehicles/" aria-current="page"' in text
    assert "olive@example.com" in text


# --- Vehicles ----------------------------------------------------------------------------------


def test_the_garage_sheet_is_linked_in_the_head_so_pages_never_draw_without_it(client, scene):
    text = text_of(garage_client(client, scene.owners.one_shop.email).get("/garage/"))
    head, body = text.split("</head>", 1)
    assert "css/garage" in head and "css/garage" not in body


def test_each_vehicle_lists_its_work_orders_and_upcoming_visits(client, scene):
    tom = scene.owners.two_shops
    past = factories.appointment(
        scene.main,
        timezone.now() - timedelta(days=30),
        owner=tom.customers[0],
        car=tom.vehicles[0],
        status="completed",
    )
    text = text_of(garage_client(client, tom.email).get("/garage/vehicles/"))
    assert text.count('<h2 id="vehicle-') == 2
    assert work_order_url(scene.tom_main.work_order) in text
    assert work_order_url(scene.tom_other.work_order) in text
    assert "Upcoming visits" in text and "Scheduled" in text
    assert "Past appointments" in text and past.start_time.strftime("%-d %b %Y") in text


# --- Appointments ------------------------------------------------------------------------------


def test_appointments_list_phone_and_portal_bookings_with_their_state(client, scene):
    text = text_of(garage_client(client, scene.owners.one_shop.email).get("/garage/appointments/"))
    assert "booked with the shop" in text and "booked online" in text
    assert "Received, confirming with the shop" in text  # the pending booking
    assert f"/garage/appointments/booking/{scene.olive.booking.pk}/" in text


def test_a_confirmed_booking_and_the_appointment_it_made_show_once(client, scene):
    olive = scene.olive
    olive.booking.state = "confirmed"
    olive.booking.appointment_remote_id = olive.appointment.remote_id
    olive.booking.save()
    text = text_of(garage_client(client, scene.owners.one_shop.email).get("/garage/appointments/"))
    assert text.count('class="visit"') == 1
    assert "booked online" in text and "Scheduled" in text  # the appointment's status


def test_declined_cancelled_and_failed_bookings_say_so_and_past_ones_are_past(client, scene):
    email = scene.owners.one_shop.email
    day = timedelta(days=1)
    booking(scene.main, timezone.now() + 5 * day, email, state="declined", reply="We are full.")
    booking(scene.main, timezone.now() + 6 * day, email, state="cancelled")
    booking(scene.main, timezone.now() - 6 * day, email, state="failed")
    text = text_of(garage_client(client, email).get("/garage/appointments/"))
    upcoming, past = text.split('id="past-title"')
    assert "Declined by the shop" in upcoming and "Cancelled" in upcoming
    assert "The shop wrote: “We are full.”" in upcoming
    assert "Could not be confirmed" in past


def test_a_bookings_email_matches_in_any_case(client, scene):
    booking(scene.main, timezone.now() + timedelta(days=9), "OLIVE@Example.com", state="requested")
    text = text_of(garage_client(client, scene.owners.one_shop.email).get("/garage/appointments/"))
    assert "Requested, waiting for the shop" in text


def test_change_or_cancel_sends_a_request_to_the_shop_and_shows_its_outcome(client, scene):
    garage_client(client, scene.owners.one_shop.email)
    url = f"/garage/appointments/booking/{scene.olive.booking.pk}/"
    assert "Change or cancel" in text_of(client.get(url))
    sent = client.post(url, {"kind": "change", "message": "Friday morning, please"})
    assert sent.status_code == 302 and sent["Location"] == url
    asked = scene.olive.booking.change_requests.get()
    assert (asked.kind, asked.message, asked.outcome) == (
        "change",
        "Friday morning, please",
        "pending",
    )
    text = text_of(client.get(url))
    assert "waiting for the shop" in text and "Send to the shop" not in text  # one at a time

    asked.outcome, asked.reply, asked.handled_at = (
        "declined",
        "We are full on Friday.",
        timezone.now(),
    )
    asked.save()
    text = text_of(client.get(url))
    assert "declined by the shop" in text and "We are full on Friday." in text
    assert "Send to the shop" in text  # may ask again
    listed = text_of(client.get("/garage/appointments/"))
    assert "We are full on Friday." in listed


def test_a_change_request_without_a_choice_is_refused_and_keeps_the_message(client, scene):
    garage_client(client, scene.owners.one_shop.email)
    url = f"/garage/appointments/booking/{scene.olive.booking.pk}/"
    refused = client.post(url, {"message": "Any Tuesday"})
    assert refused.status_code == 422
    assert b"Choose whether to change or cancel the visit." in refused.content
    assert b"Any Tuesday" in refused.content
    assert not scene.olive.booking.change_requests.exists()


def test_a_past_or_cancelled_booking_cannot_be_changed(client, scene):
    email = scene.owners.one_shop.email
    gone = booking(scene.main, timezone.now() + timedelta(days=4), email, state="cancelled")
    garage_client(client, email)
    url = f"/garage/appointments/booking/{gone.pk}/"
    assert "Send to the shop" not in text_of(client.get(url))
    client.post(url, {"kind": "cancel"})
    assert not gone.change_requests.exists()


# --- Work orders -------------------------------------------------------------------------------


def test_work_orders_are_listed_with_their_status_and_shop(client, scene):
    text = text_of(garage_client(client, scene.owners.two_shops.email).get("/garage/work-orders/"))
    assert "In progress" in text and "Invoiced" in text
    assert "Main Street Garage" in text and "Elsewhere Motors" in text


def test_a_work_order_shows_its_timeline_jobs_totals_payments_and_balance(client, scene):
    order = scene.tom_main.work_order
    WorkOrder.objects.filter(pk=order.pk).update(
        amount_paid=Decimal("54.00"), balance_due=Decimal("54.00")
    )
    text = text_of(garage_client(client, scene.owners.two_shops.email).get(work_order_url(order)))
    steps = text.split('class="timeline"')[1].split("</ol>")[0]
    assert steps.index(">Draft<") < steps.index(">In progress<")
    assert "1 min" in steps and "so far" in steps  # how long each step took
    assert "Job 1" in text and "Line 2 of job 1" in text
    assert "$100.00" in text and "$8.00" in text and "$108.00" in text  # subtotal, tax, total
    assert "Balance due" in text and "$54.00" in text
    assert f"/garage/payments/{scene.main.pk}/{scene.tom_main.payment.remote_id}/" in text
    assert "Main Street Garage" in text and "Honda Civic" in text


def test_an_inspection_report_shows_its_green_yellow_and_red_counts(client, scene):
    order = scene.tom_main.work_order
    ShopNotice.objects.create(
        shop=scene.main,
        kind=ShopNotice.Kind.INSPECTION,
        remote_id=5,
        work_order_remote_id=order.remote_id,
        occurred_at=timezone.now(),
        payload={"id": 5, "summary": {"green": 12, "yellow": 3, "red": 1}},
    )
    text = text_of(garage_client(client, scene.owners.two_shops.email).get(work_order_url(order)))
    assert "Inspection report sent" in text
    assert "12 green, 3 yellow, 1 red" in text


def test_opening_a_work_order_asks_the_mirror_to_keep_it_fresh(client, scene):
    order = scene.tom_main.work_order
    text_of(garage_client(client, scene.owners.two_shops.email).get(work_order_url(order)))
    order.refresh_from_db()
    assert order.wanted_until > timezone.now() + timedelta(minutes=4)


def test_an_open_work_order_polls_and_a_closed_one_does_not(client, scene):
    garage_client(client, scene.owners.two_shops.email)
    open_page = text_of(client.get(work_order_url(scene.tom_main.work_order)))
    assert 'hx-trigger="every 5s, visibilitychange from:document"' in open_page
    assert "?v=in_progress." in open_page
    assert ">Refresh</a>" in open_page  # without JavaScript
    closed = text_of(client.get(work_order_url(scene.tom_other.work_order)))
    assert "hx-trigger" not in closed and ">Refresh</a>" not in closed


def test_a_work_order_without_its_detail_yet_says_it_is_on_its_way(client, scene):
    tom = scene.owners.two_shops
    order = factories.work_order(scene.main, tom.customers[0], jobs=0, detail_observed_at=None)
    text = text_of(garage_client(client, tom.email).get(work_order_url(order)))
    assert "The details are on their way from the shop." in text


# --- The live status ---------------------------------------------------------------------------


def poll(client, order, version: str = "", **headers):
    url = work_order_url(order) + "status/" + (f"?v={version}" if version else "")
    return client.get(url, headers={"HX-Request": "true", **headers})


def version_on_page(client, order) -> str:
    text = text_of(client.get(work_order_url(order)))
    return text.split("?v=")[1].split('"')[0]


def test_an_unchanged_poll_answers_204_from_one_query(client, scene, django_assert_num_queries):
    order = scene.tom_main.work_order
    garage_client(client, scene.owners.two_shops.email)
    version = version_on_page(client, order)
    with django_assert_num_queries(2):  # the session, and the work order's version
        answer = poll(client, order, version)
    assert answer.status_code == 204 and answer.content == b""
    assert answer["ETag"] == f'"{version}"'


def test_a_poll_with_the_current_etag_answers_304(client, scene):
    order = scene.tom_main.work_order
    garage_client(client, scene.owners.two_shops.email)
    etag = poll(client, order)["ETag"]
    again = poll(client, order, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_a_changed_status_comes_back_as_the_new_live_part(client, scene):
    order = scene.tom_main.work_order
    garage_client(client, scene.owners.two_shops.email)
    version = version_on_page(client, order)
    now = timezone.now()
    WorkOrder.objects.filter(pk=order.pk).update(status="completed", observed_at=now)
    WorkOrderStatus.objects.create(work_order=order, status="completed", seen_at=now)
    answer = poll(client, order, version)
    assert answer.status_code == 200
    text = answer.content.decode()
    assert text.startswith('\n<div id="live"') or '<div id="live"' in text[:200]
    assert "<!doctype" not in text  # the part, not the page
    assert "?v=completed." in text  # the next poll carries the new version
    assert 'hx-swap-oob="innerHTML"' in text and "is now" in text  # announced
    assert poll(client, order, text.split("?v=")[1].split('"')[0]).status_code == 204


def test_a_new_payment_or_inspection_changes_the_version(client, scene):
    order = scene.tom_main.work_order
    garage_client(client, scene.owners.two_shops.email)
    version = version_on_page(client, order)
    factories.payment(scene.main, order, amount=Decimal("1.00"))
    after_payment = poll(client, order, version)
    assert after_payment.status_code == 200
    assert "hx-swap-oob" not in after_payment.content.decode()  # the status did not change
    version = version_on_page(client, order)
    ShopNotice.objects.create(
        shop=scene.main,
        kind=ShopNotice.Kind.INSPECTION,
        remote_id=6,
        work_order_remote_id=order.remote_id,
        occurred_at=timezone.now(),
        payload={"summary": {"green": 1, "yellow": 0, "red": 0}},
    )
    assert poll(client, order, version).status_code == 200


def test_a_work_order_that_is_invoiced_stops_polling(client, scene):
    order = scene.tom_main.work_order
    garage_client(client, scene.owners.two_shops.email)
    version = version_on_page(client, order)
    WorkOrder.objects.filter(pk=order.pk).update(status="invoiced", observed_at=timezone.now())
    text = poll(client, order, version).content.decode()
    assert "Invoiced" in text and "hx-trigger" not in text


# --- Payments ----------------------------------------------------------------------------------


def test_payments_are_totalled_per_year_and_per_shop(client, scene):
    tom = scene.owners.two_shops
    last_year = timezone.now().replace(year=timezone.now().year - 1)
    factories.payment(
        scene.main, scene.tom_main.work_order, amount=Decimal("10.00"), remote_created_at=last_year
    )
    factories.payment(
        scene.main, scene.tom_main.work_order, amount=Decimal("99.00"), status="refunded"
    )
    text = text_of(garage_client(client, tom.email).get("/garage/payments/"))
    this_year = str(timezone.now().year)
    years = text.split('id="years-title"')[1].split("</table>")[0]
    assert f'>{this_year}</th><td class="number">2</td><td class="number">$108.00<' in years
    assert f'>{last_year.year}</th><td class="number">1</td><td class="number">$10.00<' in years
    shops = text.split('id="shops-title"')[1].split("</table>")[0]
    assert '>Elsewhere Motors</th><td class="number">1</td><td class="number">$54.00<' in shops
    assert '>Main Street Garage</th><td class="number">2</td><td class="number">$64.00<' in shops
    assert "Refunded" in text  # listed, not counted


#: 9 pm on New Year's Eve in Los Angeles: already 1 January in UTC.
NEW_YEARS_EVE_IN_LA = datetime(2025, 1, 1, 5, 0, tzinfo=UTC)


def in_los_angeles(shop) -> None:
    Shop.objects.filter(pk=shop.pk).update(timezone="America/Los_Angeles")


def test_a_payment_counts_in_its_shops_year_not_in_utcs(client, scene):
    in_los_angeles(scene.main)
    factories.payment(
        scene.main,
        scene.tom_main.work_order,
        amount=Decimal("7.00"),
        remote_created_at=NEW_YEARS_EVE_IN_LA,
    )
    text = text_of(garage_client(client, scene.owners.two_shops.email).get("/garage/payments/"))
    years = text.split('id="years-title"')[1].split("</table>")[0]
    assert '>2024</th><td class="number">1</td><td class="number">$7.00<' in years
    assert ">2025<" not in years


def test_dates_in_the_lists_are_the_shops_dates(client, scene):
    in_los_angeles(scene.main)
    order = scene.tom_main.work_order
    WorkOrder.objects.filter(pk=order.pk).update(remote_created_at=NEW_YEARS_EVE_IN_LA)
    factories.payment(scene.main, order, remote_created_at=NEW_YEARS_EVE_IN_LA)
    garage_client(client, scene.owners.two_shops.email)
    for url in ("/garage/work-orders/", "/garage/payments/", "/garage/"):
        text = text_of(client.get(url))
        assert "31 Dec 2024" in text and "1 Jan 2025" not in text, url


def test_a_change_requests_dates_are_the_shops_dates(client, scene):
    in_los_angeles(scene.main)
    made = scene.tom_main.booking
    asked = ChangeRequest.objects.create(booking=made, kind="cancel", outcome="declined")
    ChangeRequest.objects.filter(pk=asked.pk).update(
        created_at=NEW_YEARS_EVE_IN_LA, handled_at=NEW_YEARS_EVE_IN_LA
    )
    garage_client(client, scene.owners.two_shops.email)
    text = text_of(client.get(f"/garage/appointments/booking/{made.pk}/"))
    assert "sent 31 December 2024" in text and "on 31 December 2024" in text


def test_a_receipt_shows_the_payment_its_shop_and_work_order_and_prints(client, scene):
    paid = scene.tom_other.payment
    text = text_of(
        garage_client(client, scene.owners.two_shops.email).get(
            f"/garage/payments/{scene.other.pk}/{paid.remote_id}/"
        )
    )
    assert "Receipt" in text and "Elsewhere Motors" in text and "$54.00" in text
    assert scene.tom_other.work_order.number in text
    assert 'id="print" hidden' in text and "window.print()" in text
    assert 'media="print"' in text


def test_a_receipt_says_how_fresh_it_is_and_when_syncing_is_paused(client, scene):
    paid = scene.tom_main.payment
    ResourceState.objects.create(
        shop=scene.main, resource="payments", last_success_at=timezone.now()
    )
    owner = garage_client(client, scene.owners.two_shops.email)
    url = f"/garage/payments/{scene.main.pk}/{paid.remote_id}/"
    assert "Updated <time" in text_of(owner.get(url))
    Connection.objects.filter(pk=scene.main.connection_id).update(
        status=Connection.Status.NEEDS_RECONNECTING
    )
    assert "Syncing is paused" in text_of(owner.get(url))


def test_the_csv_lists_every_payment_with_a_dated_filename(client, scene):
    Shop = type(scene.main)
    Shop.objects.filter(pk=scene.main.pk).update(name="=HYPERLINK(1)")
    answer = garage_client(client, scene.owners.two_shops.email).get("/garage/payments.csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    today = timezone.localdate().isoformat()
    assert answer["Content-Disposition"] == f'attachment; filename="payments-{today}.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert rows[0][:4] == ["Date", "Shop", "Work order", "Amount"]
    assert len(rows) == 3
    shops = {row[1] for row in rows[1:]}
    assert shops == {"Elsewhere Motors", "'=HYPERLINK(1)"}  # never a formula
    assert {row[2] for row in rows[1:]} == {
        scene.tom_main.work_order.number,
        scene.tom_other.work_order.number,
    }


def test_two_work_orders_showing_the_same_keep_their_own_validators_and_pages(client, scene):
    tom = scene.owners.two_shops
    one, two = (
        factories.work_order(scene.main, tom.customers[0], tom.vehicles[0], jobs=0)
        for _ in range(2)
    )
    columns = [name for name in pages._SHOWN if "__" not in name and "shown_" not in name]
    WorkOrder.objects.filter(pk=two.pk).update(**{name: getattr(one, name) for name in columns})
    WorkOrderStatus.objects.filter(work_order__in=[one, two]).delete()
    versions = {pages.live_version(tom.email, o.shop_id, o.remote_id) for o in (one, two)}
    assert len(versions) == 2
    garage_client(client, tom.email)
    for order in (one, two):
        text = text_of(client.get(work_order_url(order)))
        assert "/status/?v=" in text and f"/{order.remote_id}/status/" in text
