"""Celery tasks of the mirror: thin, taking ids, under the portal's task policy
(portal.celery.ReliableTask: delivered again when a worker dies, failures retried with backoff
a bounded number of times).

Work is recorded in the database before it is queued (a SyncRun, a WebhookEvent), so a lost
broker message is found again by a sweeper; tasks are idempotent, so running one twice (a
redelivery, a sweeper and the original both) is harmless.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from portal.autosync.errors import AutoSyncError, BudgetExhausted
from portal.celery import ReliableTask
from portal.shops.models import Shop

from . import events, lease, sync
from .models import SyncRun, SyncState, WebhookEvent

log = logging.getLogger(__name__)

#: Which active run already covers a requested mode (a full sync covers everything).
COVERED_BY = {
    SyncRun.Mode.FULL: (SyncRun.Mode.FULL,),
    SyncRun.Mode.INCREMENTAL: (SyncRun.Mode.FULL, SyncRun.Mode.INCREMENTAL),
    SyncRun.Mode.OPEN: (SyncRun.Mode.FULL, SyncRun.Mode.OPEN),
}
#: An error that is not AutoSync's (a bug, a database refusing a value) is tried again only
#: a few times: it is rarely transient, and the run must reach an end soon.
MAX_UNEXPECTED_RETRIES = 3
#: A queued event not processed after this long is queued again by the sweeper.
EVENT_GRACE = timedelta(seconds=30)
MAX_EVENT_ATTEMPTS = 20
#: An active run with no sign of life for this long is dead (no worker will finish it):
#: a new request for a sync fails it and starts afresh rather than return it.
DEAD_AFTER = timedelta(minutes=10)
#: However it waits and resumes, a run ends within this time (the sweeper fails it).
MAX_RUN_AGE = timedelta(hours=24)


def budget_countdown(exc: BudgetExhausted) -> float:
    """Until the budget has room again, plus a little jitter so waiting tasks spread out."""
    return (exc.retry_after or 1.0) + random.uniform(0.1, 1.0)


def request_sync(shop_id: int, mode: str = SyncRun.Mode.FULL) -> SyncRun:
    """Record a sync of the shop and queue it once the transaction commits. An active run that
    covers `mode` is returned instead (unless it is dead: then it is failed and a new one
    starts); a shop never fully synced gets a full sync."""
    active = SyncRun.objects.filter(
        shop_id=shop_id,
        status__in=(SyncRun.Status.PENDING, SyncRun.Status.RUNNING),
        mode__in=COVERED_BY[mode],
    )
    for candidate in active:
        if not _dead(candidate):
            return candidate
        _fail(candidate.pk, "it stopped without finishing (no sign of life for 10 minutes)")
    if (
        mode != SyncRun.Mode.FULL
        and not SyncState.objects.filter(shop_id=shop_id, full_synced_at__isnull=False).exists()
    ):
        return request_sync(shop_id, SyncRun.Mode.FULL)
    sync_run = SyncRun.objects.create(shop_id=shop_id, mode=mode)
    run_sync.delay(sync_run.pk)
    return sync_run


def _dead(sync_run: SyncRun) -> bool:
    now = timezone.now()
    if sync_run.not_before and sync_run.not_before > now:
        return False  # waiting, on purpose, for a known time
    last_sign = sync_run.heartbeat_at or sync_run.created_at
    return last_sign < now - DEAD_AFTER


@shared_task(bind=True, base=ReliableTask)
def run_sync(self, run_id: int, failures: int = 0) -> str:
    """Carry out a recorded sync run (see portal.mirror.sync.run). It never waits in the
    worker: when the budget or the lease has no room it is queued again for later (that is
    not a failure); a failure is retried with backoff a bounded number of times, then the run
    is failed with its message. Nothing leaves the run active without a next attempt."""
    try:
        sync_run = sync.run(run_id)
        return sync_run.status if sync_run else "missing"
    except lease.LeaseBusy as busy:
        sync_run = SyncRun.objects.get(pk=run_id)
        if sync_run.mode != SyncRun.Mode.FULL or _covered(sync_run):
            # The sync holding the lease does this work (or the next beat will): drop it.
            SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.PENDING).update(
                status=SyncRun.Status.SKIPPED, finished_at=timezone.now(), error=str(busy)
            )
            return SyncRun.Status.SKIPPED
        countdown = min(busy.seconds, 60.0) + random.uniform(1, 5)
        _wait(run_id, countdown, SyncRun.WaitReason.LEASE)
        self.retry_wait(countdown)
    except lease.LeaseLost:
        log.warning("Sync run %s lost its lease; the sweeper resumes it if needed", run_id)
        return "lease_lost"
    except BudgetExhausted as exc:
        # The shared budget has no room now: come back when it has, from the saved progress.
        countdown = budget_countdown(exc)
        _wait(run_id, countdown, SyncRun.WaitReason.BUDGET)
        self.retry_wait(countdown)
    except Exception as exc:
        expected = isinstance(exc, AutoSyncError)  # sync.run ends the permanent ones
        if not expected:
            log.exception("Sync run %s failed", run_id)
        if failures >= (self.max_failures if expected else MAX_UNEXPECTED_RETRIES):
            _fail(run_id, _message(exc))
            return SyncRun.Status.FAILED
        countdown = self.failure_countdown(exc, failures)
        _wait(run_id, countdown, SyncRun.WaitReason.RETRY, _message(exc))
        self.retry_failure(exc, failures, countdown)


def _message(exc: Exception) -> str:
    return str(exc) if isinstance(exc, AutoSyncError) else f"{type(exc).__name__}: {exc}"


def _covered(sync_run: SyncRun) -> bool:
    """Another full run of the shop is active (so this one adds nothing)."""
    return (
        SyncRun.objects.filter(
            shop_id=sync_run.shop_id,
            mode=SyncRun.Mode.FULL,
            status__in=(SyncRun.Status.PENDING, SyncRun.Status.RUNNING),
        )
        .exclude(pk=sync_run.pk)
        .exists()
    )


def _wait(run_id: int, seconds: float, reason: str, error: str = "") -> None:
    """The run waits until a known time, and says why (the sync page shows it)."""
    SyncRun.objects.filter(
        pk=run_id, status__in=(SyncRun.Status.PENDING, SyncRun.Status.RUNNING)
    ).update(
        status=SyncRun.Status.PENDING,
        not_before=timezone.now() + timedelta(seconds=seconds),
        wait_reason=reason,
        error=error[:2000],
    )


def _fail(run_id: int, error: str) -> None:
    SyncRun.objects.filter(
        pk=run_id, status__in=(SyncRun.Status.PENDING, SyncRun.Status.RUNNING)
    ).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error=error[:2000],
        not_before=None,
        wait_reason="",
    )
    log.warning("Sync run %s failed: %s", run_id, error)


@shared_task(base=ReliableTask)
def schedule_syncs(mode: str) -> int:
    """Beat: request a sync of every syncable shop (shops that need reconnecting pause)."""
    shop_ids = list(Shop.objects.syncable().values_list("pk", flat=True))
    for shop_id in shop_ids:
        request_sync(shop_id, mode)
    return len(shop_ids)


@shared_task(base=ReliableTask)
def resume_stalled_runs() -> int:
    """Beat: queue again the runs whose worker vanished (no heartbeat within the lease) or
    whose message was lost (pending, never started) — the database is the record of work.
    A run older than MAX_RUN_AGE is failed instead: every run has an end."""
    now = timezone.now()
    active = SyncRun.objects.filter(status__in=(SyncRun.Status.PENDING, SyncRun.Status.RUNNING))
    for run_id in active.filter(created_at__lt=now - MAX_RUN_AGE).values_list("pk", flat=True):
        _fail(run_id, "it did not finish within a day")
    stalled = (
        active.filter(created_at__lt=now - timedelta(seconds=lease.LEASE_SECONDS))
        .filter(
            Q(heartbeat_at__isnull=True)
            | Q(heartbeat_at__lt=now - timedelta(seconds=lease.LEASE_SECONDS))
        )
        .filter(Q(not_before__isnull=True) | Q(not_before__lt=now))
    )
    ids = list(stalled.values_list("pk", flat=True))
    for run_id in ids:
        run_sync.delay(run_id)
    if ids:
        log.info("Re-queued stalled sync runs %s", ids)
    return len(ids)


@shared_task(bind=True, base=ReliableTask)
def process_event(self, event_id: int, failures: int = 0) -> str:
    """Apply one recorded webhook event to the mirror (a no-op once processed). It sends no
    request; any failure is recorded on the event and retried a bounded number of times."""
    try:
        return events.process(event_id)
    except Exception as exc:
        log.exception("Webhook event %s failed", event_id)
        final = failures >= MAX_UNEXPECTED_RETRIES
        events.failed(event_id, exc, final=final)
        if final:
            return "failed"
        self.retry_failure(exc, failures)


@shared_task(bind=True, base=ReliableTask)
def refresh_work_order(
    self, shop_id: int, remote_id: int, seen_at: str, event_id: int | None = None, failures: int = 0
) -> str:
    """A webhook's follow-up: the work order's detail, fetched without waiting for the budget
    (queued again when it has no room, which is not a failure). Failures are retried with
    backoff a bounded number of times and recorded on the event."""
    try:
        outcome = events.refresh_detail(shop_id, remote_id, datetime.fromisoformat(seen_at))
    except BudgetExhausted as exc:
        self.retry_wait(budget_countdown(exc))
    except Exception as exc:
        retryable = isinstance(exc, AutoSyncError) and not exc.permanent
        if not isinstance(exc, AutoSyncError):
            log.exception("Detail of work order %s (shop %s) failed", remote_id, shop_id)
        limit = self.max_failures if retryable else MAX_UNEXPECTED_RETRIES
        if (isinstance(exc, AutoSyncError) and exc.permanent) or failures >= limit:
            log.warning("Gave up work order %s's detail (shop %s): %s", remote_id, shop_id, exc)
            if event_id is not None:
                WebhookEvent.objects.filter(pk=event_id).update(
                    last_error=f"work order detail: {_message(exc)}"[:2000]
                )
            return "failed"
        self.retry_failure(exc, failures)
    if event_id is not None:
        WebhookEvent.objects.filter(pk=event_id).update(outcome=outcome[:64], last_error="")
    return outcome


@shared_task(base=ReliableTask)
def sweep_events() -> int:
    """Beat: queue again the events that were recorded but not processed in time."""
    ids = list(
        WebhookEvent.objects.filter(
            processed_at__isnull=True,
            received_at__lt=timezone.now() - EVENT_GRACE,
            attempts__lt=MAX_EVENT_ATTEMPTS,
        ).values_list("pk", flat=True)[:1000]
    )
    for event_id in ids:
        process_event.delay(event_id)
    if ids:
        log.info("Re-queued %s unprocessed webhook events", len(ids))
    return len(ids)


@shared_task(base=ReliableTask)
def prune_events() -> int:
    """Beat: delete webhook events older than MIRROR_WEBHOOK_RETENTION_DAYS. Their bodies are
    personal data, kept only as long as processing and duplicate detection need them."""
    cutoff = timezone.now() - timedelta(days=settings.MIRROR_WEBHOOK_RETENTION_DAYS)
    deleted, _ = WebhookEvent.objects.filter(received_at__lt=cutoff).delete()
    if deleted:
        log.info("Pruned %s webhook events older than %s", deleted, cutoff)
    return deleted
