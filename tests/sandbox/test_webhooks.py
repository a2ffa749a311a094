"""Signed webhook delivery, end to end: changes on a live sandbox reach a real receiver through
real `deliver_webhooks` processes."""

import os
import re
import signal
import subprocess
import sys
import time
from itertools import pairwise

import pytest

from tests.sandbox.webhook_support import CONTRACT_EVENTS, Receiver, add_endpoint, django
from tests.support.servers import ROOT, free_port


def create_customers(sandbox_db, shop_id: int, count: int = 1, name: str = "Hook") -> list[int]:
    """Customers created through the service layer (as the back office does); their ids."""
    return django(
        sandbox_db,
        "import json\n"
        "from sandbox.core import services\n"
        "from sandbox.core.models import Shop\n"
        f"shop = Shop.objects.get(pk={shop_id})\n"
        f"ids = [services.create_customer(shop, first_name='{name}', last_name=str(n)).id"
        f" for n in range({count})]\n"
        "print(json.dumps(ids))",
    )


def deliveries_to(sandbox_db, endpoint_id: int) -> list[dict]:
    return django(
        sandbox_db,
        "import json\n"
        "from sandbox.webhooks.models import Delivery\n"
        f"rows = Delivery.objects.filter(endpoint_id={endpoint_id}).order_by('id')\n"
        "print(json.dumps([{'delivery_id': d.delivery_id, 'state': d.state,"
        " 'attempts': [[a.status_code, a.error] for a in d.attempt_log.all()]} for d in rows]))",
    )


def start_sender(sandbox_db, *args: str, schedule: str = "0.2,0.4") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", "deliver_webhooks", "--poll", "0.05", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "SANDBOX_DATABASE_URL": sandbox_db.url,
            "SANDBOX_WEBHOOK_RETRY_SCHEDULE": schedule,
            "SANDBOX_LOG_LEVEL": "WARNING",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_sender(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=15)


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def add_johnsons_endpoint(sandbox_db, johnsons):
    """`add_johnsons_endpoint(url)`: an endpoint of Johnson's Auto Care. They are disabled at the
    module's end, so that changes other tests make on the shared database do not queue
    deliveries to receivers that are gone."""
    added = []

    def add(url: str) -> dict:
        added.append(add_endpoint(sandbox_db, johnsons["id"], url))
        return added[-1]

    yield add
    django(
        sandbox_db,
        "from sandbox.webhooks.models import Endpoint\n"
        f"Endpoint.objects.filter(pk__in={[e['id'] for e in added]}).update(is_active=False)\n"
        "print(0)",
    )


@pytest.fixture
def endpoint(receiver, add_johnsons_endpoint) -> dict:
    """An endpoint of Johnson's Auto Care pointing at `receiver`."""
    return add_johnsons_endpoint(receiver.url)


def test_adding_an_endpoint_prints_its_id_and_secret(sandbox_db, johnsons, endpoint, receiver):
    assert isinstance(endpoint["id"], int)
    assert endpoint["account_id"] == johnsons["id"]
    assert endpoint["url"] == receiver.url
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 32


def test_adding_an_endpoint_to_an_unknown_account_fails(sandbox_db):
    with pytest.raises(RuntimeError, match="No account with id 999999"):
        add_endpoint(sandbox_db, 999999, "http://127.0.0.1:9/hooks")


def test_a_customer_created_over_the_api_arrives_signed_with_the_contracts_body(
    api, sandbox_db, johnsons, endpoint, receiver
):
    shop_id = johnsons["shops"][0]["id"]
    created = api.post(
        f"/shops/{shop_id}/customers",
        json={"first_name": "Webhook", "last_name": "Over-API", "email": "hook@example.com"},
    )
    assert created.status_code == 201
    customer = created.json()["data"]

    sandbox_db.command("deliver_webhooks", "--once")

    [hook] = [h for h in receiver.wait_for(1) if h.json["data"]["id"] == customer["id"]]
    assert hook.headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{64}", hook.headers["X-AutoSync-Signature"])
    assert hook.signed_by(endpoint["secret"])
    assert not hook.signed_by("whsec_another")
    assert hook.headers["X-AutoSync-Event"] == "customer.created"
    assert re.fullmatch(r"dlv_[0-9a-f]{32}", hook.delivery_id)
    body = hook.json
    assert list(body) == ["event", "shop_id", "timestamp", "data"]
    assert body["event"] == "customer.created"
    assert body["shop_id"] == shop_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timestamp"])
    assert body["data"] == customer


