"""The webhook receiver and event processing: signatures, duplicates, order, the sweeper."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from portal.mirror import tasks
from portal.mirror.models import (
    Customer,
    Job,
    LineItem,
    Payment,
    ShopNotice,
    SyncRun,
    WebhookEvent,
    WorkOrder,
)
from portal.mirror.sync import run as run_sync

URL = "/webhooks/autosync/"


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client, body: bytes, signature: str | None, delivery: str | None = None):
    headers = {}
    if signature is not None:
        headers["HTTP_X_AUTOSYNC_SIGNATURE"] = signature
    if delivery is not None:
        headers["HTTP_X_AUTOSYNC_DELIVERY"] = delivery
    return client.post(URL, data=body, content_type="application/json", **headers)


def event_body(shop_id: int, name: str = "customer.created", **data) -> bytes:
    record = {"id": 424242, "first_name": "Rita", "last_name": "Vance", **data}
    return json.dumps(
        {"event": name, "shop_id": shop_id, "timestamp": "2030-01-01T00:00:00Z", "data": record}
    ).encode()


@pytest.mark.parametrize(
    "signature",
    [None, "", "deadbeef", "sha256=" + "0" * 64, "signed-with-another-secret"],
    ids=["missing", "empty", "garbled", "wrong", "other-secret"],
)
def test_a_bad_or_missing_signature_answers_401_and_stores_nothing(
    client, db, webhook_secret, signature
):
    body = event_body(1)
    if signature == "signed-with-another-secret":
        signature = sign(body, "not-the-secret")
    response = post(client, body, signature, delivery="dlv_bad")
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_a_valid_signature_with_a_sha256_prefix_is_accepted(client, connect_shop, webhook_secret):
    body = event_body(connect_shop(0).remote_id)
    response = post(client, body, "sha256=" + sign(body, webhook_secret).upper(), "dlv_prefix")
    assert response.status_code == 200
    assert WebhookEvent.objects.filter(key="dlv_prefix").exists()


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"shop_id": 1}', b"\xff\xfe"])
def test_malformed_json_with_a_valid_signature_answers_400_and_applies_nothing(
    client, db, webhook_secret, body
):
    response = post(client, body, sign(body, webhook_secret), "dlv_malformed")
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_repeated_delivery_is_a_no_op(
    client, connect_shop, webhook_secret, eager, django_capture_on_commit_callbacks
):
    shop = connect_shop(0)
    body = event_body(shop.remote_id)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        first = post(client, body, sign(body, webhook_secret), "dlv_once")
        again = post(client, body, sign(body, webhook_secret), "dlv_once")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["duplicate"] is True
    assert WebhookEvent.objects.count() == 1
    assert len([c for c in queued if "process_event" in repr(c)]) <= 1
    event = WebhookEvent.objects.get()
    assert event.processed_at is not None and event.attempts == 1
    assert Customer.objects.get(shop=shop, remote_id=424242).first_name == "Rita"


def test_without_a_delivery_id_the_body_is_the_key(client, connect_shop, webhook_secret):
    body = event_body(connect_shop(0).remote_id)
    for _ in range(2):
        assert post(client, body, sign(body, webhook_secret)).status_code == 200
    assert WebhookEvent.objects.get().key == "sha256:" + hashlib.sha256(body).hexdigest()


def test_the_sweeper_processes_events_whose_queue_message_was_lost(
    client, connect_shop, webhook_secret, eager
):
    shop = connect_shop(0)
    body = event_body(shop.remote_id)
    # Not inside django_capture_on_commit_callbacks: the on-commit queueing never happens,
    # as when the broker loses the message.
    post(client, body, sign(body, webhook_secret), "dlv_lost")
    event = WebhookEvent.objects.get()
    assert event.processed_at is None
    assert tasks.sweep_events.apply().get() == 0  # too fresh: its message may still come
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=2))
    swept = []
    original = tasks.process_event.delay
    tasks.process_event.delay = lambda event_id: swept.append(
        tasks.process_event.apply(args=(event_id,))
    )
    try:
        assert tasks.sweep_events.apply().get() == 1
    finally:
        tasks.process_event.delay = original
    event.refresh_from_db()
    assert event.processed_at is not None
    assert Customer.objects.filter(shop=shop, remote_id=424242).exists()


def test_events_of_a_shop_that_is_not_connected_are_not_kept_at_all(
    client, connect_shop, webhook_secret, eager, django_capture_on_commit_callbacks, caplog
):
    shop = connect_shop(0)
    shop.granted = False
    shop.save()
    stranger = event_body(999_999)  # a shop the portal never connected
    with django_capture_on_commit_callbacks(execute=True):
        for n, body in enumerate((event_body(shop.remote_id), stranger)):
            response = post(client, body, sign(body, webhook_secret), f"dlv_ignored_{n}")
            assert response.status_code == 200
            assert response.json() == {"received": True, "ignored": True}
    assert not WebhookEvent.objects.exists()
    assert not Customer.objects.exists()
    assert "not connected" in caplog.text


def test_an_event_recorded_before_its_shop_disconnected_is_ignored_and_its_body_dropped(
    client, connect_shop, webhook_secret, eager
):
    shop = connect_shop(0)
    body = event_body(shop.remote_id)
    post(client, body, sign(body, webhook_secret), "dlv_then_paused")  # not processed yet
    shop.granted = False
    shop.save()
    tasks.process_event.apply(args=(WebhookEvent.objects.get().pk,))
    event = WebhookEvent.objects.get()
    assert (event.outcome, event.body) == ("ignored: shop not connected", {})
    assert not Customer.objects.exists()


# --- Real deliveries from the sandbox, replayed in order and shuffled twice ------------------


class Capture(BaseHTTPRequestHandler):
    received: list

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, raw))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def captured_deliveries(sandbox_db, account):
    """An account webhook endpoint at a capture server; returns a function that drives the
    sandbox's real sender once and hands back what it delivered, and the endpoint's secret."""
    received: list = []
    handler = type("Handler", (Capture,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = json.loads(
        sandbox_db.command(
            "add_webhook_endpoint",
            "--account",
            str(account["id"]),
            "--url",
            f"http://127.0.0.1:{server.server_port}/hook",
            "--json",
        )
    )

    def deliver() -> list[tuple[dict, bytes]]:
        sandbox_db.command("deliver_webhooks", "--once")
        return list(received)

    yield deliver, endpoint["secret"]
    server.shutdown()


def snapshot(shop) -> dict:
    """The mirror's content without its clocks (which say when we looked, not what we saw)."""
    orders = {
        w.remote_id: (
            w.status,
            w.total,
            w.amount_paid,
            w.balance_due,
            w.payload,
            [(s.status, s.seen_at) for s in w.status_history()],
        )
        for w in WorkOrder.objects.filter(shop=shop)
    }
    return {
        "customers": {c.remote_id: c.payload for c in Customer.objects.filter(shop=shop)},
        "workorders": orders,
        "payments": {p.remote_id: p.payload for p in Payment.objects.filter(shop=shop)},
        "jobs": sorted(
            Job.objects.filter(shop=shop).values_list("remote_id", "work_order__remote_id", "name")
        ),
        "lines": sorted(
            LineItem.objects.filter(shop=shop).values_list("remote_id", "job__remote_id", "total")
        ),
        "notices": sorted(
            ShopNotice.objects.filter(shop=shop).values_list("kind", "remote_id", "occurred_at")
        ),
    }


