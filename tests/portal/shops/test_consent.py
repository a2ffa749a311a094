"""The consent's safety: whatever fails once AutoSync issued tokens (a refusal, an error of
AutoSync, a bug of ours), the grant is revoked and nothing is stored; no secret shows on an
error page. Against a live sandbox."""

import http.server
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from django.db import IntegrityError

from portal.autosync import errors, grants
from portal.shops import services
from portal.shops.models import Connection
from tests.support.portal import SandboxUser, api_status, callback_path
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def spied_exchange(monkeypatch):
    """Every code exchange of the test: (state_data, code, tokens or the exception)."""
    seen = []
    real = grants.exchange_code

    def spy(state_data, code):
        try:
            tokens = real(state_data, code)
        except Exception as exc:
            seen.append((dict(state_data), code, exc))
            raise
        seen.append((dict(state_data), code, tokens))
        return tokens

    monkeypatch.setattr(grants, "exchange_code", spy)
    return seen


def start_consent(client, user, shop_owner) -> str:
    client.force_login(user)
    start = client.post("/connect/autosync/")
    browser = SandboxUser(shop_owner["username"], shop_owner["password"])
    return callback_path(browser.consent(start["Location"]))


def test_a_crash_after_the_exchange_revokes_the_grant_and_the_debug_page_shows_no_secret(
    client, cast, autosync, shop_owner, settings, spied_exchange
):
    path = start_consent(client, cast.stranger, shop_owner)
    settings.DEBUG = True
    # The case of a malformed key: the tokens cannot be encrypted after AutoSync issued them.
    settings.PORTAL_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    client.raise_request_exception = False
    page = client.get(path)

    assert page.status_code == 500
    html = page.content.decode()
    assert "Traceback" in html and "Local vars" in html  # Django's technical 500 page
    state_data, code, tokens = spied_exchange[0]
    state = re.search(r"state=([^&]+)", path).group(1)
    secrets_shown = {
        "code": code,
        "state": state,
        "code_verifier": state_data["code_verifier"],
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "client_secret": settings.AUTOSYNC_CLIENT_SECRET,
    }
    for name, value in secrets_shown.items():
        assert value not in html, f"the {name} is on the debug page"
    # The grant AutoSync issued was revoked, and nothing was stored.
    settings.PORTAL_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert api_status(tokens.access_token) == 401
    assert Connection.objects.count() == 1  # the cast's


class SlowTokenProxy:
    """In front of the sandbox: the first token exchange reaches AutoSync and completes there,
    but its answer comes after the portal gave up. Everything else passes straight through."""

    def __init__(self, upstream: str, delay: float):
        self.upstream = upstream
        self.delay = delay
        self.issued: list[dict] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = requests.request(
                    method, proxy.upstream + self.path, data=body, headers=headers, timeout=30
                )
                if self.path.endswith("/oauth/token") and answer.ok and not proxy.issued:
                    proxy.issued.append(answer.json())
                    time.sleep(proxy.delay)  # the portal's read timeout passes meanwhile
                try:
                    self.send_response(answer.status_code)
                    for name in ("Content-Type", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                                 "X-RateLimit-Reset"):  # fmt: skip
                        if name in answer.headers:
                            self.send_header(name, answer.headers[name])
                    self.send_header("Content-Length", str(len(answer.content)))
                    self.end_headers()
                    self.wfile.write(answer.content)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_an_exchange_that_completed_after_the_portal_gave_up_leaves_no_live_grant(
    client, cast, autosync, shop_owner, settings, monkeypatch
):
    path = start_consent(client, cast.stranger, shop_owner)
    upstream = urlsplit(autosync.url)
    proxy = SlowTokenProxy(f"{upstream.scheme}://{upstream.netloc}", delay=2.5)
    try:
        settings.AUTOSYNC_API_URL = proxy.url + "/v1"
        settings.AUTOSYNC_TIMEOUT = (2, 1)
        response = client.get(path)
    finally:
        proxy.stop()
        settings.AUTOSYNC_API_URL = autosync.api_url

    assert len(proxy.issued) == 1  # AutoSync did issue tokens the portal never saw...
    assert api_status(proxy.issued[0]["access_token"]) == 401  # ...and they are revoked
    assert response.status_code == 503
    assert b"Nothing was saved" in response.content
    assert Connection.objects.count() == 1


def test_a_refused_consent_revokes_the_grant(client, cast, connect_as, shop_owner, spied_exchange):
    connect_as(cast.stranger, shop_owner)
    taken = connect_as(cast.teammate, shop_owner)  # another team's shops
    assert taken.status_code == 409
    assert api_status(spied_exchange[-1][2].access_token) == 401


def raising(exc: Exception):
    def fail(*args, **kwargs):
        raise exc

    return fail


# What can go wrong once the tokens are issued: (what is replaced, by what), and the page.
FAILURES_AFTER_THE_EXCHANGE = {
    "autosync down while listing the shops": (
        (grants, "list_shops", raising(errors.ServerError("down", status=503, permanent=False))),
        (503, b"AutoSync is not reachable right now"),
    ),
    "the shops list not granted": (
        (grants, "list_shops", raising(errors.InsufficientScope("no", status=403, permanent=True))),
        (400, b"The shops list was not part of the grant."),
    ),
    "no shop ticked": (
        (grants, "list_shops", lambda access_token: []),
        (400, b"No shop was selected on AutoSync&#x27;s page."),
    ),
    "the same shops connected at the same moment": (
        (services, "connect", raising(IntegrityError("unique"))),
        (400, b"The shops were being connected twice."),
    ),
}


@pytest.mark.parametrize("case", FAILURES_AFTER_THE_EXCHANGE)
def test_a_consent_that_fails_after_the_exchange_says_why_and_revokes_the_grant(
    case, client, cast, autosync, shop_owner, spied_exchange, monkeypatch
):
    path = start_consent(client, cast.stranger, shop_owner)
    (module, name, replacement), (status, says) = FAILURES_AFTER_THE_EXCHANGE[case]
    monkeypatch.setattr(module, name, replacement)

    page = client.get(path)

    assert page.status_code == status and says in page.content
    tokens = spied_exchange[0][2]
    assert api_status(tokens.access_token) == 401
    assert Connection.objects.count() == 1  # the cast's


def test_a_consent_that_connects_keeps_the_grant_live(
    client, cast, autosync, shop_owner, spied_exchange
):
    assert client.get(start_consent(client, cast.stranger, shop_owner)).status_code == 302
    assert api_status(spied_exchange[0][2].access_token) == 200
