"""Recording events: called by the service layer inside the transaction that made the change."""

import json
import uuid

from django.utils import timezone

from sandbox.core.models import Shop

from .models import Delivery, Endpoint, Event


def subscribers(shop: Shop) -> tuple[list, list]:
    """The client applications granted this shop (with a webhook URL), and the account's
    own active endpoints."""
    from sandbox.oauth.models import OAuthClient

    clients = list(
        OAuthClient.objects.filter(grants__shops=shop, grants__revoked_at__isnull=True)
        .exclude(webhook_url="")
        .distinct()
    )
    endpoints = list(Endpoint.objects.filter(account_id=shop.account_id, is_active=True))
    return clients, endpoints


def record_event(shop: Shop, name: str, data: dict) -> Event:
    now = timezone.now()
    body = json.dumps(
        {
            "event": name,
            "shop_id": shop.id,
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": data,
        },
        separators=(",", ":"),
    )
    event = Event.objects.create(shop=shop, name=name, body=body)
    clients, endpoints = subscribers(shop)
    Delivery.objects.bulk_create(
        [
            Delivery(
                event=event, client=c, delivery_id=f"dlv_{uuid.uuid4().hex}", next_attempt_at=now
            )
            for c in clients
        ]
        + [
            Delivery(
                event=event, endpoint=e, delivery_id=f"dlv_{uuid.uuid4().hex}", next_attempt_at=now
            )
            for e in endpoints
        ]
    )
    return event
