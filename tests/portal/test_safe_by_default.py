"""Safe by default: production settings unless told otherwise, settings checked at start,
no secret in an access log (the consent's own safety: tests/portal/shops/test_consent.py)."""

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from portal import checks
from portal.accounts.middleware import CSPMiddleware
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


# --- Production refuses the development defaults, at its start ------------------------------

#: Production settings but the embedded defaults: SQLite, the filesystem broker, no mail server
#: and no AutoSync registration.
UNSAFE = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "AUTOSYNC_API_URL": "https://api.autosync.example/v1",
    "AUTOSYNC_AUTHORIZE_URL": "https://autosync.example/oauth/authorize",
    "DATABASE_URL": None,
    "CELERY_BROKER_URL": None,
    "EMAIL_HOST": None,
    "AUTOSYNC_CLIENT_ID": None,
    "PORTAL_CHECK_ON_START": None,
}
REFUSALS = ("portal.E004", "portal.E005", "portal.E006", "portal.E007")


def test_the_deployment_checks_name_every_development_default_left_in_production(tmp_path):
    result = run_python("manage.py check --deploy", tmp_path, **UNSAFE)
    assert result.returncode != 0
    for refusal in REFUSALS:
        assert refusal in result.stderr, result.stderr


def test_gunicorn_refuses_to_start_in_production_on_the_development_defaults(tmp_path):
    port = free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path), **UNSAFE}
    env = {name: value for name, value in env.items() if value is not None}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "-c",
         "python:portal.gunicorn_conf", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "DATABASE_URL must name a PostgreSQL database" in result.stderr


def test_a_celery_worker_refuses_to_start_in_production_on_the_development_defaults(tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path), **UNSAFE}
    env = {name: value for name, value in env.items() if value is not None}
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "CELERY_BROKER_URL must name a Redis server" in result.stdout + result.stderr
