"""Celery tasks of the garage: the sign-in email and the notifications, each a thin task around
its service function (`signin.send`, `notify.send`) under the portal's task policy."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from portal.celery import ReliableTask

from . import notify, signin

log = logging.getLogger(__name__)

#: A customer the event names may reach the mirror after the event (`customer.created` comes
#: in no guaranteed order): looked for again this many times (about three minutes in all).
CUSTOMER_WAITS = 5
#: A notification still undecided this long after it was recorded lost its task's message.
#: Longer than all the retries of one task (about 15 minutes).
STALE_AFTER = timedelta(minutes=30)


@shared_task(bind=True, base=ReliableTask, max_failures=5)
def send_sign_in(self, request_id: int, failures: int = 0) -> str:
    """Email a sign-in request's link and code. Retried while the mail server fails; the
    link's 15 minutes end the retries anyway (an expired request sends nothing)."""
    try:
        return signin.send(request_id)
    except Exception as exc:
        if failures >= self.max_failures:
            log.exception("The sign-in email of request %s could not be sent", request_id)
            return "failed"
        self.retry_failure(exc, failures)


@shared_task(bind=True, base=ReliableTask)
def send_notification(self, notification_id: int, failures: int = 0) -> str:
    """Send a notification's email, at most once (see `notify.send`)."""
    try:
        return notify.send(notification_id)
    except notify.CustomerNotMirrored:
        if failures >= CUSTOMER_WAITS:
            return notify.finish(notification_id, "customer not mirrored")
        # Not an error: asked again later, as a new message, without raising into whoever
        # queued it (where tasks run in the caller, that is the mirror's event processing).
        send_notification.apply_async(
            (notification_id,), {"failures": failures + 1}, countdown=self.backoff(failures)
        )
        return "waiting for the customer"
    except Exception as exc:
        if failures >= self.max_failures:
            log.exception("Notification %s could not be sent", notification_id)
            return notify.finish(notification_id, "failed")
        self.retry_failure(exc, failures)


@shared_task(bind=True, base=ReliableTask)
def sweep_notifications(self) -> int:
    """Queue again the notifications whose task was lost; the number queued (sending claims
    each first, so one queued twice still sends once)."""
    stale = notify.unsent(STALE_AFTER)
    for notification_id in stale:
        send_notification.delay(notification_id)
    return len(stale)