def test_webhooks_delivered_twice_and_shuffled_give_the_same_mirror_as_in_order(
    client,
    settings,
    connect_shop,
    truth,
    sandbox_db,
    captured_deliveries,
    eager,
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    from .equality import assert_mirror_equals

    deliver, secret = captured_deliveries
    settings.AUTOSYNC_WEBHOOK_SECRET = secret
    shop = connect_shop(0)
    run_sync(SyncRun.objects.create(shop=shop, mode="full").pk)

    # Changes in AutoSync: the simulator's busy day, and writes through the API.
    for seed in range(11, 19):
        sandbox_db.command("simulate", "--once", "--seed", str(seed))
    order_id = next(
        w["id"]
        for w in truth.all(shop.remote_id, "workorders").values()
        if w["status"] in ("draft", "in_progress")
    )
    for status in ("waiting_parts", "in_progress", "completed"):
        time.sleep(1.05)  # event timestamps are whole seconds: one status a second
        truth.write("PUT", f"/shops/{shop.remote_id}/workorders/{order_id}", {"status": status})
    truth.write(
        "POST",
        f"/shops/{shop.remote_id}/customers",
        {"first_name": "Webb", "last_name": "Hook", "email": "webb@example.com"},
    )
    deliveries = [d for d in deliver() if json.loads(d[1])["shop_id"] == shop.remote_id]
    assert len(deliveries) >= 6
    assert all(h.get("x-autosync-delivery") for h, _ in deliveries)

    def replay(sequence) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            for headers, raw in sequence:
                response = post(
                    client, raw, headers["x-autosync-signature"], headers["x-autosync-delivery"]
                )
                assert response.status_code == 200
        return snapshot(shop)

    in_order = sorted(deliveries, key=lambda d: json.loads(d[1])["timestamp"])
    with transaction.atomic():
        expected = replay(in_order)
        assert_mirror_equals(shop, truth, resources=("customers", "workorders", "payments"))
        transaction.set_rollback(True)  # back to the mirror before any webhook

    shuffled = deliveries * 2
    random.Random(7).shuffle(shuffled)
    assert replay(shuffled) == expected
    assert WebhookEvent.objects.count() == len(deliveries)
    assert_mirror_equals(shop, truth, resources=("customers", "workorders", "payments"))
    order = WorkOrder.objects.get(shop=shop, remote_id=order_id)
    history = [s.status for s in order.status_history()]
    assert history[-3:] == ["waiting_parts", "in_progress", "completed"]


# --- Bodies that are signed but not the contract's shape, resends, retention ----------------


def shaped(shop_id, **changes) -> bytes:
    body = {
        "event": "customer.created",
        "shop_id": shop_id,
        "timestamp": "2030-01-01T00:00:00Z",
        "data": {"id": 1, "first_name": "Rita"},
        **changes,
    }
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "make",
    [
        lambda shop: shaped(shop).replace(b'"id": 1', b'"id": NaN'),
        lambda shop: shaped(shop).replace(b'"id": 1', b'"id": -Infinity'),
        lambda shop: shaped(shop).replace(b'"id": 1', b'"id": ' + b"[" * 5000 + b"]" * 5000),
        lambda shop: shaped(shop).replace(b'"id": 1', b'"id": ' + b"[" * 50 + b"]" * 50),
        lambda shop: shaped(2**70),
        lambda shop: shaped(-shop),
        lambda shop: shaped(str(shop)),
        lambda shop: shaped(True),
        lambda shop: shaped(shop, event=7),
        lambda shop: shaped(shop, event="x" * 65),
        lambda shop: shaped(shop, timestamp=["2030"]),
        lambda shop: shaped(shop, data="Rita"),
    ],
    ids=[
        "nan",
        "infinity",
        "nesting-past-the-parser",
        "deep-nesting",
        "shop-id-too-large",
        "shop-id-negative",
        "shop-id-string",
        "shop-id-bool",
        "event-not-a-string",
        "event-too-long",
        "timestamp-not-a-string",
        "data-not-an-object",
    ],
)
def test_a_signed_body_not_shaped_like_an_event_answers_400_and_stores_nothing(
    client, connect_shop, webhook_secret, make
):
    body = make(connect_shop(0).remote_id)
    response = post(client, body, sign(body, webhook_secret), "dlv_misshapen")
    assert response.status_code == 400, response.content
    assert "error" in response.json()
    assert not WebhookEvent.objects.exists()


