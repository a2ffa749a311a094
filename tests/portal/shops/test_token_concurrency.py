"""The proof: many threads and processes find one grant's token expired at the same instant;
AutoSync sees exactly one refresh, and the grant stays alive."""

import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from portal.shops.models import Connection
from tests.support.portal import portal_database_url
from tests.support.token_worker import call_at

ROOT = Path(__file__).resolve().parents[3]
THREADS, PROCESSES, THREADS_PER_PROCESS = 8, 3, 4


def tokens_issued_for_grant_of(sandbox_db, access_token: str) -> int:
    """How many tokens the sandbox issued for the grant `access_token` belongs to."""
    digest = hashlib.sha256(access_token.encode()).hexdigest()
    code = (
        "from sandbox.oauth.models import Token; "
        f"print(Token.objects.get(access_token_hash='{digest}').grant.tokens.count())"
    )
    return int(sandbox_db.command("shell", "-v0", "-c", code).strip())


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_refresh_an_expired_grant_exactly_once(
    cast, connect_as, shop_owner, sandbox_db
):
    assert connect_as(cast.stranger, shop_owner).status_code == 302
    connection = Connection.objects.get(connected_by=cast.stranger)
    assert tokens_issued_for_grant_of(sandbox_db, connection.access_token) == 1
    Connection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=5)
    )

    start_at = time.time() + 4  # the processes need a moment to import Django
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": portal_database_url(),
        "AUTOSYNC_API_URL": settings.AUTOSYNC_API_URL,
        "AUTOSYNC_AUTHORIZE_URL": settings.AUTOSYNC_AUTHORIZE_URL,
        "AUTOSYNC_CLIENT_ID": settings.AUTOSYNC_CLIENT_ID,
        "AUTOSYNC_CLIENT_SECRET": settings.AUTOSYNC_CLIENT_SECRET,
        "PORTAL_ENCRYPTION_KEYS": ",".join(settings.PORTAL_ENCRYPTION_KEYS),
    }
    command = [sys.executable, "-m", "tests.support.token_worker", str(connection.pk)]
    command += [str(start_at), str(THREADS_PER_PROCESS)]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, **pipes) for _ in range(PROCESSES)]

    results = call_at(connection.pk, start_at, THREADS)
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.extend(json.loads(out))

    assert len(results) == THREADS + PROCESSES * THREADS_PER_PROCESS
    assert [r for r in results if "error" in r] == []
    connection.refresh_from_db()
    assert {r["token"] for r in results} == {connection.access_token}
    assert {r["status"] for r in results} == {200}
    assert connection.refresh_count == 1
    assert tokens_issued_for_grant_of(sandbox_db, connection.access_token) == 2
    assert connection.status == Connection.Status.CONNECTED
