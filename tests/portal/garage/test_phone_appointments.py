"""Change or cancel an appointment the shop made by phone: the owner asks in the garage, the
shop's staff answer in the inbox, the owner is emailed and sees the answer in the garage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from portal.booking.models import Booking, ChangeRequest
from tests.support import factories
from tests.support.garage import garage_client

pytestmark = pytest.mark.django_db


def page_url(appointment) -> str:
    return f"/garage/appointments/{appointment.shop_id}/{appointment.remote_id}/"


def change_url(shop, change) -> str:
    return f"/shops/{shop.pk}/inbox/changes/{change.pk}/"


def text_of(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def asked(scene, kind: str = "cancel", message: str = "") -> ChangeRequest:
    """Olive's request about her phone appointment at the cast's shop, as the garage makes it."""
    phoned = scene.olive.appointment
    return ChangeRequest.objects.create(
        shop=phoned.shop,
        appointment_remote_id=phoned.remote_id,
        email=scene.owners.one_shop.email,
        kind=kind,
        message=message,
    )


# --- The owner asks -----------------------------------------------------------------------------


@pytest.mark.parametrize("listed", ["/garage/appointments/", "/garage/vehicles/", "/garage/"])
def test_an_upcoming_phone_appointment_links_to_change_or_cancel(client, scene, listed):
    text = text_of(garage_client(client, scene.owners.one_shop.email).get(listed))
    link = page_url(scene.olive.appointment)
    assert f'href="{link}">Change or cancel<' in text


def test_an_owner_asks_to_cancel_a_phone_appointment_and_the_request_waits_for_the_shop(
    client, scene
):
    olive, phoned = scene.owners.one_shop, scene.olive.appointment
    garage_client(client, olive.email)
    url = page_url(phoned)
    page = text_of(client.get(url))
    assert "Main Street Garage" in page and "2019 Honda Civic (7ABC123)" in page
    assert "Scheduled" in page and "Send to the shop" in page

    sent = client.post(url, {"kind": "cancel", "message": "The car is sold"})
    assert sent.status_code == 302 and sent["Location"] == url
    change = ChangeRequest.objects.get()
    assert (change.shop, change.appointment_remote_id, change.booking) == (
        phoned.shop,
        phoned.remote_id,
        None,
    )
    assert (change.email, change.kind, change.message, change.outcome) == (
        olive.email,
        "cancel",
        "The car is sold",
        "pending",
    )
    page = text_of(client.get(url))
    assert "waiting for the shop" in page and "The car is sold" in page
    assert "Send to the shop" not in page  # one at a time
    listed = text_of(client.get("/garage/appointments/"))
    assert "Your request to cancel the visit: <strong>waiting for the shop</strong>" in listed
    assert f'href="{url}">Details<' in listed


def test_a_second_request_while_one_waits_is_not_kept(client, scene):
    garage_client(client, scene.owners.one_shop.email)
    url = page_url(scene.olive.appointment)
    client.post(url, {"kind": "cancel"})
    again = client.post(url, {"kind": "change", "message": "Or Friday?"})
    assert again.status_code == 302
    assert ChangeRequest.objects.count() == 1
    # Two sent at once both find none waiting: the database keeps one.
    with pytest.raises(IntegrityError), transaction.atomic():
        asked(scene, kind="change")


def test_a_request_without_a_choice_is_refused_and_keeps_the_message(client, scene):
    garage_client(client, scene.owners.one_shop.email)
    refused = client.post(page_url(scene.olive.appointment), {"message": "Any Tuesday"})
    assert refused.status_code == 422
    assert b"Choose whether to change or cancel the visit." in refused.content
    assert b"Any Tuesday" in refused.content
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"start_time": timezone.now() - timedelta(days=2)},
        {"status": "cancelled"},
        {"status": "completed"},
        {"status": "no_show"},
    ],
    ids=["past", "cancelled", "completed", "no show"],
)
def test_a_past_or_closed_phone_appointment_cannot_be_changed(client, scene, fields):
    olive = scene.owners.one_shop
    start = fields.pop("start_time", timezone.now() + timedelta(days=5))
    closed = factories.appointment(
        scene.main, start, owner=olive.customers[0], car=olive.vehicles[0], **fields
    )
    garage_client(client, olive.email)
    assert "Send to the shop" not in text_of(client.get(page_url(closed)))
    client.post(page_url(closed), {"kind": "cancel"})
    assert not ChangeRequest.objects.exists()
    assert page_url(closed) not in text_of(client.get("/garage/appointments/"))


def test_the_appointment_of_a_portal_booking_is_the_bookings_page(client, scene):
    booked = scene.olive.booking
    Booking.objects.filter(pk=booked.pk).update(
        state="confirmed", appointment_remote_id=scene.olive.appointment.remote_id
    )
    garage_client(client, scene.owners.one_shop.email)
    answer = client.get(page_url(scene.olive.appointment))
    assert answer.status_code == 302
    assert answer["Location"] == f"/garage/appointments/booking/{booked.pk}/"


def test_an_appointment_autosync_no_longer_has_is_not_found(client, scene):
    phoned = scene.olive.appointment
    phoned.removed_at = timezone.now()
    phoned.save()
    garage_client(client, scene.owners.one_shop.email)
    assert client.get(page_url(phoned)).status_code == 404
    assert client.post(page_url(phoned), {"kind": "cancel"}).status_code == 404


def test_a_request_needs_the_csrf_token(scene):
    strict = garage_client(Client(enforce_csrf_checks=True), scene.owners.one_shop.email)
    assert strict.post(page_url(scene.olive.appointment), {"kind": "cancel"}).status_code == 403
    assert not ChangeRequest.objects.exists()


# --- The shop answers ---------------------------------------------------------------------------


def test_the_inbox_lists_it_with_the_time_customer_and_vehicle_from_the_mirror(client, cast, scene):
    asked(scene, message="The car is sold")
    client.force_login(cast.teammate)
    page = text_of(client.get(f"/shops/{cast.shop.pk}/inbox/"))
    assert "Cancel the visit: Olive Driver" in page and "The car is sold" in page
    assert "2019 Honda Civic, plate 7ABC123" in page and "olive@example.com" in page
    assert f"Appointment #{scene.olive.appointment.remote_id} in AutoSync" in page
    assert '<span class="badge tone-info">1<' in page  # the count in the tabs
    shop_page = text_of(client.get(f"/shops/{cast.shop.pk}/"))  # counted by `open_count`
    assert '/inbox/">Inbox <span class="badge tone-info">1<' in shop_page


def test_a_member_of_another_shop_cannot_see_or_answer_it(client, cast, scene):
    change = asked(scene)
    own = cast.stranger.memberships.get().shop
    client.force_login(cast.stranger)
    assert client.post(change_url(own, change), {"action": "done"}).status_code == 404
    assert client.post(change_url(cast.shop, change), {"action": "done"}).status_code == 404
    assert "Olive" not in text_of(client.get(f"/shops/{own.pk}/inbox/"))
    change.refresh_from_db()
    assert change.outcome == ChangeRequest.Outcome.PENDING


def test_an_answer_emails_the_owner_and_the_garage_shows_it(
    client, cast, scene, eager, django_capture_on_commit_callbacks, mailoutbox
):
    change = asked(scene, kind="change", message="Friday?")
    client.force_login(cast.teammate)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(change_url(cast.shop, change), {"action": "decline", "note": "Full"})
    assert answer.status_code == 302
    change.refresh_from_db()
    assert change.outcome == ChangeRequest.Outcome.DECLINED and change.reply == "Full"
    assert change.handled_by == cast.teammate

    [message] = mailoutbox
    assert message.to == ["olive@example.com"]
    assert "Hello Olive," in message.body
    assert "answered your request to change the time: declined by the shop" in message.body
    assert 'The shop wrote: "Full"' in message.body and "Full" in message.alternatives[0][0]
    link = page_url(scene.olive.appointment)
    assert link in message.body and link in message.alternatives[0][0]
    assert "/book/manage/" not in message.body

    garage_client(client, scene.owners.one_shop.email)
    page = text_of(client.get(link))
    assert "declined by the shop" in page and "The shop answered: “Full”" in page
    assert "Send to the shop" in page  # answered: the owner may ask again
    assert "Full" in text_of(client.get("/garage/appointments/"))


def test_a_cancel_marked_done_is_answered_once(client, cast, scene, monkeypatch):
    from portal.booking import services

    sent: list[int] = []
    monkeypatch.setattr(services.send_change_answer, "delay", sent.append)
    change = asked(scene)
    client.force_login(cast.teammate)
    client.post(change_url(cast.shop, change), {"action": "done", "note": "Cancelled"})
    again = client.post(change_url(cast.shop, change), {"action": "decline"})
    assert again.status_code == 409 and "already answered" in again.content.decode()
    change.refresh_from_db()
    assert change.outcome == ChangeRequest.Outcome.DONE and change.reply == "Cancelled"
    assert sent == [change.pk]
    assert "Nothing waiting" in text_of(client.get(f"/shops/{cast.shop.pk}/inbox/"))


def test_once_the_shop_has_done_a_cancellation_the_owner_is_not_offered_the_form_again(
    client, scene
):
    """Until the mirror sees the appointment cancelled in AutoSync it still says scheduled: the
    shop's "done" is what the owner goes by."""
    change = asked(scene)
    garage_client(client, scene.owners.one_shop.email)
    url = page_url(scene.olive.appointment)
    ChangeRequest.objects.filter(pk=change.pk).update(outcome="done", reply="Cancelled")
    page = text_of(client.get(url))
    assert "done by the shop" in page and "Send to the shop" not in page
    assert client.post(url, {"kind": "cancel"}).status_code == 302
    assert (
        ChangeRequest.objects.filter(appointment_remote_id=change.appointment_remote_id).count()
        == 1
    )


