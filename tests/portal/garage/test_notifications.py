"""Emails to owners when it matters: ready for pickup, an inspection report, a payment. Each
event sends at most one, whatever is delivered or run twice; each kind can be turned off on
the preferences page or by a one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.garage import notify
from portal.garage.models import Notification, TurnedOff
from portal.garage.tasks import send_notification, sweep_notifications
from portal.mirror.models import Customer
from portal.shops.models import Shop
from portal.shops.signals import shop_disconnected
from tests.support import factories
from tests.support.garage import garage_client

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
BASE = "https://portal.example"
UNSUBSCRIBE = "/garage/unsubscribe/?token="


@pytest.fixture
def olive(owners):
    """Olive, her car, and a work order of hers at the cast's shop, in progress."""
    customer, car = owners.one_shop.customers[0], owners.one_shop.vehicles[0]
    order = factories.work_order(customer.shop, customer, car, number="WO-1001")
    return customer, car, order


@pytest.fixture
def deliver(client, webhook_secret, eager, django_capture_on_commit_callbacks, cast, settings):
    """`deliver(name, data)`: a signed webhook of the cast's shop, received and processed as
    the worker would (the mirror's event, then the garage's email)."""
    settings.PORTAL_BASE_URL = BASE
    deliveries = iter(range(1, 10_000))

    def deliver_(name: str, data: dict, *, at=None, delivery: str | None = None):
        at = at or timezone.now() - timedelta(seconds=30)
        body = json.dumps(
            {
                "event": name,
                "shop_id": cast.shop.remote_id,
                "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": data,
            }
        ).encode()
        signature = hmac.new(webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/webhooks/autosync/",
                data=body,
                content_type="application/json",
                HTTP_X_AUTOSYNC_SIGNATURE=signature,
                HTTP_X_AUTOSYNC_DELIVERY=delivery or f"dlv_{next(deliveries)}",
            )
        assert response.status_code == 200
        return response.json()

    return deliver_


def completed(order, customer, car, **changes) -> dict:
    """The work order's list form, as `workorder.completed` carries it."""
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": order.remote_id,
        "work_order_number": order.number,
        "status": "completed",
        "customer": {"id": customer.remote_id, "name": customer.name},
        "vehicle": {"id": car.remote_id, "year": car.year, "make": car.make, "model": car.model},
        "subtotal": str(order.subtotal),
        "tax": str(order.tax),
        "total": str(order.total),
        "technician": None,
        "created_at": now,
        "notes": "",
        "updated_at": now,
        "completed_at": now,
        **changes,
    }


