"""Safe by default: production settings unless told otherwise, settings checked at start,
no secret on an error page or in an access log, and no grant left live after a failed connect."""

import http.server
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from django.conf import settings as django_settings

from portal import checks
from portal.accounts.middleware import CSPMiddleware
from portal.shops import consent, remote
from portal.shops.models import Connection
from tests.support.portal import SandboxUser, callback_path
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def run_python(code: str, tmp_path, **env) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "VAR_DIR": str(tmp_path), **env}
    for name, value in env.items():
        if value is None:
            full_env.pop(name)
    return subprocess.run(
        [sys.executable, *code.split()]
        if code.startswith("manage.py")
        else [sys.executable, "-c", code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def shops_reached(access_token: str) -> int:
    return requests.get(
        f"{django_settings.AUTOSYNC_API_URL}/shops",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=30,
    ).status_code


# --- Settings -------------------------------------------------------------------------------


def test_debug_is_off_unless_the_environment_turns_it_on(tmp_path):
    result = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "from django.conf import settings; print('DEBUG', settings.DEBUG)",
        tmp_path,
        DEBUG=None,
        SECRET_KEY=secrets.token_urlsafe(50),
        PORTAL_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    assert result.stdout.strip() == "DEBUG False", result.stderr


def test_a_malformed_encryption_key_fails_manage_py_check_without_showing_it(tmp_path):
    bad = "not-a-fernet-key-" + secrets.token_hex(8)
    result = run_python(
        "manage.py check",
        tmp_path,
        DEBUG="1",
        PORTAL_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},{bad}",
    )
    assert result.returncode != 0
    assert "portal.E001" in result.stderr and "Key 2 of PORTAL_ENCRYPTION_KEYS" in result.stderr
    assert bad not in result.stderr + result.stdout


def test_autosync_urls_must_be_https_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.AUTOSYNC_API_URL = "http://autosync.example/v1"
    settings.AUTOSYNC_AUTHORIZE_URL = "https://autosync.example/oauth/authorize"
    found = checks.autosync_urls_use_https()
    assert [m.id for m in found] == ["portal.E002"] and "AUTOSYNC_API_URL" in found[0].msg
    settings.DEBUG = True
    assert checks.autosync_urls_use_https() == []


# --- Headers --------------------------------------------------------------------------------


def test_pages_have_a_csp_without_inline_scripts_and_a_permissions_policy(client, settings):
    settings.AUTOSYNC_AUTHORIZE_URL = "https://autosync.example/oauth/authorize"
    response = client.get("/accounts/login/")
    policy = dict(
        [*part.split(" ", 1), ""][:2] for part in response["Content-Security-Policy"].split("; ")
    )
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    # The connect form's redirect goes to AutoSync's consent page.
    assert policy["form-action"] == "'self' https://autosync.example"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_htmx_is_configured_not_to_need_eval_or_inline_styles(client):
    page = client.get("/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page).group(1)
    assert '"allowEval": false' in config
    assert '"includeIndicatorStyles": false' in config
    assert "<script>" not in page and " style=" not in page
    assert "{#" not in page  # a template comment that leaked into the page


def test_the_csp_middleware_follows_the_authorize_url_of_the_moment(rf, settings):
    settings.AUTOSYNC_AUTHORIZE_URL = "http://127.0.0.1:9/oauth/authorize"
    from django.http import HttpResponse

    request = rf.get("/")
    middleware = CSPMiddleware(lambda r: HttpResponse())
    middleware.process_request(request)
    response = middleware.process_response(request, HttpResponse())
    assert "form-action 'self' http://127.0.0.1:9" in response["Content-Security-Policy"]


# --- Consent: no secret on an error page; no grant left behind -------------------------------


@pytest.fixture
def spied_exchange(monkeypatch):
    """Every code exchange of the test: (state_data, code, tokens or the exception)."""
    seen = []
    real = consent.exchange_code

    def spy(state_data, code):
        try:
            tokens = real(state_data, code)
        except Exception as exc:
            seen.append((dict(state_data), code, exc))
            raise
        seen.append((dict(state_data), code, tokens))
        return tokens

    monkeypatch.setattr(consent, "exchange_code", spy)
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
    assert shops_reached(tokens.access_token) == 401
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
        monkeypatch.setattr(remote, "TIMEOUT", (2, 1))
        response = client.get(path)
    finally:
        proxy.stop()
        settings.AUTOSYNC_API_URL = autosync.api_url

    assert len(proxy.issued) == 1  # AutoSync did issue tokens the portal never saw...
    assert shops_reached(proxy.issued[0]["access_token"]) == 401  # ...and they are revoked
    assert response.status_code == 503
    assert b"Nothing was saved" in response.content
    assert Connection.objects.count() == 1


def test_a_refused_consent_revokes_the_grant(client, cast, connect_as, shop_owner, spied_exchange):
    connect_as(cast.stranger, shop_owner)
    taken = connect_as(cast.teammate, shop_owner)  # another team's shops
    assert taken.status_code == 409
    assert shops_reached(spied_exchange[-1][2].access_token) == 401


# --- Access logs ----------------------------------------------------------------------------

CALLBACK = "/connect/autosync/callback/?code=SECRETCODE123&state=SECRETSTATE456"


def wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def serve_and_log(args: list[str], tmp_path, port: int) -> str:
    log_path = tmp_path / "server.log"
    # The callback answers an anonymous visitor with a redirect: no database is touched.
    env = {
        **os.environ,
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_for(f"http://127.0.0.1:{port}/static/css/tokens.css", process)
        requests.get(f"http://127.0.0.1:{port}{CALLBACK}", timeout=10, allow_redirects=False)
        time.sleep(0.5)  # the log line is written after the answer
    finally:
        process.terminate()
        process.wait(10)
    return log_path.read_text()


def test_runservers_access_log_has_no_code_or_state(tmp_path):
    port = free_port()
    log = serve_and_log(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload",
         "--skip-checks"],
        tmp_path,
        port,
    )  # fmt: skip
    assert "/connect/autosync/callback/" in log
    assert "SECRETCODE123" not in log and "SECRETSTATE456" not in log


def test_gunicorns_access_log_has_no_code_or_state(tmp_path):
    port = free_port()
    log = serve_and_log(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "-c",
         "python:portal.gunicorn_conf", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-"],
        tmp_path,
        port,
    )  # fmt: skip
    assert "/connect/autosync/callback/" in log
    assert "SECRETCODE123" not in log and "SECRETSTATE456" not in log
