"""Applying recorded webhook events to the mirror: idempotent, never regressing, never waiting.

An event's data was true at its `timestamp`, so it loses to anything newer already mirrored.
AutoSync's timestamps (and `updated_at`) are whole seconds, so within the event's second it is
written with its arrival as its clock (`clock`): a fetch sent before the event arrived, in that
second, does not outweigh it. Processing an event sends no request to AutoSync:
its payload is applied at once. Work order and payment events carry list forms: the work
order's detail (jobs, line items, payments) is fetched by a follow-up task
(`tasks.refresh_work_order`) unless the mirror holds a detail at least as recent as the event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from portal.autosync.errors import NotFound
from portal.shops.models import Shop

from . import books, records
from .models import ShopNotice, WebhookEvent, WorkOrder
from .signals import event_applied

log = logging.getLogger(__name__)

#: The latest clock an event can have: the last instant of its timestamp's second.
WITHIN_SECOND = timedelta(seconds=1) - timedelta(microseconds=1)
#: The keys that make a work order payload a whole list form (the reference's own example of
#: `workorder.completed` shows fewer: such a payload only triggers a fetch).
WORK_ORDER_LIST_FORM = {"id", "status", "customer", "vehicle", "subtotal", "total", "created_at"}


def process(event_id: int) -> str:
    """Apply one event's payload (no request to AutoSync, so it never waits for the budget);
    what was done, in words (kept on the event as its outcome). A work order's detail is
    fetched by a follow-up task."""
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
        # The body is personal data of a shop we do not mirror: not kept.
        WebhookEvent.objects.filter(pk=event_id).update(body={})
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
    outcome = handler(shop, data, timestamp, clock(timestamp, event.received_at), event.pk)
    event_applied.send(WebhookEvent, shop=shop, name=event.name, data=data, timestamp=timestamp)
    return _done(event, outcome)


def clock(timestamp: datetime, received_at: datetime) -> datetime:
    """The time an event's payload is written with (its `observed_at`): when it arrived, kept
    within its timestamp's second.

    AutoSync writes `timestamp` and `updated_at` to the second, so when the mirror holds the same
    `updated_at`, the clocks decide. The timestamp itself (the start of that second) would lose
    to every fetch sent later in the same second, even one sent before this change was made, and
    the mirror would keep the older state until the detail follow-up, which waits for the rate
    budget behind a running sync. The change happened before the event arrived, so a fetch sent
    before then cannot be newer than the event, unless a second change in the same second came
    between, whose own event then follows. Capped at the second's end: a fetch sent after it saw
    the second's last change, and a late delivery never outweighs it."""
    return max(timestamp, min(received_at, timestamp + WITHIN_SECOND))


def failed(event_id: int, error: Exception, *, final: bool) -> None:
    """Record a failure; a final one ends the event (the sweeper leaves it alone)."""
    message = f"{type(error).__name__}: {error}"[:2000]
    if final:
        WebhookEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(
            last_error=message, processed_at=timezone.now(), outcome="failed"
        )
    else:
        WebhookEvent.objects.filter(pk=event_id).update(last_error=message)


def _done(event: WebhookEvent, outcome: str) -> str:
    WebhookEvent.objects.filter(pk=event.pk).update(
        processed_at=timezone.now(), outcome=outcome[:64], last_error=""
    )
    return outcome


def _outcome(applied: records.Applied, done: str) -> str:
    return f"skipped {applied.skipped[0]}" if applied.skipped else done


def _record(resource: str):
    def handle(shop: Shop, data: dict, timestamp: datetime, clock: datetime, event_id: int) -> str:
        return _outcome(records.apply(resource, shop.pk, [data], clock), f"applied {resource}")

    return handle


def _work_order(shop: Shop, data: dict, timestamp: datetime, clock: datetime, event_id: int) -> str:
    remote_id = records.integer(data.get("id"))
    if remote_id is None:
        return "ignored: no work order id"
    outcome = "applied workorders"
    if data.keys() >= WORK_ORDER_LIST_FORM:
        applied = records.apply("workorders", shop.pk, [data], clock)
        outcome = _outcome(applied, outcome)
    if isinstance(data.get("status"), str):
        records.note_status(shop.pk, remote_id, data["status"], timestamp)
    return f"{outcome}; {_follow_up(shop, remote_id, timestamp, event_id)}"


def _payment(shop: Shop, data: dict, timestamp: datetime, clock: datetime, event_id: int) -> str:
    outcome = _outcome(records.apply("payments", shop.pk, [data], clock), "applied payment")
    work_order_id = records.integer(data.get("workorder_id"))
    if work_order_id is None:
        return outcome
    return f"{outcome}; {_follow_up(shop, work_order_id, timestamp, event_id)}"


def _detail_fresh(shop: Shop, remote_id: int, timestamp: datetime) -> bool:
    """A detail at least as recent as the event is mirrored. Event timestamps are whole
    seconds: a detail seen within the event's second may predate the change, so it has to be
    a full second newer to count."""
    detailed = (
        WorkOrder.objects.filter(shop=shop, remote_id=remote_id)
        .values_list("detail_observed_at", flat=True)
        .first()
    )
    return detailed is not None and detailed >= timestamp + timedelta(seconds=1)


def _follow_up(shop: Shop, remote_id: int, timestamp: datetime, event_id: int) -> str:
    if _detail_fresh(shop, remote_id, timestamp):
        return "detail fresh"
    from .tasks import refresh_work_order  # the tasks module imports this one

    refresh_work_order.delay(shop.pk, remote_id, timestamp.isoformat(), event_id)
    return "detail queued"


def refresh_detail(shop_id: int, remote_id: int, timestamp: datetime) -> str:
    """The follow-up of a work order or payment event: fetch the work order's detail unless
    a fresh one is mirrored. BudgetExhausted (never waited for) is the task's to reschedule."""
    shop = Shop.objects.select_related("connection").filter(pk=shop_id).first()
    if shop is None or not shop.is_syncable:
        return "ignored: shop not connected"
    if _detail_fresh(shop, remote_id, timestamp):
        return "detail already fresh"
    client = books.client_for(shop)
    observed_at = timezone.now()
    try:
        detail = client.get_work_order(shop.remote_id, remote_id)
    except NotFound:
        log.info("Work order %s of shop %s is not at AutoSync (any more)", remote_id, shop.pk)
        return "work order not found"
    applied = records.apply_work_order_detail(shop.pk, detail, observed_at)
    return _outcome(applied, "applied work order detail")


def _notice(kind: str):
    def handle(shop: Shop, data: dict, timestamp: datetime, clock: datetime, event_id: int) -> str:
        remote_id = records.integer(data.get("id"))
        if remote_id is None:
            return "ignored: no id"
        outcome = f"kept {kind}"
        if kind == ShopNotice.Kind.LOW_STOCK:
            outcome = _outcome(records.apply("inventory", shop.pk, [data], clock), outcome)
        try:
            kept = records.payload(data)
        except records.Unmappable as error:
            skip = records.Skip(kind, remote_id, error.field, error.reason)
            log.warning("Skipped a %s notice of shop %s: %s", kind, shop.pk, skip)
            return f"skipped {skip}"
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
                    payload=kept,
                )
            ],
            ignore_conflicts=True,  # the same event again
        )
        return outcome

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
