"""A webhook's clock within its second: AutoSync's `timestamp` and `updated_at` are whole
seconds, so a change and a fetch in the same second are told apart by when the event arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.mirror import events, records
from portal.mirror.models import Customer, WebhookEvent

SECOND = datetime(2030, 1, 1, 10, 0, 5, tzinfo=UTC)
RECORD = {"id": 5, "first_name": "Rita", "last_name": "Vance", "updated_at": "2030-01-01T10:00:05Z"}


def deliver(shop, first_name: str, received_at: datetime) -> None:
    """A `customer.created` event of SECOND, recorded at `received_at`, processed."""
    event = WebhookEvent.objects.create(
        key=f"dlv_{first_name}",
        name="customer.created",
        shop_remote_id=shop.remote_id,
        timestamp="2030-01-01T10:00:05Z",
        body={
            "event": "customer.created",
            "shop_id": shop.remote_id,
            "timestamp": "2030-01-01T10:00:05Z",
            "data": {**RECORD, "first_name": first_name},
        },
        received_at=received_at,
    )
    assert events.process(event.pk) == "applied customers"


def first_name(shop) -> str:
    return Customer.objects.get(shop=shop, remote_id=RECORD["id"]).first_name


def test_a_webhook_outweighs_a_fetch_sent_earlier_in_the_same_second(connect_shop):
    shop = connect_shop(0)
    records.apply("customers", shop.pk, [RECORD], SECOND + timedelta(milliseconds=200))
    deliver(shop, "Changed", received_at=SECOND + timedelta(milliseconds=500))
    assert first_name(shop) == "Changed"

    # A fetch sent after the event arrived saw that change, or a later one.
    later = {**RECORD, "first_name": "Changed again"}
    records.apply("customers", shop.pk, [later], SECOND + timedelta(milliseconds=600))
    assert first_name(shop) == "Changed again"


def test_a_late_webhook_never_outweighs_a_fetch_sent_after_its_second(connect_shop):
    shop = connect_shop(0)
    final = {**RECORD, "first_name": "Last of that second"}
    records.apply("customers", shop.pk, [final], SECOND + timedelta(seconds=1))
    deliver(shop, "Earlier in that second", received_at=SECOND + timedelta(minutes=5))
    assert first_name(shop) == "Last of that second"
