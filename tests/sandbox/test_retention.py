"""Old webhook events, attempts, rate counters and grace data are pruned: by a command, and on
a schedule by the running webhook sender."""

import json
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from sandbox.api.models import RateCounter
from sandbox.core import services
from sandbox.core.models import Account, Shop
from sandbox.oauth.models import Grant, OAuthClient, Token
from sandbox.webhooks.models import Attempt, Delivery, Endpoint, Event
from tests.sandbox.test_webhooks import start_sender, stop_sender
from tests.sandbox.webhook_support import django

DAY = timedelta(days=1)


@pytest.fixture
def shop(db) -> Shop:
    account = Account.objects.create(name="Retention Garage")
    Endpoint.objects.create(account=account, url="http://127.0.0.1:9/hooks")
    return Shop.objects.create(account=account, name="Retention Garage", slug="retention")


def event_aged(shop: Shop, days: int, state: str = Delivery.State.DELIVERED) -> Event:
    """An event `days` old whose delivery is in `state`, with one attempt as old."""
    services.create_customer(shop, first_name="Old", last_name=str(days))
    event = Event.objects.latest("id")
    then = timezone.now() - days * DAY
    Event.objects.filter(pk=event.pk).update(created_at=then)
    delivery = event.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(state=state)
    Attempt.objects.create(delivery=delivery, started_at=then, duration_ms=1, status_code=200)
    return event


def prune() -> dict:
    """`python -m sandbox prune --json`, in this process: what it deleted."""
    out = StringIO()
    call_command("prune", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_pruning_deletes_old_events_with_their_deliveries_and_attempts(shop):
    old = event_aged(shop, days=8)
    recent = event_aged(shop, days=6)
    assert prune()["events"] == 1
    assert not Event.objects.filter(pk=old.pk).exists()
    assert not Delivery.objects.filter(event_id=old.pk).exists()
    assert Event.objects.filter(pk=recent.pk).exists()
    assert Attempt.objects.filter(delivery__event=recent).count() == 1


def test_an_old_event_that_a_delivery_still_waits_on_stays(shop):
    waiting = event_aged(shop, days=30, state=Delivery.State.PENDING)
    assert prune()["events"] == 0
    assert Event.objects.filter(pk=waiting.pk).exists()


def test_old_attempts_of_a_delivery_that_stays_are_pruned(shop):
    resent = event_aged(shop, days=30, state=Delivery.State.PENDING)
    delivery = resent.deliveries.get()
    Attempt.objects.create(delivery=delivery, started_at=timezone.now(), duration_ms=1)
    assert prune()["attempts"] == 1
    assert delivery.attempt_log.count() == 1


def test_the_retention_is_a_setting(shop, settings):
    settings.SANDBOX_WEBHOOK_RETENTION_DAYS = 1
    event_aged(shop, days=2)
    assert prune()["events"] == 1


def test_pruning_deletes_rate_counters_of_windows_long_over(db):
    now = int(time.time())
    RateCounter.objects.create(key="key:gone", window_start=now - 2 * 86400, count=5)
    RateCounter.objects.create(key="key:live", window_start=now // 60 * 60, count=5)
    assert prune()["rate_counters"] == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["key:live"]


def test_pruning_forgets_refresh_grace_data_once_the_grace_period_is_over(shop):
    client = OAuthClient.objects.create(name="P", client_id="ci_p", redirect_uris="https://p/cb")
    grant = Grant.objects.create(client=client, account=shop.account, scope="shops:read")
    now = timezone.now()

    def spent(seconds_ago: int, n: int) -> Token:
        return Token.objects.create(
            grant=grant,
            access_token_hash=f"a{n}",
            refresh_token_hash=f"r{n}",
            expires_at=now,
            refresh_used_at=now - timedelta(seconds=seconds_ago),
            successor_sealed=b"sealed",
        )

    over, within = spent(60, 1), spent(5, 2)
    assert prune()["sealed_pairs"] == 1
    over.refresh_from_db()
    within.refresh_from_db()
    assert bytes(over.successor_sealed) == b""
    assert bytes(within.successor_sealed) == b"sealed"


def test_the_running_sender_prunes_on_its_schedule(sandbox_db, johnsons):
    shop_id = johnsons["shops"][0]["id"]
    aged = django(
        sandbox_db,
        "import json\n"
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from sandbox.core import services\n"
        "from sandbox.core.models import Shop\n"
        "from sandbox.webhooks.models import Event\n"
        f"services.create_customer(Shop.objects.get(pk={shop_id}), first_name='Aged', "
        "last_name='Out')\n"
        "event = Event.objects.latest('id')\n"
        "event.deliveries.update(state='delivered')\n"
        "Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=8))\n"
        "print(json.dumps(event.pk))",
    )
    exists = (
        "import json\nfrom sandbox.webhooks.models import Event\n"
        f"print(json.dumps(Event.objects.filter(pk={aged}).exists()))"
    )
    assert django(sandbox_db, exists) is True
    sender = start_sender(sandbox_db)
    try:
        deadline = time.monotonic() + 20
        while django(sandbox_db, exists) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        assert stop_sender(sender) == 0
    assert django(sandbox_db, exists) is False
