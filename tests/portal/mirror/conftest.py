"""Fixtures of the mirror's tests: a live sandbox with room in its rate limit, connected shops
(portal rows whose tokens are the seeded account's API key), eager Celery, and the truth over
HTTP to compare the mirror with."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from celery.exceptions import Retry
from django.utils import timezone

from portal.autosync import conf
from portal.autosync.oauth import TokenResponse
from portal.celery import app as celery_app
from portal.shops.models import Connection, Shop
from tests.support.servers import LiveSandbox


@pytest.fixture(scope="session")
def roomy_sandbox(sandbox_db, tmp_path_factory):
    """A sandbox on the shared database whose rate limit never makes a test wait."""
    server = LiveSandbox(
        sandbox_db,
        env={"SANDBOX_RATE_LIMIT": "100000"},
        log_path=tmp_path_factory.mktemp("logs") / "mirror-sandbox.log",
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def private_budget(settings):
    """Each test its own in-process rate budget (the default is a file under var/ that would
    carry one test's spending, and another run's, into the next)."""
    settings.AUTOSYNC_BUDGET_URL = "memory://"
    conf.shared_budget.cache_clear()
    yield
    conf.shared_budget.cache_clear()


@pytest.fixture
def eager():
    """Celery tasks run in the caller, exceptions included."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


def run_task(task, *args, limit: int = 50):
    """Run a task in this process as a worker would (with `eager`): a retry runs again after
    its countdown (a test's own wait, capped), with the arguments the retry gave it."""
    signature = task.s(*args)
    for _ in range(limit):
        try:
            return signature.apply().get()
        except Retry as retry:
            time.sleep(min(float(retry.when or 0), 10.0))
            signature = retry.sig
    raise AssertionError(f"{task.name} still retrying after {limit} attempts")


@pytest.fixture
def webhook_secret(settings) -> str:
    settings.AUTOSYNC_WEBHOOK_SECRET = "whsec_mirror_tests"
    return settings.AUTOSYNC_WEBHOOK_SECRET


@pytest.fixture
def account(sandbox_db) -> dict:
    """Johnson's Auto Care: two shops, an API key that reaches both."""
    return next(a for a in sandbox_db.seed["accounts"] if len(a["shops"]) >= 2)


def make_shop(remote: dict, api_key: str, granted: bool = True) -> Shop:
    connection = Connection()
    connection.store_tokens(
        TokenResponse(api_key, "", timezone.now() + timedelta(days=30), "shops:read")
    )
    connection.save()
    return Shop.objects.create(
        remote_id=remote["id"],
        name=remote["name"],
        remote_slug=remote["slug"],
        connection=connection,
        granted=granted,
    )


@pytest.fixture
def connect_shop(db, settings, roomy_sandbox, account) -> Callable[..., Shop]:
    """`connect_shop(index=0, sandbox=None)`: a connected portal shop of `account` (its first
    full sync is queued on commit: run it inside django_capture_on_commit_callbacks)."""
    settings.AUTOSYNC_API_URL = roomy_sandbox.api_url

    def connect(index: int = 0, sandbox: LiveSandbox | None = None, granted: bool = True) -> Shop:
        if sandbox is not None:
            settings.AUTOSYNC_API_URL = sandbox.api_url
        return make_shop(account["shops"][index], account["api_key"], granted)

    return connect


class Truth:
    """AutoSync's records over HTTP, as a test reads them (fault-free sandbox, API key)."""

    def __init__(self, sandbox: LiveSandbox, api_key: str) -> None:
        self.base = sandbox.api_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def get(self, path: str, **params) -> dict:
        response = self.session.get(self.base + path, params=params, timeout=30)
        assert response.status_code == 200, response.text[:300]
        return response.json()

    def all(self, shop_id: int, resource: str) -> dict[int, dict]:
        found, page = {}, 1
        while True:
            body = self.get(f"/shops/{shop_id}/{resource}", page=page, per_page=100)
            found.update({item["id"]: item for item in body["data"]})
            if page * 100 >= body["pagination"]["total"]:
                return found
            page += 1

    def work_order(self, shop_id: int, work_order_id: int) -> dict:
        return self.get(f"/shops/{shop_id}/workorders/{work_order_id}")["data"]

    def write(self, method: str, path: str, body: dict) -> dict:
        response = self.session.request(method, self.base + path, json=body, timeout=30)
        assert response.status_code in (200, 201), response.text[:300]
        return response.json()["data"]


@pytest.fixture
def truth(roomy_sandbox, account) -> Truth:
    return Truth(roomy_sandbox, account["api_key"])
