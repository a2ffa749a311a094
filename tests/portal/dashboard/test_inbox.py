"""The inbox: booking requests, bookings AutoSync would not take, and owners' change or cancel
requests, each answered once, through booking's guarded services."""

# The fixtures come from manage_support (imported, so tests name them as parameters).
# ruff: noqa: F811

from __future__ import annotations

import threading

import pytest
from django.db import connection

from portal.booking import emails, services
from portal.booking.models import Booking, BookingSettings, ChangeRequest
from tests.support import factories
from tests.support.factories import appointment, portal_booking

from .manage_support import a_weekday_at, manager, queued, shop  # noqa: F401

pytestmark = pytest.mark.django_db


def inbox_url(shop) -> str:
    return f"/shops/{shop.pk}/inbox/"


def answer_url(shop, booking) -> str:
    return f"/shops/{shop.pk}/inbox/bookings/{booking.pk}/"


def change_url(shop, change) -> str:
    return f"/shops/{shop.pk}/inbox/changes/{change.pk}/"


@pytest.fixture
def request_(shop):
    """A booking request for a weekday at 10:00, a week ahead."""
    return portal_booking(shop, a_weekday_at(shop, 10), name="Olive Owner")


def test_a_request_a_failure_and_a_change_request_wait_in_the_inbox(client, cast, shop, request_):
    portal_booking(
        shop, a_weekday_at(shop, 11), state="failed", name="Fred", failure="AutoSync said no"
    )
    confirmed = portal_booking(shop, a_weekday_at(shop, 12), state="confirmed", name="Cleo")
    ChangeRequest.objects.create(booking=confirmed, kind="cancel", message="Car sold")
    client.force_login(cast.teammate)
    page = client.get(inbox_url(shop)).content.decode()
    assert "Booking requests" in page and "Olive Owner" in page
    assert "Not in AutoSync" in page and "AutoSync said no" in page
    assert "Cancel the visit: Cleo" in page and "Car sold" in page
    assert '<span class="badge tone-info">3<' in page  # the count in the tabs


def test_an_empty_inbox_says_nothing_is_waiting(client, cast, shop):
    client.force_login(cast.teammate)
    assert "Nothing waiting" in client.get(inbox_url(shop)).content.decode()


def test_approving_a_request_makes_it_pending_and_queues_its_confirmation(
    client, cast, shop, request_, queued
):
    client.force_login(cast.teammate)
    response = client.post(answer_url(shop, request_), {"action": "approve", "note": "See you"})
    assert response.status_code == 302
    request_.refresh_from_db()
    assert request_.state == Booking.State.PENDING
    assert request_.answered_by == cast.teammate and request_.reply == "See you"
    assert queued == [("confirm", request_.pk)]
    page = client.get(inbox_url(shop)).content.decode()
    assert "sent to AutoSync" in page and "Nothing waiting" in page


def test_a_request_made_before_booking_was_turned_off_can_still_be_approved(
    client, cast, shop, request_, queued
):
    BookingSettings.objects.filter(shop=shop).update(enabled=False)
    client.force_login(cast.teammate)
    response = client.post(answer_url(shop, request_), {"action": "approve"})
    assert response.status_code == 302
    request_.refresh_from_db()
    assert request_.state == Booking.State.PENDING
    assert queued == [("confirm", request_.pk)]


