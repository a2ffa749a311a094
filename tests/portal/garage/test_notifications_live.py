"""The "ready for pickup" email from a real AutoSync: a work order completed in the live
sandbox, its webhooks delivered by the sandbox's own sender, received twice by the portal."""

from __future__ import annotations

import json
import time

import pytest
from django.core import mail

from portal.garage.models import Notification
from portal.mirror.models import Customer, SyncRun
from portal.mirror.sync import run as run_sync

# The mirror's live-sandbox fixtures, and its capture of the sandbox's real deliveries.
from tests.portal.mirror.conftest import account, connect_shop, roomy_sandbox, truth  # noqa: F401
from tests.portal.mirror.test_webhooks import captured_deliveries, post  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_work_order_completed_in_autosync_emails_its_owner_once(
    client,
    settings,
    connect_shop,  # noqa: F811
    truth,  # noqa: F811
    captured_deliveries,  # noqa: F811
    eager,
    django_capture_on_commit_callbacks,
):
    deliver, secret = captured_deliveries
    settings.AUTOSYNC_WEBHOOK_SECRET = secret
    shop = connect_shop(0)
    run_sync(SyncRun.objects.create(shop=shop, mode="full").pk)
    with_email = set(
        Customer.objects.filter(shop=shop).exclude(email="").values_list("remote_id", flat=True)
    )
    order = next(
        w
        for w in truth.all(shop.remote_id, "workorders").values()
        if w["status"] in ("draft", "in_progress", "waiting_parts")
        and w["customer"]["id"] in with_email
    )
    path = f"/shops/{shop.remote_id}/workorders/{order['id']}"
    if order["status"] != "in_progress":
        truth.write("PUT", path, {"status": "in_progress"})
    time.sleep(1.05)  # event timestamps are whole seconds
    truth.write("PUT", path, {"status": "completed"})
    deliveries = [d for d in deliver() if json.loads(d[1])["shop_id"] == shop.remote_id]
    assert "workorder.completed" in [json.loads(raw)["event"] for _, raw in deliveries]

    with django_capture_on_commit_callbacks(execute=True):
        for headers, raw in deliveries * 2:  # every delivery arrives twice
            signature, delivery = headers["x-autosync-signature"], headers["x-autosync-delivery"]
            assert post(client, raw, signature, delivery).status_code == 200

    customer = Customer.objects.get(shop=shop, remote_id=order["customer"]["id"])
    ready = [m for m in mail.outbox if "ready for pickup" in m.subject]
    assert [m.to for m in ready] == [[customer.email.lower()]]
    assert order["work_order_number"] in ready[0].body
    assert Notification.objects.get(kind="ready").outcome == "sent"
