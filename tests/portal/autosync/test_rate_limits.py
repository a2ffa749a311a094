"""Processes and threads sharing one credential's budget stay within AutoSync's rate limit,
and interactive calls get through while background work is paced."""

import json
import subprocess
import sys
import threading
import time
import uuid

import pytest

from portal.autosync.budget import SqliteBudget, budget_from_url
from portal.autosync.tokens import StaticToken
from tests.support.servers import ROOT, LiveSandbox, service_missing

from .support import REDIS_URL, redis_available

LIMIT, WINDOW = 20, 3


@pytest.fixture(scope="module")
def tight_sandbox(sandbox_db, tmp_path_factory):
    """A sandbox allowing 20 requests per 3-second window."""
    server = LiveSandbox(
        sandbox_db,
        env={"SANDBOX_RATE_LIMIT": str(LIMIT), "SANDBOX_RATE_WINDOW": str(WINDOW)},
        log_path=tmp_path_factory.mktemp("logs") / "sandbox.log",
    )
    yield server.start()
    server.stop()


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_three_processes_sharing_a_key_never_hit_the_limit(
    store, tight_sandbox, fresh_key, shop_id, tmp_path
):
    if store == "redis" and not redis_available():
        service_missing("Redis")
    url = REDIS_URL if store == "redis" else f"sqlite:///{tmp_path / 'budget.sqlite3'}"
    command = [
        sys.executable,
        "-m",
        "tests.portal.autosync.spend",
        "--budget",
        url,
        "--key",
        f"key-{uuid.uuid4().hex}",
        "--count",
        "20",
        "--api",
        tight_sandbox.api_url,
        "--token",
        fresh_key,
        "--shop",
        str(shop_id),
    ]
    started = time.monotonic()
    processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE) for _ in range(3)]
    results = [json.loads(p.communicate(timeout=90)[0]) for p in processes]
    elapsed = time.monotonic() - started
    assert [r["failures"] for r in results] == [[], [], []]
    assert [r["statuses"] for r in results] == [[200] * 20] * 3  # not a single 429
    # 60 requests at 16 a window (the rest is the interactive reserve) need 4 windows.
    assert elapsed > 2 * WINDOW


def test_interactive_calls_get_through_while_background_work_is_paced(
    tight_sandbox, make_client, fresh_key, shop_id, tmp_path
):
    budget = SqliteBudget(tmp_path / "budget.sqlite3")
    statuses, slowest = [], {"background": 0.0, "interactive": 0.0}

    def run(priority: str, calls: int, pause: float) -> None:
        api = make_client(
            tight_sandbox,
            tokens=StaticToken(fresh_key),
            budget=budget,
            budget_key="shared",
            priority=priority,
            on_request=lambda *call: statuses.append(call[2]),
        )
        for _ in range(calls):
            started = time.monotonic()
            api.get_shop(shop_id)
            slowest[priority] = max(slowest[priority], time.monotonic() - started)
            time.sleep(pause)

    background = [threading.Thread(target=run, args=("background", 20, 0)) for _ in range(2)]
    for thread in background:
        thread.start()
    time.sleep(0.3)  # the background threads have spent their share of the window by now
    run("interactive", 4, 0.5)
    for thread in background:
        thread.join(60)
    assert set(statuses) == {200}
    # Background work waited for a new window (up to 3 s), while every interactive call went
    # straight through (well under a second even on a busy machine).
    assert slowest["background"] > 1.5
    assert slowest["interactive"] < 1.0


def test_the_default_budget_url_follows_the_settings(settings, tmp_path):
    from portal.autosync import conf

    settings.AUTOSYNC_BUDGET_URL = None
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.VAR_DIR = tmp_path
    assert conf.budget_url() == f"sqlite:///{tmp_path / 'autosync-budget.sqlite3'}"
    settings.CELERY_BROKER_URL = REDIS_URL
    assert conf.budget_url() == REDIS_URL
    settings.AUTOSYNC_BUDGET_URL = "memory://"
    assert conf.budget_url() == "memory://"
    assert budget_from_url(conf.budget_url()).window("k").limit == 100