def test_control_characters_in_a_signed_body_are_stored_without_them(
    client, connect_shop, webhook_secret, eager, django_capture_on_commit_callbacks
):
    shop = connect_shop(0)
    body = event_body(shop.remote_id, first_name="Ri\u0000ta\n")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, body, sign(body, webhook_secret), "dlv_nul").status_code == 200
    assert WebhookEvent.objects.get().body["data"]["first_name"] == "Rita\n"
    assert Customer.objects.get(shop=shop, remote_id=424242).first_name == "Rita"


def test_the_same_body_under_a_new_delivery_id_is_a_duplicate(
    client, connect_shop, webhook_secret, eager, django_capture_on_commit_callbacks
):
    shop = connect_shop(0)
    body = event_body(shop.remote_id)
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, body, sign(body, webhook_secret), "dlv_first")
        again = post(client, body, sign(body, webhook_secret), "dlv_second")
        other = event_body(shop.remote_id, first_name="Other")
        different = post(client, other, sign(other, webhook_secret), "dlv_third")
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert different.json()["duplicate"] is False
    assert sorted(WebhookEvent.objects.values_list("key", flat=True)) == [
        "dlv_first",
        "dlv_third",
    ]


def test_event_bodies_are_deleted_after_the_retention_period(connect_shop, settings):
    settings.MIRROR_WEBHOOK_RETENTION_DAYS = 7
    shop = connect_shop(0)
    now = timezone.now()
    for key, age in (("old", timedelta(days=8)), ("recent", timedelta(days=6))):
        WebhookEvent.objects.create(
            key=key,
            name="customer.created",
            shop_remote_id=shop.remote_id,
            body={"data": {"email": "rita@example.com"}},
            received_at=now - age,
        )
    assert tasks.prune_events.apply().get() == 1
    assert list(WebhookEvent.objects.values_list("key", flat=True)) == ["recent"]
    assert "mirror-prune-webhook-events" in settings.CELERY_BEAT_SCHEDULE