def test_completing_a_work_order_over_the_api_sends_updated_and_completed(
    api, sandbox_db, johnsons, endpoint, receiver
):
    shop_id = johnsons["shops"][0]["id"]
    open_orders = api.get(f"/shops/{shop_id}/workorders", params={"status": "in_progress"})
    work_order = open_orders.json()["data"][0]

    changed = api.put(
        f"/shops/{shop_id}/workorders/{work_order['id']}", json={"status": "completed"}
    )
    assert changed.status_code == 200
    sandbox_db.command("deliver_webhooks", "--once")

    hooks = [h for h in receiver.wait_for(2) if h.json["data"]["id"] == work_order["id"]]
    assert sorted(h.headers["X-AutoSync-Event"] for h in hooks) == [
        "workorder.completed",
        "workorder.updated",
    ]
    listed = api.get(f"/shops/{shop_id}/workorders", params={"status": "completed"}).json()
    [as_listed] = [w for w in listed["data"] if w["id"] == work_order["id"]]
    for hook in hooks:
        assert hook.signed_by(endpoint["secret"])
        assert hook.json["event"] == hook.headers["X-AutoSync-Event"]
        assert hook.json["data"] == as_listed  # the resource in its list form
    assert len({h.delivery_id for h in hooks}) == 2


def test_a_client_application_gets_the_events_of_the_shops_it_was_granted_only(
    sandbox_db, johnsons, receiver
):
    granted, other = (shop["id"] for shop in johnsons["shops"][:2])
    client = django(
        sandbox_db,
        "import json\n"
        "from sandbox.oauth.models import Grant, OAuthClient\n"
        "client = OAuthClient.objects.create(name='Hook test app', client_id='hook-test-app',\n"
        "    client_secret_hash='-', redirect_uris='http://127.0.0.1/cb',\n"
        f"    webhook_url='{receiver.url}', webhook_secret='whsec_app_secret')\n"
        f"grant = Grant.objects.create(client=client, account_id={johnsons['id']},"
        " scope='customers:read')\n"
        f"grant.shops.set([{granted}])\n"
        "print(json.dumps({'grant': grant.id}))",
    )
    [in_granted] = create_customers(sandbox_db, granted, name="Granted")
    [in_other] = create_customers(sandbox_db, other, name="Ungranted")
    sandbox_db.command("deliver_webhooks", "--once")

    hooks = receiver.wait_for(1)
    assert [h.json["data"]["id"] for h in hooks] == [in_granted]
    assert hooks[0].signed_by("whsec_app_secret")
    assert hooks[0].json["shop_id"] == granted
    assert in_other not in [h.json["data"]["id"] for h in hooks]

    # A revoked grant stops the flow: its events are no longer queued for the client.
    django(
        sandbox_db,
        "from django.utils import timezone\n"
        "from sandbox.oauth.models import Grant\n"
        f"Grant.objects.filter(pk={client['grant']}).update(revoked_at=timezone.now())\n"
        "print(0)",
    )
    create_customers(sandbox_db, granted, name="AfterRevoke")
    sandbox_db.command("deliver_webhooks", "--once")
    time.sleep(0.2)
    assert len(receiver.received) == 1