def test_approving_a_request_whose_time_filled_up_meanwhile_is_refused_and_it_stays(
    client, cast, shop, request_, queued
):
    # Two phone bookings at the same time reached the mirror: both bays are taken.
    appointment(shop, request_.starts_at, minutes=30)
    appointment(shop, request_.starts_at, minutes=30)
    client.force_login(cast.teammate)
    response = client.post(answer_url(shop, request_), {"action": "approve", "note": "Kept"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "no longer free" in page and ">Kept</textarea>" in page
    request_.refresh_from_db()
    assert request_.state == Booking.State.REQUESTED and request_.answered_at is None
    assert queued == []


def test_a_request_does_not_count_against_itself_in_a_one_bay_shop(cast, shop, request_, queued):
    shop.booking_settings.capacity = 1
    shop.booking_settings.save()
    services.approve_request(request_, cast.teammate)
    request_.refresh_from_db()
    assert request_.state == Booking.State.PENDING


def test_approving_the_same_request_twice_does_it_once(cast, shop, request_, queued):
    services.approve_request(request_, cast.teammate)
    with pytest.raises(services.AlreadyAnswered):
        services.approve_request(request_, cast.owner)
    with pytest.raises(services.AlreadyAnswered):
        services.decline_request(request_, cast.owner)
    assert queued == [("confirm", request_.pk)]


@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_one_request_at_once_approve_it_once(cast, shop, queued):
    booking = portal_booking(shop, a_weekday_at(shop, 10))
    clicks = 8
    ready = threading.Barrier(clicks)
    answers: list = []

    def click() -> None:
        ready.wait()
        try:
            services.approve_request(Booking.objects.get(pk=booking.pk), cast.teammate)
            answers.append("approved")
        except Exception as error:
            answers.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count("approved") == 1
    assert all(isinstance(a, services.AlreadyAnswered) for a in answers if a != "approved")
    assert queued == [("confirm", booking.pk)]


def test_declining_a_request_records_the_note_and_emails_the_owner(
    client, cast, shop, request_, queued, mailoutbox
):
    client.force_login(cast.teammate)
    client.post(answer_url(shop, request_), {"action": "decline", "note": "We are full that day"})
    request_.refresh_from_db()
    assert request_.state == Booking.State.DECLINED and request_.reply == "We are full that day"
    assert queued == [("email", request_.pk, "declined")]

    emails.send_declined(request_)
    message = mailoutbox[0]
    assert message.to == ["olive@example.com"]
    assert "We are full that day" in message.body
    assert "We are full that day" in message.alternatives[0][0]
    assert "/book/manage/" in message.body


def test_the_owner_sees_the_decline_and_the_shops_note_on_their_booking_page(
    client, cast, shop, queued
):
    booking = portal_booking(shop, a_weekday_at(shop, 10))
    token = booking.manage_token
    services.decline_request(booking, cast.teammate, "Try the week after")
    page = client.get(f"/book/manage/{token}/").content.decode()
    assert "Declined by the shop" in page and "Try the week after" in page


def test_retrying_a_failed_booking_queues_its_confirmation_again(client, cast, shop, queued):
    failed = portal_booking(shop, a_weekday_at(shop, 11), state="failed", failure="Down")
    client.force_login(cast.teammate)
    client.post(answer_url(shop, failed), {"action": "retry"})
    failed.refresh_from_db()
    assert failed.state == Booking.State.PENDING and failed.failure == ""
    assert queued == [("confirm", failed.pk)]


def test_a_failed_booking_marked_done_leaves_the_inbox_without_an_email(client, cast, shop, queued):
    failed = portal_booking(shop, a_weekday_at(shop, 11), state="failed", name="Fred")
    client.force_login(cast.teammate)
    client.post(answer_url(shop, failed), {"action": "done", "note": "Entered by phone"})
    failed.refresh_from_db()
    assert failed.state == Booking.State.FAILED and failed.answered_at is not None
    assert queued == []
    page = client.get(inbox_url(shop)).content.decode()
    assert "marked as dealt with" in page and "Nothing waiting" in page


def test_an_answer_that_does_not_fit_the_booking_does_nothing(client, cast, shop, request_):
    client.force_login(cast.teammate)
    response = client.post(answer_url(shop, request_), {"action": "retry"})
    assert response.status_code == 409
    request_.refresh_from_db()
    assert request_.state == Booking.State.REQUESTED


def test_a_note_too_long_is_refused_and_kept(client, cast, shop, request_):
    client.force_login(cast.teammate)
    note = "x" * 2001
    response = client.post(answer_url(shop, request_), {"action": "decline", "note": note})
    assert response.status_code == 422
    page = response.content.decode()
    assert "The note is too long" in page and f">{note}</textarea>" in page


def test_with_htmx_an_answer_swaps_in_the_items_with_its_message(client, cast, shop, request_):
    client.force_login(cast.teammate)
    response = client.post(
        answer_url(shop, request_), {"action": "decline"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="inbox-items">') and "Declined Olive Owner" in page


def test_a_cancel_request_marked_done_cancels_the_booking_and_tells_the_owner(
    client, cast, shop, queued, mailoutbox
):
    booking = portal_booking(shop, a_weekday_at(shop, 10), state="confirmed")
    change = ChangeRequest.objects.create(booking=booking, kind="cancel")
    client.force_login(cast.teammate)
    client.post(change_url(shop, change), {"action": "done", "note": "Cancelled in AutoSync"})
    change.refresh_from_db()
    booking.refresh_from_db()
    assert change.outcome == ChangeRequest.Outcome.DONE and change.handled_by == cast.teammate
    assert booking.state == Booking.State.CANCELLED
    assert queued == [("email", booking.pk, "answered")]

    emails.send_answered(booking)
    assert "done by the shop" in mailoutbox[0].body
    assert "Cancelled in AutoSync" in mailoutbox[0].alternatives[0][0]
    page = client.get(f"/book/manage/{booking.manage_token}/").content.decode()
    assert "Done by the shop" in page and "Cancelled in AutoSync" in page


def test_a_cancel_cannot_be_marked_done_while_the_booking_is_still_being_sent_to_autosync(
    client, cast, shop, queued
):
    booking = portal_booking(shop, a_weekday_at(shop, 10), state="pending")
    change = ChangeRequest.objects.create(booking=booking, kind="cancel")
    client.force_login(cast.teammate)
    response = client.post(change_url(shop, change), {"action": "done", "note": "Called them"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "still being sent to AutoSync" in page and ">Called them</textarea>" in page
    change.refresh_from_db()
    booking.refresh_from_db()
    assert change.outcome == ChangeRequest.Outcome.PENDING
    assert booking.state == Booking.State.PENDING
    assert queued == []


def test_a_change_request_declined_keeps_the_booking_and_shows_the_answer(
    client, cast, shop, queued
):
    booking = portal_booking(shop, a_weekday_at(shop, 10), state="confirmed")
    change = ChangeRequest.objects.create(booking=booking, kind="change", message="Tuesday?")
    client.force_login(cast.teammate)
    client.post(change_url(shop, change), {"action": "decline", "note": "Tuesday is full"})
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED
    page = client.get(f"/book/manage/{booking.manage_token}/").content.decode()
    assert "Declined by the shop" in page and "Tuesday is full" in page
    # Answered: the owner may ask again.
    assert "Send to the shop" in page


def test_a_change_request_answered_twice_is_answered_once(client, cast, shop, queued):
    booking = portal_booking(shop, a_weekday_at(shop, 10), state="confirmed")
    change = ChangeRequest.objects.create(booking=booking, kind="cancel")
    client.force_login(cast.teammate)
    client.post(change_url(shop, change), {"action": "decline"})
    response = client.post(change_url(shop, change), {"action": "done"})
    assert response.status_code == 409 and "already answered" in response.content.decode()
    change.refresh_from_db()
    booking.refresh_from_db()
    assert change.outcome == ChangeRequest.Outcome.DECLINED
    assert booking.state == Booking.State.CONFIRMED
    assert queued == [("email", booking.pk, "answered")]


# --- Who may see and answer -------------------------------------------------------------------


def test_a_stranger_gets_404_on_the_inbox_and_every_answer(client, cast, shop, request_):
    change = ChangeRequest.objects.create(booking=request_, kind="cancel")
    client.force_login(cast.stranger)
    assert client.get(inbox_url(shop)).status_code == 404
    assert client.get(inbox_url(shop), headers={"HX-Request": "true"}).status_code == 404
    assert client.post(answer_url(shop, request_), {"action": "decline"}).status_code == 404
    assert client.post(change_url(shop, change), {"action": "done"}).status_code == 404
    request_.refresh_from_db()
    assert request_.state == Booking.State.REQUESTED


def test_a_member_of_another_shop_cannot_answer_its_bookings_through_their_own(
    client, cast, shop, request_
):
    change = ChangeRequest.objects.create(booking=request_, kind="cancel")
    own = cast.stranger.memberships.get().shop
    client.force_login(cast.stranger)
    assert client.post(answer_url(own, request_), {"action": "decline"}).status_code == 404
    assert client.post(change_url(own, change), {"action": "done"}).status_code == 404
    assert request_.name not in client.get(inbox_url(own)).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, shop, request_):
    for response in (
        client.get(inbox_url(shop)),
        client.post(answer_url(shop, request_), {"action": "decline"}),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_answers_need_the_csrf_token(cast, shop, request_):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.teammate)
    assert strict.post(answer_url(shop, request_), {"action": "decline"}).status_code == 403


# --- Cost -------------------------------------------------------------------------------------


def _fill(shop, n: int) -> None:
    for i in range(n):
        portal_booking(shop, a_weekday_at(shop, 8 + i % 8, days_ahead=7 + i // 8))
        portal_booking(shop, a_weekday_at(shop, 9, days_ahead=20 + i), state="failed")
        held = portal_booking(shop, a_weekday_at(shop, 10, days_ahead=20 + i), state="confirmed")
        ChangeRequest.objects.create(booking=held, kind="change")


@pytest.mark.parametrize("rows", [1, 12])
def test_the_inbox_costs_the_same_queries_with_one_item_or_many(
    client, cast, shop, rows, django_assert_num_queries
):
    _fill(shop, rows)
    client.force_login(cast.teammate)
    client.get(inbox_url(shop))  # the session and the user are loaded once
    with django_assert_num_queries(12):  # 11, and the version its notice polls with
        response = client.get(inbox_url(shop))
    assert response.content.decode().count('<li class="card"') == 3 * rows


def _phoned(shop, n: int) -> None:
    """`n` requests about appointments the shop made by phone, each of its own customer."""
    for i in range(n):
        owner = factories.customer(shop, email=f"owner{i}@example.com", first_name=f"Owner {i}")
        car = factories.vehicle(shop, owner)
        phoned = factories.appointment(
            shop, a_weekday_at(shop, 9, days_ahead=7 + i), owner=owner, car=car
        )
        ChangeRequest.objects.create(
            shop=shop,
            appointment_remote_id=phoned.remote_id,
            email=owner.email,
            kind="cancel",
        )


@pytest.mark.parametrize("rows", [1, 12])
def test_the_inbox_with_phone_appointments_costs_one_more_query_with_one_or_many(
    client, cast, shop, rows, django_assert_num_queries
):
    _fill(shop, rows)
    _phoned(shop, rows)
    client.force_login(cast.teammate)
    client.get(inbox_url(shop))
    # The twelve above, and the mirror's appointments, customers and vehicles in one.
    with django_assert_num_queries(13):
        response = client.get(inbox_url(shop))
    page = response.content.decode()
    assert page.count('<li class="card"') == 4 * rows
    assert f"Cancel the visit: Owner {rows - 1} Driver" in page


def test_the_shop_page_links_to_the_inbox_with_its_count(client, cast, shop, request_):
    client.force_login(cast.teammate)
    page = client.get(f"/shops/{shop.pk}/").content.decode()
    assert f'href="/shops/{shop.pk}/inbox/">Inbox <span class="badge tone-info">1<' in page
    assert f'href="/shops/{shop.pk}/health/"' in page
    assert f'href="/shops/{shop.pk}/settings/"' not in page  # staff: no settings


def test_a_failed_booking_dealt_with_cannot_be_declined_or_retried_after(cast, shop, queued):
    failed = portal_booking(shop, a_weekday_at(shop, 11), state="failed")
    services.dismiss_failed(failed, cast.teammate, "Called them")
    for answer in (services.decline_request, services.retry_failed, services.dismiss_failed):
        with pytest.raises(services.AlreadyAnswered):
            answer(failed, cast.owner)
    failed.refresh_from_db()
    assert failed.state == Booking.State.FAILED and failed.reply == "Called them"
    assert queued == []


def test_a_failed_booking_whose_time_was_taken_meanwhile_is_not_retried(client, cast, shop, queued):
    failed = portal_booking(shop, a_weekday_at(shop, 11), state="failed")
    # It held no time while it was failed: two others took both bays.
    portal_booking(shop, failed.starts_at, state="confirmed")
    portal_booking(shop, failed.starts_at, state="pending")
    client.force_login(cast.teammate)
    response = client.post(answer_url(shop, failed), {"action": "retry"})
    assert response.status_code == 409 and "no longer free" in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == Booking.State.FAILED and queued == []


def test_a_retried_booking_that_fails_again_is_back_in_the_inbox(client, cast, shop, queued):
    from portal.booking.tasks import _fail
    from portal.dashboard.waiting import failures_of

    failed = portal_booking(shop, a_weekday_at(shop, 15), state="failed", failure="Down")
    client.force_login(cast.teammate)
    client.post(answer_url(shop, failed), {"action": "retry"})
    failed.refresh_from_db()
    _fail(failed, "AutoSyncError: still down")
    failed.refresh_from_db()
    assert failed.state == Booking.State.FAILED and failed.answered_at is None
    assert failed in failures_of(shop)
