"""The portal's Celery app: settings from Django (CELERY_*), tasks from each app's tasks.py."""

from __future__ import annotations

import os
import random
from typing import NoReturn

from celery import Celery, Task
from celery.signals import beat_init, worker_init
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def refuse_to_start_unsafe(**kwargs) -> None:
    """With DEBUG off, a worker or beat on unsafe settings stops at once (portal.checks).
    Celery logs and ignores a receiver's exception: the exit must be explicit."""
    import logging

    import django
    from django.core.management.base import SystemCheckError

    django.setup()
    from portal.checks import refuse_to_start_unsafe

    try:
        refuse_to_start_unsafe()
    except SystemCheckError as error:
        logging.getLogger(__name__).critical("Refusing to start: %s", error)
        raise SystemExit(1) from error


class TransactionAwareTask(Task):
    """Queued only once the caller's transaction commits (at once outside a transaction), so a
    worker never looks for a row that is not committed yet, or was rolled back."""

    abstract = True

    def apply_async(self, args=None, kwargs=None, **options):
        connection = transaction.get_connection()
        if connection.in_atomic_block:
            transaction.on_commit(
                lambda: super(TransactionAwareTask, self).apply_async(args, kwargs, **options)
            )
            return None
        return super().apply_async(args, kwargs, **options)


class ReliableTask(TransactionAwareTask):
    """The task policy of every app (`@shared_task(bind=True, base=ReliableTask)`).

    Queued once the caller's transaction commits. Acknowledged only when done, and delivered
    again when its worker dies (acks_late, reject_on_worker_lost): tasks take ids of work
    recorded in the database and are idempotent, so running one twice is harmless.

    Waiting is not failing: a task that must wait (for the rate budget, a lease) retries with
    `retry_wait`, which is not counted. A failure retries with `retry_failure`, after a
    jittered exponential backoff, counting in the task's `failures` argument; the task gives
    up (and records why) once `failures` reaches `max_failures`, so every task has an end."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    max_retries = None  # the bound is on failures (`max_failures`), not on waits
    max_failures = 8

    @staticmethod
    def backoff(failures: int) -> float:
        """5 s, 10 s, 20 s … capped at 5 minutes, with jitter so workers do not retry in step."""
        return min(300.0, 5.0 * 2**failures) * random.uniform(0.75, 1.25)

    def failure_countdown(self, exc: Exception, failures: int) -> float:
        """The backoff after `failures` failures so far, or the wait `exc` asks for (its
        `retry_after`) when that is longer."""
        return max(self.backoff(failures), getattr(exc, "retry_after", None) or 0.0)

    def retry_failure(
        self, exc: Exception, failures: int, countdown: float | None = None
    ) -> NoReturn:
        """Run again after `countdown` (by default `failure_countdown`), counting one more
        failure in the task's `failures` argument."""
        if countdown is None:
            countdown = self.failure_countdown(exc, failures)
        raise self.retry(
            countdown=countdown, kwargs={**self.request.kwargs, "failures": failures + 1}
        ) from None

    def retry_wait(self, seconds: float) -> NoReturn:
        """Run again in `seconds`, with the same arguments: a wait, not a failure."""
        raise self.retry(countdown=seconds, kwargs=self.request.kwargs) from None
