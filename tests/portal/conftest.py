"""Fixtures of the portal suite: the cast (owner, teammate, stranger), a live sandbox the
portal is registered with, and a stand-in for the shop owner's browser at the sandbox."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from portal.autosync.oauth import TokenResponse
from portal.shops.models import Connection, Membership, Role, Shop

PASSWORD = "correct horse battery staple"


def portal_database_url() -> str:
    """The test database as a URL, for the portal processes a test starts (workers, callers)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgresql://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


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


@dataclass
class Cast:
    """Who is who in most tests: one shop, its owner and a teammate, and a stranger."""

    owner: object
    teammate: object
    stranger: object
    shop: Shop
    connection: Connection


def connection_with(access: str = "at-cast", refresh: str = "rt-cast", **fields) -> Connection:
    connection = Connection(**fields)
    connection.store_tokens(
        TokenResponse(access, refresh, timezone.now() + timedelta(hours=1), "shops:read")
    )
    connection.save()
    return connection


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


# --- A live sandbox the portal is registered with --------------------------------------------

TEST_BASE_URL = "http://testserver"


def register_client(sandbox_db, *redirect_uris: str) -> dict:
    args = ["create_oauth_client", "--name", "AutoSync customer portal", "--json"]
    for uri in redirect_uris:
        args += ["--redirect-uri", uri]
    return json.loads(sandbox_db.command(*args))


@pytest.fixture(scope="session")
def portal_client(sandbox_db) -> dict:
    """The portal's registration at the session's sandbox (redirects to the test client)."""
    return register_client(sandbox_db, f"{TEST_BASE_URL}/connect/autosync/callback/")


def point_at(settings, sandbox, client: dict, base_url: str = TEST_BASE_URL) -> None:
    settings.PORTAL_BASE_URL = base_url
    settings.AUTOSYNC_API_URL = sandbox.api_url
    settings.AUTOSYNC_AUTHORIZE_URL = f"{sandbox.url}/oauth/authorize"
    settings.AUTOSYNC_CLIENT_ID = client["client_id"]
    settings.AUTOSYNC_CLIENT_SECRET = client["client_secret"]
    settings.AUTOSYNC_WEBHOOK_SECRET = client["webhook_secret"]


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


class SandboxUser:
    """The shop owner's browser at AutoSync: signs in and answers the consent page."""

    def __init__(self, username: str, password: str):
        self.username = username
        self.password = password
        self.session = requests.Session()

    def consent(self, authorize_url: str, decision: str = "approve", shops=None) -> str:
        """Answer the consent page; the URL AutoSync redirects back to."""
        page = self.session.get(authorize_url, timeout=30)
        if "/accounts/login/" in urlsplit(page.url).path:
            page = self.session.post(
                page.url,
                data={
                    "username": self.username,
                    "password": self.password,
                    "next": parse_qs(urlsplit(page.url).query)["next"][0],
                    "csrfmiddlewaretoken": self.session.cookies["csrftoken"],
                },
                headers={"Referer": page.url},
                timeout=30,
            )
        assert page.status_code == 200, page.text[:500]
        if shops is None:
            shops = re.findall(r'name="shop" value="(\d+)"', page.text)
        answer = self.session.post(
            page.url,
            data={
                "decision": decision,
                "shop": [str(s) for s in shops],
                "csrfmiddlewaretoken": self.session.cookies["csrftoken"],
            },
            headers={"Referer": page.url},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["Location"]


def callback_path(location: str) -> str:
    """The part of AutoSync's redirect the Django test client requests."""
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


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
