"""Every task ends or retries with a bound: nothing AutoSync sends, and no error of ours, leaves
a run or an event active forever; waiting for the budget is a reschedule, never a sleep."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from portal.autosync import conf
from portal.celery import ReliableTask
from portal.celery import app as celery_app
from portal.mirror import events, sync, tasks
from portal.mirror.models import SyncRun, WebhookEvent, WorkOrder

from .conftest import run_task


@pytest.fixture
def quick_backoff(monkeypatch):
    monkeypatch.setattr(ReliableTask, "backoff", staticmethod(lambda failures: 0.01))


def block_budget(shop, seconds: float) -> None:
    """The shop's grant has no room for `seconds` (as after a 429 with Retry-After)."""
    conf.shared_budget().blocked_until(f"grant:{shop.connection_id}", time.time() + seconds)


def test_an_unexpected_error_in_a_sync_fails_the_run_with_its_message_after_bounded_retries(
    connect_shop, eager, quick_backoff, monkeypatch
):
    shop = connect_shop(0)
    SyncRun.objects.filter(shop=shop).delete()

    def broken(self):
        raise ValueError("a value the mirror could not take")

    monkeypatch.setattr(sync.ShopSync, "full", broken)
    run = SyncRun.objects.create(shop=shop, mode="full")
    assert run_task(tasks.run_sync, run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and run.finished_at is not None
    assert run.error == "ValueError: a value the mirror could not take"
    assert run.attempts == tasks.MAX_UNEXPECTED_RETRIES + 1
    assert (run.wait_reason, run.not_before) == ("", None)


def test_a_failed_run_never_blocks_the_next_one(connect_shop, eager, quick_backoff, monkeypatch):
    shop = connect_shop(0)
    SyncRun.objects.filter(shop=shop).delete()
    monkeypatch.setattr(sync.ShopSync, "full", lambda self: 1 / 0)
    first = tasks.request_sync(shop.pk, "full")
    run_task(tasks.run_sync, first.pk)
    monkeypatch.undo()
    second = tasks.request_sync(shop.pk, "full")
    assert second.pk != first.pk
    run_task(tasks.run_sync, second.pk)
    second.refresh_from_db()
    assert second.status == "done"


def test_a_run_with_no_sign_of_life_is_failed_when_a_sync_is_requested(connect_shop):
    shop = connect_shop(0)
    SyncRun.objects.filter(shop=shop).delete()
    long_ago = timezone.now() - timedelta(hours=1)
    dead = SyncRun.objects.create(
        shop=shop, mode="full", status="running", created_at=long_ago, heartbeat_at=long_ago
    )
    fresh = tasks.request_sync(shop.pk, "full")
    dead.refresh_from_db()
    assert fresh.pk != dead.pk and fresh.status == "pending"
    assert dead.status == "failed" and "no sign of life" in dead.error
    # Quiet as long, but waiting on purpose for a known time (the budget): alive.
    SyncRun.objects.filter(pk=fresh.pk).update(
        created_at=long_ago,
        heartbeat_at=long_ago,
        not_before=timezone.now() + timedelta(seconds=30),
        wait_reason="budget",
    )
    assert tasks.request_sync(shop.pk, "full").pk == fresh.pk


def test_a_run_older_than_a_day_is_failed_by_the_sweeper(connect_shop):
    shop = connect_shop(0)
    SyncRun.objects.filter(shop=shop).delete()
    old = SyncRun.objects.create(
        shop=shop, mode="full", status="pending", created_at=timezone.now() - timedelta(days=2)
    )
    tasks.resume_stalled_runs.apply()
    old.refresh_from_db()
    assert old.status == "failed"


def test_a_sync_with_no_budget_is_rescheduled_at_once_and_resumes_where_it_stopped(
    connect_shop, eager
):
    shop = connect_shop(0)
    SyncRun.objects.filter(shop=shop).delete()
    run = SyncRun.objects.create(shop=shop, mode="full")
    block_budget(shop, 40)
    started = time.monotonic()
    with pytest.raises(Retry) as retry:
        tasks.run_sync.apply(args=(run.pk,))
    assert time.monotonic() - started < 2  # no worker held while the budget refills
    assert 40 <= retry.value.when <= 42
    assert retry.value.sig.kwargs.get("failures", 0) == 0  # waiting is not a failure
    run.refresh_from_db()
    assert (run.status, run.wait_reason) == ("pending", "budget")
    assert 35 < (run.not_before - timezone.now()).total_seconds() <= 42
    assert re.fullmatch(r"waiting for AutoSync's request limit, about 4[0-2] s", run.pause)

    conf.shared_budget.cache_clear()  # the window has room again
    assert retry.value.sig.apply().get() == "done"
    run.refresh_from_db()
    assert (run.status, run.wait_reason, run.not_before, run.pause) == ("done", "", None, "")


def test_an_event_whose_processing_fails_records_the_error_and_ends(
    client, connect_shop, eager, quick_backoff, monkeypatch
):
    shop = connect_shop(0)

    def broken(*args):
        raise RuntimeError("unexpected")

    monkeypatch.setitem(events.HANDLERS, "customer.created", broken)
    event = WebhookEvent.objects.create(
        key="dlv_fails", name="customer.created", shop_remote_id=shop.remote_id, body={}
    )
    assert run_task(tasks.process_event, event.pk) == "failed"
    event.refresh_from_db()
    assert event.last_error == "RuntimeError: unexpected"
    assert event.outcome == "failed" and event.processed_at is not None
    assert event.attempts == tasks.MAX_UNEXPECTED_RETRIES + 1
    assert tasks.sweep_events.apply().get() == 0  # ended: not queued again


def test_a_work_order_event_is_applied_without_a_request_and_its_detail_follows(
    connect_shop, eager, truth, monkeypatch
):
    shop = connect_shop(0)
    order = next(
        o for o in truth.all(shop.remote_id, "workorders").values() if o["status"] == "draft"
    )
    event = WebhookEvent.objects.create(
        key="dlv_wo",
        name="workorder.updated",
        shop_remote_id=shop.remote_id,
        body={"event": "workorder.updated", "timestamp": "2030-01-01T00:00:00Z", "data": order},
    )
    queued = []
    monkeypatch.setattr(tasks.refresh_work_order, "delay", lambda *args: queued.append(args))
    block_budget(shop, 30)
    tasks.process_event.apply(args=(event.pk,))
    mirrored = WorkOrder.objects.get(shop=shop, remote_id=order["id"])
    assert mirrored.status == "draft" and mirrored.detail_observed_at is None
    event.refresh_from_db()
    assert event.processed_at is not None and event.outcome.endswith("detail queued")

    started = time.monotonic()
    with pytest.raises(Retry) as follow_up:
        tasks.refresh_work_order.apply(args=queued[0])
    assert time.monotonic() - started < 2  # no worker held while the budget refills
    assert 30 <= follow_up.value.when <= 32

    conf.shared_budget.cache_clear()
    assert follow_up.value.sig.apply().get() == "applied work order detail"
    mirrored.refresh_from_db()
    assert mirrored.detail_observed_at is not None
    event.refresh_from_db()
    assert event.outcome == "applied work order detail"


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("process_event", "webhooks"),
        ("sweep_events", "webhooks"),
        ("refresh_work_order", "webhooks"),
        ("run_sync", "sync"),
        ("schedule_syncs", "sync"),
        ("resume_stalled_runs", "sync"),
        ("prune_events", "celery"),
    ],
)
def test_webhooks_and_syncs_are_routed_to_separate_queues(task, queue):
    route = celery_app.amqp.router.route({}, f"portal.mirror.tasks.{task}")
    assert route["queue"].name == queue
