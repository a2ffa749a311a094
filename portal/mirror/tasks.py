"""Celery tasks of the mirror: thin, taking ids, with an explicit retry policy.

Work is recorded in the database before it is queued (a SyncRun, a WebhookEvent), so a lost
broker message is found again by a sweeper; tasks are idempotent, so running one twice (a
redelivery, a sweeper and the original both) is harmless. acks_late + reject_on_worker_lost:
a task whose worker dies is delivered again rather than dropped.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from portal.autosync.errors import AutoSyncError
from portal.celery import TransactionAwareTask
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
MAX_RETRIES = 8
#: A queued event not processed after this long is queued again by the sweeper.
EVENT_GRACE = timedelta(seconds=30)
MAX_EVENT_ATTEMPTS = 20

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "base": TransactionAwareTask}


def backoff(retries: int) -> float:
    """5 s, 10 s, 20 s … capped at 5 minutes, with jitter so workers do not retry in step."""
    return min(300.0, 5.0 * 2**retries) * random.uniform(0.75, 1.25)


def request_sync(shop_id: int, mode: str = SyncRun.Mode.FULL) -> SyncRun:
    """Record a sync of the shop and queue it once the transaction commits. An active run that
    covers `mode` is returned instead; a shop never fully synced gets a full sync."""
    active = SyncRun.objects.filter(
        shop_id=shop_id,
        status__in=(SyncRun.Status.PENDING, SyncRun.Status.RUNNING),
        mode__in=COVERED_BY[mode],
    ).first()
    if active is not None:
        return active
    if (
        mode != SyncRun.Mode.FULL
        and not SyncState.objects.filter(shop_id=shop_id, full_synced_at__isnull=False).exists()
    ):
        return request_sync(shop_id, SyncRun.Mode.FULL)
    sync_run = SyncRun.objects.create(shop_id=shop_id, mode=mode)
    run_sync.delay(sync_run.pk)
    return sync_run


@shared_task(bind=True, max_retries=MAX_RETRIES, **RELIABLE)
def run_sync(self, run_id: int) -> str:
    """Carry out a recorded sync run (see portal.mirror.sync.run)."""
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
        _not_before(run_id, countdown)
        # Waiting for the lease is not a failure: it does not use up the retries.
        raise self.retry(countdown=countdown, max_retries=None) from None
    except lease.LeaseLost:
        log.warning("Sync run %s lost its lease; the sweeper resumes it if needed", run_id)
        return "lease_lost"
    except AutoSyncError as exc:
        if self.request.retries >= MAX_RETRIES:
            SyncRun.objects.filter(pk=run_id).update(
                status=SyncRun.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
            )
            raise
        countdown = max(backoff(self.request.retries), exc.retry_after or 0)
        _not_before(run_id, countdown)
        raise self.retry(exc=exc, countdown=countdown) from None


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


def _not_before(run_id: int, seconds: float) -> None:
    SyncRun.objects.filter(pk=run_id).update(not_before=timezone.now() + timedelta(seconds=seconds))


@shared_task(**RELIABLE)
def schedule_syncs(mode: str) -> int:
    """Beat: request a sync of every syncable shop (shops that need reconnecting pause)."""
    shop_ids = list(Shop.objects.syncable().values_list("pk", flat=True))
    for shop_id in shop_ids:
        request_sync(shop_id, mode)
    return len(shop_ids)


@shared_task(**RELIABLE)
def resume_stalled_runs() -> int:
    """Beat: queue again the runs whose worker vanished (no heartbeat within the lease) or
    whose message was lost (pending, never started) — the database is the record of work."""
    now = timezone.now()
    stalled = (
        SyncRun.objects.filter(
            status__in=(SyncRun.Status.PENDING, SyncRun.Status.RUNNING),
            created_at__lt=now - timedelta(seconds=lease.LEASE_SECONDS),
        )
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


@shared_task(bind=True, max_retries=MAX_RETRIES, **RELIABLE)
def process_event(self, event_id: int) -> str:
    """Apply one recorded webhook event to the mirror (a no-op once processed)."""
    try:
        return events.process(event_id)
    except AutoSyncError as exc:
        events.failed(event_id, exc)
        if exc.permanent or self.request.retries >= MAX_RETRIES:
            raise
        raise self.retry(
            exc=exc, countdown=max(backoff(self.request.retries), exc.retry_after or 0)
        ) from None


@shared_task(**RELIABLE)
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
