"""Pruning what only grows: old webhook events with their deliveries and attempts, finished
rate-limit windows, and the sealed pairs of the refresh grace period once it is over.

Run by `python -m sandbox prune` and, every SANDBOX_PRUNE_INTERVAL seconds, by the webhook
sender. Deletes go in batches, so that a large backlog never holds a long write lock (SQLite
serializes writers; the API and the sender keep writing meanwhile)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from sandbox.api.models import RateCounter
from sandbox.oauth.models import Token

from .models import Attempt, Delivery, Event

BATCH = 1000
# Rate windows of any length up to a day are over once they started a day ago (servers on one
# database may use different window lengths).
COUNTER_AGE = timedelta(days=1)


@dataclass(frozen=True)
class Pruned:
    events: int
    attempts: int
    rate_counters: int
    sealed_pairs: int


def _delete_in_batches(queryset: QuerySet) -> int:
    """Delete what `queryset` selects, BATCH rows at a time; how many top-level rows went."""
    total = 0
    while ids := list(queryset.values_list("pk", flat=True)[:BATCH]):
        total += len(ids)
        queryset.model.objects.filter(pk__in=ids).delete()
    return total


def prune(now: datetime | None = None) -> Pruned:
    """Delete events older than SANDBOX_WEBHOOK_RETENTION_DAYS that no delivery still waits on
    (their deliveries and attempts go with them), attempts older than that of deliveries that
    stay (re-sent ones), rate counters of windows long over, and the grace period's sealed
    pairs once it has passed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SANDBOX_WEBHOOK_RETENTION_DAYS)
    waiting = Delivery.objects.filter(state=Delivery.State.PENDING).values("event_id")
    events = _delete_in_batches(Event.objects.filter(created_at__lt=cutoff).exclude(id__in=waiting))
    attempts = _delete_in_batches(Attempt.objects.filter(started_at__lt=cutoff))
    window_age = max(COUNTER_AGE, timedelta(seconds=2 * settings.SANDBOX_RATE_WINDOW))
    counters = _delete_in_batches(
        RateCounter.objects.filter(window_start__lt=int((now - window_age).timestamp()))
    )
    grace_over = now - timedelta(seconds=max(settings.SANDBOX_REFRESH_GRACE, 0))
    sealed = Token.objects.filter(refresh_used_at__lt=grace_over).exclude(successor_sealed=b"")
    return Pruned(
        events=events,
        attempts=attempts,
        rate_counters=counters,
        sealed_pairs=sealed.update(successor_sealed=b""),
    )
