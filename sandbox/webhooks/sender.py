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
from dataclasses import astuple
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from sandbox.oauth.models import Grant

from . import destinations
from .models import Attempt, Delivery
from .retention import prune

log = logging.getLogger(__name__)

USER_AGENT = "AutoSync-Webhooks/1.0 (sandbox)"
# Stored error texts are one line of at most this many characters: they are shown in the back
# office and must not carry a receiver's page or a traceback.
ERROR_LIMIT = 300


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


def connection_pool(target: destinations.Target) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to the pinned address that speaks to the URL's host: the Host
    header, TLS SNI and the certificate check all use the name, never the address."""
    timeout = urllib3.Timeout(
        connect=settings.SANDBOX_WEBHOOK_TIMEOUT, read=settings.SANDBOX_WEBHOOK_TIMEOUT
    )
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            maxsize=1,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.SANDBOX_WEBHOOK_CA_BUNDLE,
        )
    return urllib3.HTTPConnectionPool(
        target.address, target.port, timeout=timeout, maxsize=1, retries=False
    )


def trim(text: str, limit: int = ERROR_LIMIT) -> str:
    """Error text as stored: one line, without control characters, at most `limit` long."""
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe(exc: Exception) -> str:
    """A short, plain account of a failed request (urllib3's own messages repeat the pool)."""
    timeout = settings.SANDBOX_WEBHOOK_TIMEOUT
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # before TimeoutError: a subclass
        reason = exc.__cause__ or exc.__context__
        return f"Could not connect: {reason.strerror if isinstance(reason, OSError) else exc}"
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return f"No answer within {timeout} s."
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS failed: {exc}"
    return f"{type(exc).__name__}: {exc}"


def post(delivery: Delivery, url: str, secret: str) -> tuple[int | None, str]:
    """POST the event's body to the address `url` resolves to now (checked, then pinned);
    the status code (None without an answer) and an error text. Raises Undeliverable when
    the URL now resolves to an address webhooks may not reach."""
    try:
        target = destinations.target(url)
    except destinations.ForbiddenDestination as exc:
        raise Undeliverable(str(exc)) from None
    except (OSError, UnicodeError) as exc:
        return None, f"Could not resolve the host: {exc}"
    body = delivery.event.body.encode()
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-AutoSync-Signature": sign(secret, body),
        "X-AutoSync-Event": delivery.event.name,
        "X-AutoSync-Delivery": delivery.delivery_id,
    }
    if target.username is not None:
        headers.update(
            urllib3.make_headers(basic_auth=f"{target.username}:{target.password or ''}")
        )
    pool = connection_pool(target)
    try:
        # A redirect is an answer that is not 2xx: following it could send the signed body
        # somewhere the owner never registered. The receiver's body is not read.
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        status = response.status
        response.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return None, describe(exc)
    finally:
        pool.close()
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
    error = trim(error)
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
        next_prune = time.monotonic()
        try:
            while not stop.is_set():
                if not once and time.monotonic() >= next_prune:
                    self._prune()
                    next_prune = time.monotonic() + settings.SANDBOX_PRUNE_INTERVAL
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

    def _prune(self) -> None:
        """The schedule of `retention.prune`: every sender runs it, which is harmless (deletes
        of the same old rows) and needs no other process."""
        close_old_connections()
        try:
            pruned = prune()
        except DatabaseError:
            log.exception("Could not prune old webhook events.")
            return
        if any(astuple(pruned)):
            log.info("Pruned %s.", pruned)

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
