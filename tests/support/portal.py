"""What the portal's tests share besides fixtures: the cast's password and shop connection,
the test database as a URL for other processes, and the shop owner's browser at AutoSync."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests
from django.utils import timezone

from portal.autosync.oauth import TokenResponse
from portal.shops.models import Connection, Shop

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


TEST_BASE_URL = "http://testserver"


def register_client(sandbox_db, *redirect_uris: str) -> dict:
    args = ["create_oauth_client", "--name", "AutoSync customer portal", "--json"]
    for uri in redirect_uris:
        args += ["--redirect-uri", uri]
    return json.loads(sandbox_db.command(*args))


def point_at(settings, sandbox, client: dict, base_url: str = TEST_BASE_URL) -> None:
    settings.PORTAL_BASE_URL = base_url
    settings.AUTOSYNC_API_URL = sandbox.api_url
    settings.AUTOSYNC_AUTHORIZE_URL = f"{sandbox.url}/oauth/authorize"
    settings.AUTOSYNC_CLIENT_ID = client["client_id"]
    settings.AUTOSYNC_CLIENT_SECRET = client["client_secret"]
    settings.AUTOSYNC_WEBHOOK_SECRET = client["webhook_secret"]


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


def api_status(access_token: str) -> int:
    """The status AutoSync's API answers an access token with (200 live, 401 revoked)."""
    from django.conf import settings

    return requests.get(
        f"{settings.AUTOSYNC_API_URL}/shops",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=30,
    ).status_code
