"""`manage.py register_with_sandbox`: the portal becomes a client of a local sandbox."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def registration_file(settings, tmp_path, monkeypatch, sandbox_db):
    monkeypatch.setenv("SANDBOX_DATABASE_URL", sandbox_db.url)
    settings.AUTOSYNC_CLIENT_FILE = tmp_path / "autosync-client.json"
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8000"
    return settings.AUTOSYNC_CLIENT_FILE


def register(*args: str) -> str:
    out = io.StringIO()
    call_command("register_with_sandbox", *args, stdout=out)
    return out.getvalue()


def test_registering_stores_the_credentials_owner_only(registration_file, live_sandbox):
    register("--sandbox-url", live_sandbox.url)
    stored = json.loads(registration_file.read_text())
    assert stored["client_id"] and stored["client_secret"] and stored["webhook_secret"]
    assert stored["api_url"] == f"{live_sandbox.url}/v1"
    assert stored["authorize_url"] == f"{live_sandbox.url}/oauth/authorize"
    assert registration_file.stat().st_mode & 0o777 == 0o600

    # The sandbox knows the portal's callback: its authorize page accepts it (sign-in first).
    answer = requests.get(
        stored["authorize_url"],
        params={
            "client_id": stored["client_id"],
            "redirect_uri": "http://127.0.0.1:8000/connect/autosync/callback/",
            "response_type": "code",
            "scope": "shops:read",
            "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302 and "/accounts/login/" in answer.headers["Location"]


def test_registering_again_keeps_the_registration_unless_forced(registration_file):
    register()
    first = json.loads(registration_file.read_text())["client_id"]
    assert "Already registered" in register()
    assert json.loads(registration_file.read_text())["client_id"] == first
    register("--force")
    assert json.loads(registration_file.read_text())["client_id"] != first


def test_the_settings_read_the_registration_when_the_environment_names_no_client(
    registration_file,
):
    register()
    stored = json.loads(registration_file.read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOSYNC_")}
    env.update(VAR_DIR=str(registration_file.parent), DJANGO_SETTINGS_MODULE="portal.settings")
    code = "from django.conf import settings as s; print(s.AUTOSYNC_CLIENT_ID, s.AUTOSYNC_API_URL)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == [stored["client_id"], stored["api_url"]], result.stderr
