"""The simulator: a busy day in the seeded shops, made through the service layer."""

import io
import json
import os
import random
import select
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.db import transaction

from sandbox.simulator.day import BusyDay
from sandbox.webhooks.models import Event
from tests.sandbox.webhook_support import CONTRACT_EVENTS, Receiver, add_endpoint, django
from tests.support.servers import ROOT


def event_count(sandbox_db) -> int:
    return django(
        sandbox_db, "from sandbox.webhooks.models import Event\nprint(Event.objects.count())"
    )


def test_one_step_emits_contract_events_that_are_delivered_signed(sandbox_db, seed):
    receiver = Receiver().start()
    try:
        endpoints = [add_endpoint(sandbox_db, a["id"], receiver.url) for a in seed["accounts"]]
        before = event_count(sandbox_db)
        changes = sandbox_db.command("simulate", "--once", "--seed", "1").splitlines()
        emitted = event_count(sandbox_db) - before
        sandbox_db.command("deliver_webhooks", "--once")
        hooks = receiver.wait_for(emitted)
    finally:
        receiver.stop()
        django(
            sandbox_db,
            "from sandbox.webhooks.models import Endpoint\n"
            f"Endpoint.objects.filter(pk__in={[e['id'] for e in endpoints]}).delete()\n"
            "print(0)",
        )

    assert changes
    assert emitted >= 1
    assert len(hooks) == emitted
    secrets = {e["secret"] for e in endpoints}
    for hook in hooks:
        assert any(hook.signed_by(secret) for secret in secrets)
        assert hook.json["event"] in CONTRACT_EVENTS


def test_the_simulator_stops_cleanly_on_sigterm(sandbox_db):
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "simulate", "--speed", "100", "--seed", "3"],
        cwd=ROOT,
        env={**os.environ, "SANDBOX_DATABASE_URL": sandbox_db.url},
        stdout=subprocess.PIPE,
        text=True,
    )
    # It is running once it reports a change.
    assert select.select([process.stdout], [], [], 30)[0], "the simulator reported nothing"
    first_change = process.stdout.readline()
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert first_change.strip()


@pytest.fixture
def seeded(db):
    """The small seed in the in-process test database."""
    call_command("seed", "--scale", "small", stdout=io.StringIO())


def test_a_busy_day_reaches_every_status_and_emits_every_event(seeded):
    day = BusyDay(random.Random(5))
    for _ in range(150):
        day.step()

    assert set(Event.objects.values_list("name", flat=True)) == CONTRACT_EVENTS
    statuses = {
        json.loads(body)["data"]["status"]
        for body in Event.objects.filter(name="workorder.updated").values_list("body", flat=True)
    }
    assert {"in_progress", "waiting_parts", "completed", "invoiced"} <= statuses


def test_the_same_seed_makes_the_same_changes(seeded):
    def five_steps() -> list[str]:
        day = BusyDay(random.Random(42))
        return [change for _ in range(5) for change in day.step()]

    before = transaction.savepoint()
    first = five_steps()
    transaction.savepoint_rollback(before)
    assert five_steps() == first
    assert len(first) >= 5
