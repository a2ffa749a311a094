"""Fixtures of the portal suite: the cast (owner, teammate, stranger) and its vehicle owners,
a live sandbox the portal is registered with, and a stand-in for the shop owner's browser at
the sandbox."""

from __future__ import annotations

import pytest
from django.utils import timezone

from portal.shops.models import Membership, Role, Shop
from tests.support.browser import chromium  # noqa: F401  (the fixture, for every portal test)
from tests.support.factories import Owners, vehicle_owner
from tests.support.portal import (
    PASSWORD,
    TEST_BASE_URL,
    Cast,
    SandboxUser,
    callback_path,
    connection_with,
    point_at,
    register_client,
)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, a test database in a file (not in memory), so that other processes (the
    concurrency proof) and the live server's threads share it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("portal-db") / "portal-test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture(scope="session", autouse=True)
def tasks_stay_in_the_test_process():
    """Tasks queued on commit (a connected shop's first sync) go to an in-memory broker, not
    to var/celery/ or Redis; the tests that need a real worker start their own processes."""
    from portal.celery import app

    broker, transport = app.conf.broker_url, app.conf.broker_transport
    app.conf.broker_url, app.conf.broker_transport = "memory://", None
    yield
    app.conf.broker_url, app.conf.broker_transport = broker, transport


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher costs ~0.3 s a user; the suite makes hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db, django_user_model) -> Cast:
    users = {
        name: django_user_model.objects.create_user(
            f"{name}@example.com", PASSWORD, name=name.title(), email_verified_at=timezone.now()
        )
        for name in ("alice", "bob", "charlie")
    }
    connection = connection_with(connected_by=users["alice"])
    shop = Shop.objects.create(remote_id=90001, name="Main Street Garage", connection=connection)
    Membership.objects.create(user=users["alice"], shop=shop, role=Role.OWNER)
    Membership.objects.create(user=users["bob"], shop=shop, role=Role.STAFF)
    stranger_shop = Shop.objects.create(remote_id=90002, name="Elsewhere Motors")
    Membership.objects.create(user=users["charlie"], shop=stranger_shop, role=Role.OWNER)
    return Cast(users["alice"], users["bob"], users["charlie"], shop, connection)


@pytest.fixture
def owners(cast) -> Owners:
    """The cast's vehicle owners, as the mirror knows them (customers with a vehicle each)."""
    other_shop = Shop.objects.get(memberships__user=cast.stranger)
    return Owners(
        one_shop=vehicle_owner("olive@example.com", "Olive", cast.shop),
        two_shops=vehicle_owner("tom@example.com", "Tom", cast.shop, other_shop),
        stranger=vehicle_owner("sid@example.com", "Sid", other_shop),
    )


# --- A live sandbox the portal is registered with --------------------------------------------


@pytest.fixture(scope="session")
def portal_client(sandbox_db) -> dict:
    """The portal's registration at the session's sandbox (redirects to the test client)."""
    return register_client(sandbox_db, f"{TEST_BASE_URL}/connect/autosync/callback/")


@pytest.fixture
def autosync(settings, live_sandbox, portal_client):
    """The portal's settings pointed at the session's live sandbox."""
    point_at(settings, live_sandbox, portal_client)
    return live_sandbox


@pytest.fixture(scope="session")
def shop_owner(sandbox_db) -> dict:
    """A sandbox user of the account with two shops (Johnson's Auto Care), and those shops."""
    account = next(a for a in sandbox_db.seed["accounts"] if len(a["shops"]) >= 2)
    return {**account["users"][0], "shops": account["shops"], "account": account["name"]}


@pytest.fixture(scope="session")
def other_owner(sandbox_db, shop_owner) -> dict:
    account = next(a for a in sandbox_db.seed["accounts"] if a["name"] != shop_owner["account"])
    return {**account["users"][0], "shops": account["shops"], "account": account["name"]}


@pytest.fixture
def connect_as(client, autosync):
    """`connect_as(portal_user, sandbox_user, ...)`: the whole consent round trip through the
    test client; returns the callback's response."""

    def connect(portal_user, sandbox_user: dict, decision: str = "approve", shops=None):
        client.force_login(portal_user)
        start = client.post("/connect/autosync/")
        assert start.status_code == 302, start.content[:500]
        browser = SandboxUser(sandbox_user["username"], sandbox_user["password"])
        location = browser.consent(start["Location"], decision=decision, shops=shops)
        return client.get(callback_path(location))

    return connect
