"""The code exchange against a token endpoint in trouble: codes are single use, so a code is
presented again only when the first exchange may have run unseen (see grants.exchange)."""

from http.server import BaseHTTPRequestHandler

import pytest

from portal.autosync import errors, grants
from tests.support.local_http import LocalServer

STATE = {"redirect_uri": "http://testserver/connect/autosync/callback/", "code_verifier": "v" * 43}


class TroubledTokenEndpoint(LocalServer):
    """Answers every POST with `status` (and a JSON error), counting the codes it was sent."""

    def __init__(self, status: int) -> None:
        endpoint = self
        self.posts = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                endpoint.posts += 1
                body = b'{"success": false, "error": {"code": "trouble", "message": "Trouble"}}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Retry-After", "30")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)


@pytest.fixture
def token_endpoint(settings):
    """`token_endpoint(status)`: the portal's AutoSync is a token endpoint answering `status`."""
    started = []

    def start(status: int) -> TroubledTokenEndpoint:
        endpoint = TroubledTokenEndpoint(status).start()
        started.append(endpoint)
        settings.AUTOSYNC_API_URL = f"http://127.0.0.1:{endpoint.port}/v1"
        settings.AUTOSYNC_CLIENT_ID, settings.AUTOSYNC_CLIENT_SECRET = "client", "secret"
        return endpoint

    yield start
    for endpoint in started:
        endpoint.stop()


def test_a_429_on_the_code_exchange_is_final_and_the_code_is_not_sent_again(token_endpoint):
    endpoint = token_endpoint(429)
    with pytest.raises(errors.RateLimited) as info:
        grants.exchange(STATE, "code-1")
    assert endpoint.posts == 1
    assert not info.value.permanent and info.value.retry_after == 30


def test_a_5xx_on_the_code_exchange_sends_the_code_again_in_case_it_ran_unseen(token_endpoint):
    endpoint = token_endpoint(503)
    with pytest.raises(errors.ServerError):
        grants.exchange(STATE, "code-1")
    assert endpoint.posts == 1 + grants.EXCHANGE_RETRIES


def test_a_refused_code_is_not_sent_again(token_endpoint):
    endpoint = token_endpoint(400)
    with pytest.raises(grants.CodeRejected):
        grants.exchange(STATE, "code-1")
    assert endpoint.posts == 1
