"""Fixtures of the sandbox suite: the seeded accounts and HTTP sessions on a live sandbox."""

import pytest
import requests


@pytest.fixture(scope="session")
def seed(sandbox_db) -> dict:
    """What `seed --json` printed: accounts with their API key, users and shops."""
    return sandbox_db.seed


@pytest.fixture(scope="session")
def johnsons(seed) -> dict:
    """Johnson's Auto Care: the account that owns two shops."""
    return next(a for a in seed["accounts"] if a["name"] == "Johnson's Auto Care")


@pytest.fixture(scope="session")
def stranger(seed, johnsons) -> dict:
    """Another account, whose shops Johnson's key must never reach."""
    return next(a for a in seed["accounts"] if a["id"] != johnsons["id"])


class Api(requests.Session):
    """A requests session bound to a sandbox's /v1 with a bearer credential."""

    def __init__(self, base_url: str, token: str | None):
        super().__init__()
        self.base_url = base_url
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 30)
        return super().request(method, f"{self.base_url}{url}", *args, **kwargs)


@pytest.fixture
def api_for(live_sandbox):
    """`api_for(token)`: a session on the live sandbox's /v1 presenting `token`."""

    def make(token: str | None, server=None) -> Api:
        return Api((server or live_sandbox).api_url, token)

    return make


@pytest.fixture
def api(api_for, johnsons) -> Api:
    """Johnson's Auto Care's API key on the live sandbox."""
    return api_for(johnsons["api_key"])
