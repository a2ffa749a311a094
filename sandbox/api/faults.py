"""Fault injection on /v1/ (SANDBOX_FAULTS): server errors before or after the write, latency,
dropped connections and spurious 429s, so that clients can prove they survive them.

`SANDBOX_FAULTS="error=0.1,latency=0.05:2.5,reset=0.02,ratelimit=0.05,error_after_commit=0.05"`
gives each request those probabilities; `SANDBOX_FAULTS_SEED` makes the sequence repeatable
within one server process. Off by default; never applied to OAuth or the OpenAPI document.
"""

import logging
import os
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from .envelope import ApiError, error_response

logger = logging.getLogger(__name__)

# Faults that decide the answer; at most one per request, so their probabilities add up.
OUTCOMES = ("reset", "ratelimit", "error", "error_after_commit")
UNFAULTED_PATHS = frozenset({"/v1/openapi.json"})


@dataclass(frozen=True)
class Faults:
    error: float = 0.0
    error_after_commit: float = 0.0
    reset: float = 0.0
    ratelimit: float = 0.0
    retry_after: int = 1
    latency: float = 0.0
    latency_seconds: float = 0.0

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in (*OUTCOMES, "latency"))

    def draw(self, rng: random.Random) -> tuple[str | None, bool]:
        """The outcome fault for one request (or None) and whether to delay it."""
        slow = rng.random() < self.latency
        roll = rng.random()
        for name in OUTCOMES:
            if roll < getattr(self, name):
                return name, slow
            roll -= getattr(self, name)
        return None, slow


def _number(text: str, what: str, high: float | None = None) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and (high is None or value <= high)):
        limit = f"between 0 and {high:g}" if high is not None else "0 or more"
        raise ImproperlyConfigured(f"SANDBOX_FAULTS: {what} must be a number {limit}, not {text!r}")
    return value


def parse(spec: str) -> Faults:
    """Read `name=P[:ARG],...`: `latency=P:SECONDS`, `ratelimit=P[:RETRY_AFTER]`, and `error`,
    `error_after_commit`, `reset` with a probability only. Anything else fails loudly."""
    found: dict = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition("=")
        name, value = name.strip(), value.strip()
        probability, _, arg = value.partition(":")
        if name not in (*OUTCOMES, "latency"):
            known = ", ".join((*OUTCOMES, "latency"))
            raise ImproperlyConfigured(f"SANDBOX_FAULTS: unknown fault {name!r} (known: {known})")
        if name in found:
            raise ImproperlyConfigured(f"SANDBOX_FAULTS: {name} is given twice")
        found[name] = _number(probability, f"the probability of {name}", 1)
        if name == "latency":
            if not arg:
                raise ImproperlyConfigured("SANDBOX_FAULTS: latency needs seconds: latency=P:S")
            found["latency_seconds"] = _number(arg, "the seconds of latency")
        elif name == "ratelimit" and arg:
            found["retry_after"] = max(1, round(_number(arg, "the Retry-After of ratelimit")))
        elif arg:
            raise ImproperlyConfigured(f"SANDBOX_FAULTS: {name} takes a probability only")
    if sum(found.get(name, 0) for name in OUTCOMES) > 1:
        raise ImproperlyConfigured(
            f"SANDBOX_FAULTS: the probabilities of {', '.join(OUTCOMES)} add up to more than 1"
        )
    return Faults(**found)


def applies(path: str) -> bool:
    """The API's resources only: never OAuth (its own error format), the OpenAPI document, the
    login and consent pages, or the back office."""
    return (
        path.startswith("/v1/")
        and not path.startswith("/v1/oauth/")
        and path not in UNFAULTED_PATHS
    )


def injected(kind: str, status: int = 500, **headers: str) -> HttpResponse:
    """The answer the real service gives in that case, marked for whoever reads the logs."""
    message = (
        "Rate limit exceeded; retry later."
        if status == 429
        else "Something went wrong on our side."
    )
    response = error_response(ApiError(status, message, headers=headers))
    response["X-Sandbox-Fault"] = kind
    return response


def drop_connection(request: HttpRequest) -> HttpResponse:
    """Reset the client's TCP connection without an answer (gunicorn only)."""
    sock = request.META.get("gunicorn.socket")
    if sock is None:
        # runserver does not expose its socket: fail like `error` (nothing was written).
        return injected("reset-unsupported")
    try:
        # With SO_LINGER 0, closing the connection's last descriptor sends a RST. Swapping the
        # descriptor for an unconnected socket closes it while gunicorn keeps a valid one to
        # finish with (writing to a closed descriptor would log an error and skew its count).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with socket.socket() as placeholder:
            os.dup2(placeholder.fileno(), sock.fileno(), inheritable=False)
    except OSError:
        logger.warning("Could not reset the connection; answering 500 instead.")
        return injected("reset-unsupported")
    return HttpResponse(status=500)  # written to the placeholder: nobody receives it


class FaultMiddleware:
    """Runs after authentication and rate counting (ApiMiddleware adds the rate-limit headers
    to what it returns) and before routing, so any /v1/ path can fail."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.faults = parse(settings.SANDBOX_FAULTS)
        # One generator per process, drawn under a lock: with a seed, one process (one gunicorn
        # worker, or runserver) answers the same sequence of requests with the same faults.
        self.rng = random.Random(settings.SANDBOX_FAULTS_SEED or None)
        self.lock = threading.Lock()
        if self.faults.active:
            logger.warning("Fault injection is on: %s", settings.SANDBOX_FAULTS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.faults.active or not applies(request.path_info):
            return self.get_response(request)
        with self.lock:
            fault, slow = self.faults.draw(self.rng)
        if slow:
            time.sleep(self.faults.latency_seconds)
        if fault == "reset":
            return drop_connection(request)
        if fault == "ratelimit":
            return injected(fault, 429, **{"Retry-After": str(self.faults.retry_after)})
        if fault == "error":
            return injected(fault)  # before the view: nothing was written
        response = self.get_response(request)
        if fault == "error_after_commit":
            return injected(fault)  # the view ran and committed: the write happened
        return response