def test_a_failing_receiver_is_retried_with_the_same_delivery_id_until_it_fails(
    sandbox_db, johnsons, add_johnsons_endpoint
):
    erroring = Receiver(statuses=(500,)).start()
    try:
        failing = add_johnsons_endpoint(erroring.url)
        # Nothing listens on this port: no answer at all.
        silent = add_johnsons_endpoint(f"http://127.0.0.1:{free_port()}/x")
        create_customers(sandbox_db, johnsons["shops"][0]["id"], name="Retried")
        sender = start_sender(sandbox_db, schedule="0.2,0.4")
        try:
            hooks = erroring.wait_for(3)
            time.sleep(0.8)  # long enough for a fourth attempt, which must not come
        finally:
            assert stop_sender(sender) == 0
    finally:
        erroring.stop()

    assert len(erroring.received) == 3
    assert len({h.delivery_id for h in hooks}) == 1
    assert len({h.body for h in hooks}) == 1  # the same event, with its original timestamp
    assert all(h.signed_by(failing["secret"]) for h in hooks)
    # Not before the schedule's 0.2 s then 0.4 s (less their 10% jitter); a loaded machine
    # may make them later.
    first_wait, second_wait = (b.at - a.at for a, b in pairwise(hooks))
    assert first_wait >= 0.18
    assert second_wait >= 0.36
    [answered] = deliveries_to(sandbox_db, failing["id"])
    assert answered["delivery_id"] == hooks[0].delivery_id
    assert answered["state"] == "failed"
    assert answered["attempts"] == [[500, "HTTP 500"]] * 3
    [unanswered] = deliveries_to(sandbox_db, silent["id"])
    assert unanswered["state"] == "failed"
    assert len(unanswered["attempts"]) == 3
    assert unanswered["attempts"] == [[None, "Could not connect: Connection refused"]] * 3


def test_two_senders_at_once_attempt_each_delivery_exactly_once(
    sandbox_db, johnsons, add_johnsons_endpoint
):
    slow = Receiver(delay=0.05).start()
    try:
        endpoint = add_johnsons_endpoint(slow.url)
        create_customers(sandbox_db, johnsons["shops"][1]["id"], count=40, name="Concurrent")
        senders = [start_sender(sandbox_db, "--workers", "4") for _ in range(2)]
        try:
            slow.wait_for(40, timeout=30)
            time.sleep(0.5)  # a duplicate would arrive now
        finally:
            codes = [stop_sender(sender) for sender in senders]
    finally:
        slow.stop()

    assert codes == [0, 0]
    ids = [h.delivery_id for h in slow.received]
    assert len(ids) == 40
    assert len(set(ids)) == 40
    rows = deliveries_to(sandbox_db, endpoint["id"])
    assert {row["state"] for row in rows} == {"delivered"}
    assert all(len(row["attempts"]) == 1 for row in rows)


def test_every_event_the_sandbox_records_is_one_of_the_contracts(sandbox_db):
    names = django(
        sandbox_db,
        "import json\n"
        "from sandbox.webhooks.models import Event\n"
        "print(json.dumps(sorted(set(Event.objects.values_list('name', flat=True)))))",
    )
    assert set(names) <= CONTRACT_EVENTS


def test_a_running_sender_delivers_a_change_well_within_two_seconds(
    api, sandbox_db, johnsons, endpoint, receiver
):
    shop_id = johnsons["shops"][0]["id"]
    sender = start_sender(sandbox_db, "--poll", "0.25")
    try:
        # Once a first change has come through, the sender is up and polling.
        api.post(f"/shops/{shop_id}/customers", json={"first_name": "Warm", "last_name": "Up"})
        receiver.wait_for(1, timeout=30)
        changed_at = time.monotonic()
        api.post(f"/shops/{shop_id}/customers", json={"first_name": "Fresh", "last_name": "One"})
        hooks = receiver.wait_for(2, timeout=10)
    finally:
        assert stop_sender(sender) == 0
    assert hooks[1].json["data"]["first_name"] == "Fresh"
    assert hooks[1].at - changed_at < 2.0
