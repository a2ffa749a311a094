"""A real Celery worker killed mid-sync: another one finishes the sync, nothing lost or doubled.

Runs in both CI passes: on embedded defaults (SQLite, filesystem broker) and, when
DATABASE_URL is PostgreSQL and CELERY_BROKER_URL is Redis, on those. The worker and the
producer are separate processes sharing the test database and the broker, as in production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from portal.mirror.models import RunProgress, SyncRun
from tests.support.portal import portal_database_url
from tests.support.servers import ROOT, celery_worker, service_missing

from .equality import assert_mirror_equals

pytestmark = pytest.mark.django_db(transaction=True)


def broker_env() -> dict:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith("redis"):
        import redis

        try:
            redis.Redis.from_url(broker, socket_timeout=2).ping()
        except redis.RedisError:
            service_missing("Redis")
        return {"CELERY_BROKER_URL": broker, "CELERY_VISIBILITY_TIMEOUT": "10"}
    return {}


@pytest.fixture
def worker_env(tmp_path, settings) -> dict:
    return {
        **os.environ,
        **broker_env(),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": portal_database_url(),
        "VAR_DIR": str(tmp_path),  # its own filesystem broker folder and rate budget
        "PORTAL_ENCRYPTION_KEYS": ",".join(settings.PORTAL_ENCRYPTION_KEYS),
        "AUTOSYNC_API_URL": settings.AUTOSYNC_API_URL,
        "MIRROR_LEASE_SECONDS": "3",
        "CELERY_POLLING_INTERVAL": "0.1",
    }


def django_call(env: dict, code: str) -> None:
    """Run `code` in a fresh portal process (the producer side: beat, the web process)."""
    subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
    )


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_sync_is_replaced_and_the_sync_completes_exactly(
    connect_shop, start_sandbox, truth, worker_env, tmp_path
):
    slow = start_sandbox(SANDBOX_FAULTS="latency=1.0:0.4", SANDBOX_RATE_LIMIT="100000")
    worker_env["AUTOSYNC_API_URL"] = slow.api_url
    # Not yet granted: it is connected below, in a producer process that shares the worker's
    # broker, so that the first sync is queued the way the web process queues it.
    shop = connect_shop(0, sandbox=slow, granted=False)
    log = open(tmp_path / "workers.log", "ab")  # noqa: SIM115
    first = celery_worker(worker_env, "first", log)
    try:
        django_call(
            worker_env,
            "from portal.shops.models import Shop; "
            f"s = Shop.objects.get(pk={shop.pk}); s.granted = True; s.save()",
        )
        wait_for(lambda: SyncRun.objects.filter(shop=shop).exists(), 30, "the first sync run")
        run = SyncRun.objects.get(shop=shop)
        wait_for(
            lambda: RunProgress.objects.filter(run=run, finished=True).count() >= 2,
            60,
            "the sync to get under way",
        )
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        run.refresh_from_db()
        assert run.status == "running"  # stranded: its lease runs out in 3 s
        done_before = set(
            RunProgress.objects.filter(run=run, finished=True).values_list("resource", flat=True)
        )

        second = celery_worker(worker_env, "second", log)
        try:
            time.sleep(3.5)
            django_call(worker_env, "from portal.mirror.tasks import resume_stalled_runs as r; r()")
            wait_for(
                lambda: SyncRun.objects.get(pk=run.pk).status not in ("pending", "running"),
                90,
                "the sync to complete on the second worker",
            )
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        log.close()
    run.refresh_from_db()
    assert run.status == "done", (run.error, (tmp_path / "workers.log").read_text()[-3000:])
    assert run.attempts >= 2
    # Resumed, not restarted: what the first worker finished was not listed again.
    assert (
        set(RunProgress.objects.filter(run=run, finished=True).values_list("resource", flat=True))
        >= done_before
    )
    assert_mirror_equals(shop, truth)