def test_a_request_is_about_a_booking_or_an_appointment_never_both_or_neither(scene):
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.create(shop=scene.main, kind="cancel")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.create(
            booking=scene.olive.booking, appointment_remote_id=1, kind="cancel"
        )


# --- Cost ---------------------------------------------------------------------------------------


def _more_phoned(scene, n: int) -> None:
    """`n` more of Olive's phone appointments, ahead and past, each with an answered request."""
    olive = scene.owners.one_shop
    for i in range(n):
        for days in (10 + i, -10 - i):
            phoned = factories.appointment(
                scene.main,
                timezone.now() + timedelta(days=days),
                owner=olive.customers[0],
                car=olive.vehicles[0],
            )
            ChangeRequest.objects.create(
                shop=scene.main,
                appointment_remote_id=phoned.remote_id,
                email=olive.email,
                kind="change",
                outcome="declined",
            )
        ChangeRequest.objects.create(
            shop=scene.main,
            appointment_remote_id=scene.olive.appointment.remote_id,
            email=olive.email,
            kind="cancel",
            outcome="done",
        )


@pytest.mark.parametrize("rows", [1, 12])
@pytest.mark.parametrize(
    "page, queries",
    [("/garage/appointments/", 8), ("/garage/vehicles/", 9), ("olive's appointment", 5)],
)
def test_the_pages_cost_the_same_queries_with_one_request_or_many(
    client, scene, rows, page, queries, django_assert_num_queries
):
    _more_phoned(scene, rows)
    url = page_url(scene.olive.appointment) if page == "olive's appointment" else page
    garage_client(client, scene.owners.one_shop.email)
    # The session, the vehicles, the appointments, the bookings and their requests, the
    # requests of all the phone appointments (one query), and for the lists the shops and
    # their freshness (the vehicles page: the work orders too). Olive's appointment has no
    # booking: no query for a booking's requests.
    with django_assert_num_queries(queries):
        text = text_of(client.get(url))
    assert text.count("declined by the shop") + text.count("done by the shop") >= rows
