"""Applying recorded webhook events to the mirror: idempotent, and never regressing.

An event's data was true at its `timestamp`, so it is written with that time as its clock and
loses to anything newer already mirrored. Work order and payment events carry list forms:
the work order's detail (jobs, line items, payments) is fetched again unless the mirror holds a
detail at least as recent as the event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from portal.autosync.errors import NotFound
from portal.shops.models import Shop

from . import records, sync
from .models import ShopNotice, WebhookEvent, WorkOrder

log = logging.getLogger(__name__)

#: The keys that make a work order payload a whole list form (the reference's own example of
#: `workorder.completed` shows fewer: such a payload only triggers a fetch).
WORK_ORDER_LIST_FORM = {"id", "status", "customer", "vehicle", "subtotal", "total", "created_at"}


def process(event_id: int) -> str:
    """Apply one event; what was done, in words (kept on the event as its outcome)."""
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None or event.processed_at is not None:
        return "already processed"
    WebhookEvent.objects.filter(pk=event_id).update(attempts=F("attempts") + 1)
    shop = Shop.objects.select_related("connection").filter(remote_id=event.shop_remote_id).first()
    if shop is None or not shop.is_syncable:
        log.info(
            "Webhook %s %s for AutoSync shop %s ignored: the shop is not connected",
            event.key,
            event.name,
            event.shop_remote_id,
        )
        return _done(event, "ignored: shop not connected")
    body = event.body if isinstance(event.body, dict) else {}
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    # A delivery without a usable timestamp counts as seen when it arrived (it still loses to
    # anything AutoSync said later, by updated_at).
    timestamp = records.parse_time(body.get("timestamp")) or event.received_at
    handler = HANDLERS.get(event.name)
    if handler is None:
        log.info("Webhook %s: unknown event %r ignored", event.key, event.name)
        return _done(event, "ignored: unknown event")
    return _done(event, handler(shop, data, timestamp))


def failed(event_id: int, error: Exception) -> None:
    WebhookEvent.objects.filter(pk=event_id).update(last_error=str(error)[:2000])


def _done(event: WebhookEvent, outcome: str) -> str:
    WebhookEvent.objects.filter(pk=event.pk).update(
        processed_at=timezone.now(), outcome=outcome[:64], last_error=""
    )
    return outcome


def _record(resource: str):
    def handle(shop: Shop, data: dict, timestamp: datetime) -> str:
        records.apply(resource, shop.pk, [data], timestamp)
        return f"applied {resource}"

    return handle


def _work_order(shop: Shop, data: dict, timestamp: datetime) -> str:
    remote_id = records.integer(data.get("id"))
    if remote_id is None:
        return "ignored: no work order id"
    if data.keys() >= WORK_ORDER_LIST_FORM:
        records.apply("workorders", shop.pk, [data], timestamp)
    if isinstance(data.get("status"), str):
        records.note_status(shop.pk, remote_id, data["status"], timestamp)
    return _refresh_detail(shop, remote_id, timestamp)


def _payment(shop: Shop, data: dict, timestamp: datetime) -> str:
    records.apply("payments", shop.pk, [data], timestamp)
    work_order_id = records.integer(data.get("workorder_id"))
    if work_order_id is None:
        return "applied payment"
    return _refresh_detail(shop, work_order_id, timestamp)


def _refresh_detail(shop: Shop, remote_id: int, timestamp: datetime) -> str:
    """Fetch the work order's detail unless one at least as recent as the event is mirrored.
    Event timestamps are whole seconds: a detail seen within the event's second may predate
    the change, so it has to be a full second newer to count."""
    detailed = (
        WorkOrder.objects.filter(shop=shop, remote_id=remote_id)
        .values_list("detail_observed_at", flat=True)
        .first()
    )
    if detailed is not None and detailed >= timestamp + timedelta(seconds=1):
        return "detail already fresh"
    client = sync.client_for(
        shop, lambda method, path, status, seconds: sync.count_request(shop.pk, "workorders")
    )
    observed_at = timezone.now()
    try:
        detail = client.get_work_order(shop.remote_id, remote_id)
    except NotFound:
        log.info("Work order %s of shop %s is not at AutoSync (any more)", remote_id, shop.pk)
        return "work order not found"
    records.apply_work_order_detail(shop.pk, detail, observed_at)
    return "applied work order detail"


def _notice(kind: str):
    def handle(shop: Shop, data: dict, timestamp: datetime) -> str:
        remote_id = records.integer(data.get("id"))
        if remote_id is None:
            return "ignored: no id"
        if kind == ShopNotice.Kind.LOW_STOCK:
            records.apply("inventory", shop.pk, [data], timestamp)
        occurred_at = records.parse_time(data.get("sent_at")) or timestamp
        ShopNotice.objects.bulk_create(
            [
                ShopNotice(
                    shop=shop,
                    kind=kind,
                    remote_id=remote_id,
                    work_order_remote_id=records.integer(data.get("workorder_id")),
                    customer_remote_id=records.integer(data.get("customer_id")),
                    occurred_at=occurred_at,
                    payload=data,
                )
            ],
            ignore_conflicts=True,  # the same event again
        )
        return f"kept {kind}"

    return handle


HANDLERS = {
    "customer.created": _record("customers"),
    "appointment.created": _record("appointments"),
    "workorder.created": _work_order,
    "workorder.updated": _work_order,
    "workorder.completed": _work_order,
    "payment.received": _payment,
    "inspection.completed": _notice(ShopNotice.Kind.INSPECTION),
    "inventory.low_stock": _notice(ShopNotice.Kind.LOW_STOCK),
}
