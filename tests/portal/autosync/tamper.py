"""A small HTTP proxy in front of a live sandbox that rewrites its JSON answers: the flaky or
hostile upstream the portal must survive (malformed records, long pages, huge or deep bodies).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

import requests

from tests.support.local_http import LocalServer

#: `tamper(method, path, body)`: the body to answer instead (a dict, or raw bytes), or None to
#: pass the sandbox's answer through. `path` has no query string.
Tamper = Callable[[str, str, Any], Any]


class TamperingProxy(LocalServer):
    def __init__(self, upstream: str, tamper: Tamper | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.tamper: Tamper | None = tamper
        self.session = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._forward(self, "GET")

            def do_POST(self) -> None:
                proxy._forward(self, "POST")

            def do_PUT(self) -> None:
                proxy._forward(self, "PUT")

            def log_message(self, *args) -> None:
                pass

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    def _forward(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        answer = self.session.request(
            method,
            self.upstream + handler.path,
            data=handler.rfile.read(length) if length else None,
            headers={
                k: v
                for k, v in handler.headers.items()
                if k.lower() in ("authorization", "content-type", "accept")
            },
            timeout=30,
        )
        raw = answer.content
        replaced = None
        if self.tamper is not None and answer.headers.get("Content-Type", "").startswith(
            "application/json"
        ):
            replaced = self.tamper(method, handler.path.split("?")[0], answer.json())
        if replaced is not None:
            raw = replaced if isinstance(replaced, bytes) else json.dumps(replaced).encode()
        handler.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name in ("Content-Type", "Retry-After") or name.startswith("X-RateLimit"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)
