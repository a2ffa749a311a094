"""Telling owners when it matters: their car is ready for pickup, an inspection report was
sent, a payment was received. Each is an email, sent at most once per event, unless the owner
turned that kind off (docs/garage.md).

The mirror says when it applied a webhook event (`portal.mirror.signals.event_applied`); the
garage's receiver calls `record`, which keeps one `Notification` per (kind, shop, remote id)
and queues `send`. `send` claims the row before the email goes: a webhook delivered twice, an
event processed twice or a task run twice finds it taken. A send that fails gives the claim
back for the retry; a worker that dies mid-send leaves it taken (at most once, not at least).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.core import signing
from django.db import transaction
from django.utils import timezone

from portal.mirror.models import Customer
from portal.mirror.records import integer, nested_id
from portal.shops.models import Shop

from . import emails
from .models import Notification, TurnedOff

Kind = Notification.Kind

#: The events that call for an email. `workorder.completed` is sent once, when the status
#: becomes completed; `workorder.updated` also says "completed" for any later change of a
#: completed work order (a payment, an edit), so it is not one of them.
EVENTS = {
    "workorder.completed": Kind.READY,
    "inspection.completed": Kind.INSPECTION,
    "payment.received": Kind.PAYMENT,
}
#: An event older than this (a delivery retried for hours, a replay) is news no more.
NEWS_FOR = timedelta(days=1)
UNSUBSCRIBE_SALT = "portal.garage.unsubscribe"


class CustomerNotMirrored(Exception):
    """The event's customer is not in the mirror (yet: `customer.created` may come later)."""


def record(shop: Shop, name: str, data: dict, timestamp: datetime) -> Notification | None:
    """Keep the email an applied event calls for, once, and queue it; None if it calls for
    none. An event seen again queues its email again only if it was not decided yet."""
    kind = EVENTS.get(name)
    remote_id = integer(data.get("id"))
    if kind is None or remote_id is None or timestamp < timezone.now() - NEWS_FOR:
        return None
    if kind == Kind.READY:
        customer_id = nested_id(data.get("customer"))
        work_order_id = remote_id
    else:
        customer_id = integer(data.get("customer_id"))
        work_order_id = integer(data.get("workorder_id"))
    fields = {
        "customer_remote_id": customer_id,
        "work_order_remote_id": work_order_id,
        "details": _details(kind, data),
        "occurred_at": timestamp,
    }
    # Unique in the database: a concurrent worker's row is fetched instead (get_or_create).
    notification, _ = Notification.objects.get_or_create(
        kind=kind, shop=shop, remote_id=remote_id, defaults=fields
    )
    if notification.claimed_at is None:
        from .tasks import send_notification  # the tasks module imports this one

        # Robust: a broker that refuses the message does not fail the mirror's event (the
        # row is recorded; the sweeper queues it again), and neither does the task itself
        # where tasks run in the caller.
        transaction.on_commit(partial(send_notification.delay, notification.pk), robust=True)
    return notification


def _details(kind: str, data: dict) -> dict:
    """What the email needs from the event itself: an inspection's counts, a payment's
    amount and method (as AutoSync wrote them)."""
    if kind == Kind.INSPECTION:
        summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
        counts = {colour: integer(summary.get(colour)) for colour in ("green", "yellow", "red")}
        return {colour: count for colour, count in counts.items() if count is not None}
    if kind == Kind.PAYMENT:
        return {key: str(data[key])[:32] for key in ("amount", "method") if data.get(key)}
    return {}


def send(notification_id: int) -> str:
    """Send a recorded notification's email, unless it was decided already, its customer has
    no email, or the owner turned its kind off; what was done, in words."""
    notification = (
        Notification.objects.select_related("shop")
        .filter(pk=notification_id, claimed_at__isnull=True)
        .first()
    )
    if notification is None:
        return "already decided"
    customer = (
        Customer.objects.live()
        .filter(shop_id=notification.shop_id, remote_id=notification.customer_remote_id)
        .first()
    )
    if customer is None:
        raise CustomerNotMirrored(f"customer {notification.customer_remote_id}")
    email = customer.email.strip().lower()
    if not email:
        return finish(notification_id, "no email")
    if TurnedOff.objects.filter(email=email, kind=notification.kind).exists():
        return finish(notification_id, "turned off")
    if not _claim(notification_id, "sending"):
        return "already decided"
    try:
        emails.send_notification(
            notification, customer, email, unsubscribe_token(email, notification.kind)
        )
    except Exception:
        Notification.objects.filter(pk=notification_id).update(claimed_at=None, outcome="")
        raise
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now(), outcome="sent")
    return "sent"


def unsent(stale_after: timedelta) -> list[int]:
    """Notifications recorded more than `stale_after` ago and still undecided (their task's
    message was lost), while they are news."""
    now = timezone.now()
    return list(
        Notification.objects.filter(
            claimed_at__isnull=True,
            created_at__lt=now - stale_after,
            occurred_at__gte=now - NEWS_FOR,
        ).values_list("pk", flat=True)
    )


def finish(notification_id: int, outcome: str) -> str:
    """Decide a notification without an email (`outcome` says why)."""
    _claim(notification_id, outcome)
    return outcome


def _claim(notification_id: int, outcome: str) -> bool:
    return bool(
        Notification.objects.filter(pk=notification_id, claimed_at__isnull=True).update(
            claimed_at=timezone.now(), outcome=outcome[:64]
        )
    )


# --- What an owner wants ----------------------------------------------------------------------


def turned_off(email: str) -> set[str]:
    """The kinds of email the owner turned off."""
    return set(TurnedOff.objects.filter(email=email.lower()).values_list("kind", flat=True))


def choose(email: str, wanted: set[str]) -> None:
    """Keep exactly the kinds in `wanted` on for the owner."""
    email = email.lower()
    TurnedOff.objects.filter(email=email, kind__in=wanted).delete()
    TurnedOff.objects.bulk_create(
        [TurnedOff(email=email, kind=kind) for kind in Kind.values if kind not in wanted],
        ignore_conflicts=True,
    )


def turn_off(email: str, kind: str) -> None:
    TurnedOff.objects.bulk_create(
        [TurnedOff(email=email.lower(), kind=kind)], ignore_conflicts=True
    )


def unsubscribe_token(email: str, kind: str) -> str:
    """The secret of a one-click unsubscribe link: the address and the kind, signed (it never
    expires: an old email's link still works)."""
    return signing.dumps({"email": email.lower(), "kind": kind}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[str, str] | None:
    """The address and kind an unsubscribe link stands for, or None if it is not one."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    email, kind = data.get("email"), data.get("kind")
    if not isinstance(email, str) or not email or kind not in Kind.values:
        return None
    return email, kind