def inspection(order, customer, car, **summary) -> dict:
    return {
        "id": 555001,
        "workorder_id": order.remote_id,
        "vehicle_id": car.remote_id,
        "customer_id": customer.remote_id,
        "summary": summary or {"green": 14, "yellow": 3, "red": 1},
        "sent_at": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def payment(order, customer, amount: str = "216.00") -> dict:
    return {
        "id": 777001,
        "workorder_id": order.remote_id,
        "customer_id": customer.remote_id,
        "amount": amount,
        "method": "card",
        "status": "succeeded",
        "created_at": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# --- What is sent -------------------------------------------------------------------------------


def test_a_completed_work_order_tells_its_owner_it_is_ready_for_pickup(olive, deliver):
    customer, car, order = olive
    deliver("workorder.completed", completed(order, customer, car))
    (message,) = mail.outbox
    assert message.to == ["olive@example.com"]
    assert message.subject == "Your 2019 Honda Civic is ready for pickup at Main Street Garage"
    page = f"{BASE}/garage/work-orders/{order.shop_id}/{order.remote_id}/"
    assert "WO-1001" in message.body and page in message.body
    html = message.alternatives[0][0]
    assert "ready for pickup" in html and "WO-1001" in html


def test_an_inspection_email_gives_the_green_yellow_and_red_counts(olive, deliver):
    deliver("inspection.completed", inspection(*olive_in_order(olive)))
    (message,) = mail.outbox
    assert message.subject == "Inspection report from Main Street Garage"
    assert "14 green" in message.body and "3 yellow" in message.body and "1 red" in message.body
    assert "14 green" in message.alternatives[0][0]


def test_an_inspection_without_counts_is_still_told(olive, deliver):
    order, customer, car = olive_in_order(olive)
    deliver("inspection.completed", {**inspection(order, customer, car), "summary": None})
    (message,) = mail.outbox
    assert "green" not in message.body and "inspection report" in message.body


def test_a_payment_email_gives_the_amount(olive, deliver):
    customer, _, order = olive
    deliver("payment.received", payment(order, customer, "216.00"))
    (message,) = mail.outbox
    assert message.subject == "Payment received by Main Street Garage"
    assert "$216.00" in message.body and "(card)" in message.body
    assert f"{BASE}/garage/payments/" in message.body
    assert "$216.00" in message.alternatives[0][0]


def olive_in_order(olive):
    customer, car, order = olive
    return order, customer, car


def test_every_notification_carries_a_one_click_unsubscribe(olive, deliver):
    customer, car, order = olive
    deliver("workorder.completed", completed(order, customer, car))
    (message,) = mail.outbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith(f"<{BASE}/garage/unsubscribe/?token=") and header.endswith(">")
    assert header[1:-1] in message.body and "/garage/preferences/" in message.body


# --- At most once -------------------------------------------------------------------------------


def test_a_webhook_delivered_twice_sends_one_email(olive, deliver):
    customer, car, order = olive
    event = completed(order, customer, car)
    deliver("workorder.completed", event, delivery="dlv_same")
    assert deliver("workorder.completed", event, delivery="dlv_same")["duplicate"]
    # The same event again under another delivery id and another timestamp (a resend).
    later = timezone.now() - timedelta(seconds=5)
    deliver("workorder.completed", event, at=later, delivery="dlv_resent")
    assert len(mail.outbox) == 1
    assert Notification.objects.get().outcome == "sent"


def test_the_task_run_twice_sends_one_email(olive, deliver, monkeypatch):
    customer, car, order = olive
    monkeypatch.setattr(send_notification, "delay", lambda *args: None)  # queued, not run
    deliver("workorder.completed", completed(order, customer, car))
    notification = Notification.objects.get()
    assert send_notification.run(notification.pk) == "sent"
    assert send_notification.run(notification.pk) == "already decided"
    assert len(mail.outbox) == 1


def test_the_event_processed_twice_sends_one_email(
    olive, deliver, django_capture_on_commit_callbacks
):
    from portal.mirror import events
    from portal.mirror.models import WebhookEvent

    customer, car, order = olive
    deliver("workorder.completed", completed(order, customer, car))
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=event.pk).update(processed_at=None)  # as after a crash
    with django_capture_on_commit_callbacks(execute=True):
        events.process(event.pk)
    assert len(mail.outbox) == 1


def test_a_failed_send_gives_its_claim_back_for_the_retry(olive, deliver, monkeypatch):
    customer, car, order = olive
    monkeypatch.setattr(send_notification, "delay", lambda *args: None)
    deliver("workorder.completed", completed(order, customer, car))
    notification = Notification.objects.get()

    def down(*args):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(notify.emails, "send_notification", down)
    with pytest.raises(ConnectionRefusedError):
        notify.send(notification.pk)
    notification.refresh_from_db()
    assert notification.claimed_at is None and notification.sent_at is None
    monkeypatch.undo()
    assert notify.send(notification.pk) == "sent" and len(mail.outbox) == 1


def test_a_customer_who_reaches_the_mirror_after_the_event_is_told_then(
    olive, deliver, monkeypatch
):
    customer, _, order = olive
    monkeypatch.setattr(send_notification, "delay", lambda *args: None)
    Customer.objects.filter(pk=customer.pk).update(removed_at=timezone.now())  # not yet there
    deliver("payment.received", payment(order, customer))
    notification = Notification.objects.get()
    with pytest.raises(notify.CustomerNotMirrored):
        notify.send(notification.pk)
    Customer.objects.filter(pk=customer.pk).update(removed_at=None)
    assert notify.send(notification.pk) == "sent"


# --- When nothing is sent -----------------------------------------------------------------------


def test_later_updates_of_a_completed_work_order_send_nothing(olive, deliver):
    customer, car, order = olive
    deliver("workorder.updated", completed(order, customer, car))  # a payment, a note...
    assert mail.outbox == [] and not Notification.objects.exists()


def test_an_event_older_than_a_day_sends_nothing(olive, deliver):
    customer, car, order = olive
    deliver(
        "workorder.completed",
        completed(order, customer, car),
        at=timezone.now() - timedelta(days=2),
    )
    assert mail.outbox == []


def test_a_customer_without_an_email_gets_nothing(olive, deliver):
    customer, car, order = olive
    Customer.objects.filter(pk=customer.pk).update(email="")
    deliver("workorder.completed", completed(order, customer, car))
    assert mail.outbox == [] and Notification.objects.get().outcome == "no email"


def test_events_of_other_kinds_send_nothing(olive, deliver):
    customer, _, _ = olive
    deliver(
        "customer.created",
        {"id": customer.remote_id, "first_name": "Olive", "email": customer.email},
    )
    assert mail.outbox == [] and not Notification.objects.exists()


def test_a_disconnected_shop_forgets_what_it_told(olive, deliver, cast):
    customer, car, order = olive
    deliver("workorder.completed", completed(order, customer, car))
    shop_disconnected.send(Shop, shop=cast.shop)  # as `shops.services.disconnect` does
    assert not Notification.objects.exists()


# --- Turning emails off -------------------------------------------------------------------------


def test_a_kind_turned_off_is_not_sent_and_the_others_are(olive, deliver):
    customer, car, order = olive
    notify.turn_off("Olive@Example.com", Kind.READY)
    deliver("workorder.completed", completed(order, customer, car))
    deliver("payment.received", payment(order, customer))
    assert [m.subject for m in mail.outbox] == ["Payment received by Main Street Garage"]
    assert Notification.objects.get(kind=Kind.READY).outcome == "turned off"


def test_the_preferences_page_needs_a_signed_in_owner(client):
    response = client.get("/garage/preferences/")
    assert response.status_code == 302
    assert response["Location"] == "/garage/sign-in/?next=%2Fgarage%2Fpreferences%2F"
    assert client.post("/garage/preferences/", {}).status_code == 302
    assert not TurnedOff.objects.exists()


def test_the_preferences_page_shows_and_saves_the_owners_choices(client):
    garage_client(client, "olive@example.com")
    html = client.get("/garage/preferences/").content.decode()
    assert html.count("checked") == 3  # everything on by default
    response = client.post("/garage/preferences/", {"ready": "on"})
    assert response.status_code == 302 and response["Location"] == "/garage/preferences/"
    assert notify.turned_off("olive@example.com") == {Kind.INSPECTION, Kind.PAYMENT}
    html = client.get("/garage/preferences/").content.decode()
    assert html.count("checked") == 1 and "Saved" in html
    client.post("/garage/preferences/", {"ready": "on", "payment": "on", "inspection": "on"})
    assert notify.turned_off("olive@example.com") == set()


def test_an_owners_choices_are_their_own(client):
    notify.turn_off("sid@example.com", Kind.PAYMENT)
    garage_client(client, "olive@example.com")
    assert client.get("/garage/preferences/").content.decode().count("checked") == 3
    client.post("/garage/preferences/", {})
    assert notify.turned_off("sid@example.com") == {Kind.PAYMENT}


def unsubscribe_path(message) -> str:
    return message.extra_headers["List-Unsubscribe"][1:-1].removeprefix(BASE)


def test_opening_the_unsubscribe_link_asks_first(olive, deliver):
    customer, car, order = olive
    deliver("workorder.completed", completed(order, customer, car))
    path = unsubscribe_path(mail.outbox[0])
    page = Client().get(path)  # a mail scanner, or the owner
    assert page.status_code == 200
    html = page.content.decode()
    assert "olive@example.com" in html and "your car is ready for pickup" in html
    assert not TurnedOff.objects.exists()


def test_the_one_click_post_unsubscribes_without_signing_in_or_a_csrf_token(olive, deliver):
    customer, car, order = olive
    deliver("workorder.completed", completed(order, customer, car))
    path = unsubscribe_path(mail.outbox[0])
    mail_app = Client(enforce_csrf_checks=True)
    response = mail_app.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and "Unsubscribed" in response.content.decode()
    assert notify.turned_off("olive@example.com") == {Kind.READY}
    assert mail_app.post(path).status_code == 200  # again: still off, no error
    assert TurnedOff.objects.count() == 1


def test_an_unsubscribe_link_that_is_not_ours_changes_nothing(client):
    token = notify.unsubscribe_token("olive@example.com", Kind.READY)
    for path in (f"{UNSUBSCRIBE}{token}x", f"{UNSUBSCRIBE}forged", "/garage/unsubscribe/"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    forged_kind = notify.unsubscribe_token("olive@example.com", "everything")
    assert client.post(f"{UNSUBSCRIBE}{forged_kind}").status_code == 404
    assert not TurnedOff.objects.exists()


# --- Lost messages, and the mirror's own work ------------------------------------------------


def test_a_notification_whose_task_was_lost_is_queued_again_by_the_sweeper(
    olive, deliver, monkeypatch, django_capture_on_commit_callbacks
):
    customer, car, order = olive
    monkeypatch.setattr(send_notification, "delay", lambda *args: None)  # the message is lost
    deliver("workorder.completed", completed(order, customer, car))
    assert sweep_notifications.run() == 0  # too soon: its task may still come
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=31))
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_notifications.run() == 1
    assert len(mail.outbox) == 1
    assert sweep_notifications.run() == 0  # decided: never again


