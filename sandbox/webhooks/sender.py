"""The webhook sender: claims due deliveries, POSTs them signed, and records every attempt.

Any number of senders may run on one database. A sender claims a delivery with one
conditional UPDATE (a lease: `locked_until` in the future, its own `lease_token`), so two
senders never attempt the same delivery at once; it claims only as many as it has free
threads, so a claimed delivery is attempted well within its lease.
"""

import hashlib
import hmac
import logging
import random
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from sandbox.oauth.models import Grant

from .models import Attempt, Delivery

log = logging.getLogger(__name__)

USER_AGENT = "AutoSync-Webhooks/1.0 (sandbox)"


class Undeliverable(Exception):
    """The destination no longer takes this delivery; it fails without a request."""


def sign(secret: str, body: bytes) -> str:
    """X-AutoSync-Signature: lowercase hex HMAC-SHA256 of the raw body under the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int, schedule: list[float], rng: random.Random) -> float | None:
    """Seconds to wait after the `attempts`-th failed attempt, or None once the schedule is
    spent. ±10% jitter keeps deliveries that failed together from retrying in lockstep."""
    if attempts > len(schedule):
        return None
    return schedule[attempts - 1] * rng.uniform(0.9, 1.1)


def lease() -> timedelta:
    """How long a claim lasts: an attempt takes at most the connect and the read timeouts,
    plus writing the result; anything longer means the sender died and another may retry."""
    return timedelta(seconds=settings.SANDBOX_WEBHOOK_TIMEOUT * 3 + 30)


def claim(limit: int, *, due_by: datetime) -> tuple[str, list[Delivery]]:
    """Claim up to `limit` pending deliveries due by `due_by`; the lease token and them.

    The UPDATE repeats the conditions of the SELECT: a row another sender claimed in between
    no longer matches (PostgreSQL re-checks the WHERE clause against the committed row; SQLite
    runs one writer at a time), so it is not claimed twice."""
    now = timezone.now()
    due = Delivery.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        state=Delivery.State.PENDING,
        next_attempt_at__lte=due_by,
    )
    ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    if not ids:
        return "", []
    token = uuid.uuid4().hex
    due.filter(id__in=ids).update(locked_until=now + lease(), lease_token=token)
    claimed = Delivery.objects.filter(id__in=ids, lease_token=token).select_related(
        "event", "client", "endpoint"
    )
    return token, list(claimed)


def destination(delivery: Delivery) -> tuple[str, str]:
    """The URL and secret to use now. Raises Undeliverable when the endpoint was disabled, the
    client application dropped its webhook URL, or the shop no longer grants the client."""
    if delivery.endpoint_id:
        endpoint = delivery.endpoint
        if not endpoint.is_active:
            raise Undeliverable("The endpoint is disabled.")
        return endpoint.url, endpoint.secret
    client = delivery.client
    if not client.webhook_url:
        raise Undeliverable("The client application has no webhook URL.")
    granted = Grant.objects.filter(
        client=client, shops=delivery.event.shop_id, revoked_at__isnull=True
    ).exists()
    if not granted:
        raise Undeliverable("The shop no longer grants this client application.")
    return client.webhook_url, client.webhook_secret


def post(delivery: Delivery, url: str, secret: str) -> tuple[int | None, str]:
    """POST the event's body; the status code (None without an answer) and an error text."""
    body = delivery.event.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-AutoSync-Signature": sign(secret, body),
        "X-AutoSync-Event": delivery.event.name,
        "X-AutoSync-Delivery": delivery.delivery_id,
    }
    try:
        # A redirect is an answer that is not 2xx: following it could send the signed body
        # somewhere the owner never registered.
        with requests.post(
            url,
            data=body,
            headers=headers,
            timeout=settings.SANDBOX_WEBHOOK_TIMEOUT,
            allow_redirects=False,
            stream=True,  # the receiver's body is not needed
        ) as response:
            status = response.status_code
    except requests.Timeout:
        return None, f"No answer within {settings.SANDBOX_WEBHOOK_TIMEOUT} s."
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


def attempt(delivery: Delivery, token: str, rng: random.Random) -> None:
    """Make one attempt of a claimed delivery and record it."""
    started_at = timezone.now()
    clock = time.monotonic()
    url, status, error, permanent = "", None, "", False
    try:
        url, secret = destination(delivery)
        status, error = post(delivery, url, secret)
    except Undeliverable as exc:
        error, permanent = str(exc), True
    duration_ms = round((time.monotonic() - clock) * 1000)
    delivered = status is not None and 200 <= status < 300

    attempts = delivery.attempts + 1
    changes = {"attempts": attempts, "locked_until": None, "lease_token": ""}
    schedule = settings.SANDBOX_WEBHOOK_RETRY_SCHEDULE
    delay = None if permanent else retry_delay(attempts, schedule, rng)
    if delivered:
        changes["state"] = Delivery.State.DELIVERED
    elif delay is None:
        changes["state"] = Delivery.State.FAILED
    else:
        changes["next_attempt_at"] = timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            url=url,
            started_at=started_at,
            duration_ms=duration_ms,
            status_code=status,
            error=error,
        )
        kept = Delivery.objects.filter(pk=delivery.pk, lease_token=token).update(**changes)
    if not kept:
        log.warning("Delivery %s outlived its lease; another sender may retry it.", delivery)
    log.info(
        "%s %s to %s: %s in %d ms",
        delivery.delivery_id,
        delivery.event.name,
        url or "-",
        status or error,
        duration_ms,
    )


class Sender:
    """Delivers due webhooks with a small thread pool, so one slow receiver stalls no other."""

    def __init__(self, workers: int = 8):
        self.workers = workers
        self.rng = random.Random()
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="webhook")
        self.in_flight: set[Future] = set()

    def run(self, *, poll: float, stop: threading.Event, once: bool = False) -> None:
        """Deliver until `stop` is set; with `once`, deliver what is due now and return
        (retries scheduled meanwhile are left for a later run)."""
        due_by = timezone.now() if once else None
        try:
            while not stop.is_set():
                self.in_flight = {f for f in self.in_flight if not f.done()}
                free = self.workers - len(self.in_flight)
                if free:
                    self._claim(free, due_by or timezone.now())
                if once and not self.in_flight:
                    return
                if once or len(self.in_flight) == self.workers:
                    # Every thread is busy and more may be due: wait for one to free up.
                    wait(self.in_flight, timeout=poll, return_when=FIRST_COMPLETED)
                else:
                    stop.wait(poll)
        finally:
            wait(self.in_flight)
            self.pool.shutdown()
            close_old_connections()

    def _claim(self, limit: int, due_by: datetime) -> list[Delivery]:
        close_old_connections()
        try:
            token, claimed = claim(limit, due_by=due_by)
        except DatabaseError:
            # The database is busy or restarting: try again at the next poll.
            log.exception("Could not claim deliveries.")
            return []
        for delivery in claimed:
            self.in_flight.add(self.pool.submit(self._attempt, delivery, token))
        return claimed

    def _attempt(self, delivery: Delivery, token: str) -> None:
        close_old_connections()
        try:
            attempt(delivery, token, self.rng)
        except Exception:
            # Left claimed: its lease expires and it is attempted again.
            log.exception("Attempt of delivery %s failed.", delivery)
        finally:
            close_old_connections()
