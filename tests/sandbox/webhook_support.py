"""Webhook test support: a receiver (a real HTTP server on a free local port, in a thread, that
records what it was sent and answers with the status codes it is told to), and shortcuts to the
sandbox's management commands."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.support.local_http import LocalServer

CONTRACT_EVENTS = {
    "workorder.created",
    "workorder.updated",
    "workorder.completed",
    "payment.received",
    "customer.created",
    "appointment.created",
    "inspection.completed",
    "inventory.low_stock",
}


def django(sandbox_db, code: str):
    """Run Python in the sandbox's Django against the test database; the JSON it printed last."""
    output = sandbox_db.command("shell", "-v", "0", "-c", code)
    return json.loads(output.strip().splitlines()[-1])


def add_endpoint(sandbox_db, account_id: int, url: str) -> dict:
    return json.loads(
        sandbox_db.command(
            "add_webhook_endpoint", "--account", str(account_id), "--url", url, "--json"
        )
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str:
        return self.headers["X-AutoSync-Delivery"]

    def signed_by(self, secret: str) -> bool:
        expected = hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("X-AutoSync-Signature", ""))


class Receiver(LocalServer):
    """`statuses` are answered in turn (the last one repeats); `delay` slows every answer."""

    def __init__(self, statuses: tuple[int, ...] = (200,), delay: float = 0.0):
        self.statuses = list(statuses)
        self.delay = delay
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, dict(self.headers), body, time.monotonic())
                    )
                    status = (
                        receiver.statuses.pop(0)
                        if len(receiver.statuses) > 1
                        else receiver.statuses[0]
                    )
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/autosync"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least `count` requests arrived; all of them."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        with self.lock:
            return list(self.received)