def test_a_notification_that_cannot_be_sent_does_not_fail_the_mirrors_event(olive, deliver):
    from portal.mirror.models import WebhookEvent

    customer, _, order = olive
    Customer.objects.filter(pk=customer.pk).update(removed_at=timezone.now())  # not yet there
    deliver("payment.received", payment(order, customer))
    event = WebhookEvent.objects.get()
    assert event.outcome.startswith("applied payment") and not event.last_error
    # Looked for a few more times (at once, here, where tasks run in the caller), then given up.
    notification = Notification.objects.get()
    assert notification.sent_at is None and notification.outcome == "customer not mirrored"
    assert mail.outbox == []


def test_the_preferences_page_costs_the_same_queries_whatever_is_turned_off(client):
    garage_client(client, "olive@example.com")
    client.get("/garage/preferences/")  # the session's first read, and the like

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/garage/preferences/").status_code == 200
        return len(captured)

    none_off = queries()
    for kind in Kind.values:
        notify.turn_off("olive@example.com", kind)
        notify.turn_off("sid@example.com", kind)
    assert queries() == none_off


def test_workers_sending_the_same_notification_at_once_send_one_email(transactional_db, olive):
    customer, _, order = olive
    notification = Notification.objects.create(
        kind=Kind.READY,
        shop=order.shop,
        remote_id=order.remote_id,
        customer_remote_id=customer.remote_id,
        work_order_remote_id=order.remote_id,
        occurred_at=timezone.now(),
    )
    start, outcomes = threading.Barrier(8), []

    def worker() -> None:
        try:
            start.wait()
            outcomes.append(notify.send(notification.pk))
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already decided"] * 7 + ["sent"]
    assert len(mail.outbox) == 1
