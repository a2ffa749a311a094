"""Fixtures of the client's tests: fresh API keys on the live sandbox and clients that use them."""

import pytest
from django.conf import settings

from portal.autosync.budget import MemoryBudget
from portal.autosync.client import AutoSyncClient
from portal.autosync.tokens import StaticToken

# Minted in one `create_api_key` call per session (about a second); each test that counts requests
# takes its own, so that its rate-limit window is not shared with any other test.
KEYS_PER_SESSION = 12


@pytest.fixture(scope="session")
def johnsons(sandbox_db) -> dict:
    """Johnson's Auto Care: two shops, and the seeded API key."""
    return next(a for a in sandbox_db.seed["accounts"] if a["name"] == "Johnson's Auto Care")


@pytest.fixture(scope="session")
def shop_id(johnsons) -> int:
    return johnsons["shops"][0]["id"]


@pytest.fixture(scope="session")
def stranger_shop_id(sandbox_db, johnsons) -> int:
    """A shop of another account, which Johnson's credentials must never reach."""
    other = next(a for a in sandbox_db.seed["accounts"] if a["id"] != johnsons["id"])
    return other["shops"][0]["id"]


@pytest.fixture(scope="session")
def key_pool(sandbox_db, johnsons) -> list[str]:
    return sandbox_db.new_api_keys(johnsons["id"], count=KEYS_PER_SESSION)


@pytest.fixture(scope="session")
def api_key(key_pool) -> str:
    """An API key of Johnson's Auto Care that only this package's tests use."""
    return key_pool.pop()


@pytest.fixture
def fresh_key(key_pool) -> str:
    """A new API key of Johnson's Auto Care, for a test that needs a rate window of its own.

    (The sandbox counts requests per key and window length in its database, so servers started
    on the shared database with other limits still share a key's count.)"""
    if not key_pool:
        pytest.fail("raise KEYS_PER_SESSION: the session used every minted key")
    return key_pool.pop()


@pytest.fixture
def make_client(live_sandbox, api_key):
    """`make_client(server=None, tokens=None, **options)`: a client of the live sandbox (or
    `server`) presenting this test's API key (or `tokens`), over a process-local budget."""

    def make(server=None, tokens=None, **options) -> AutoSyncClient:
        options.setdefault("budget", MemoryBudget())
        options.setdefault("budget_key", "tests")
        options.setdefault("timeout", settings.AUTOSYNC_TIMEOUT)
        return AutoSyncClient(
            (server or live_sandbox).api_url, tokens or StaticToken(api_key), **options
        )

    return make


@pytest.fixture
def api(make_client) -> AutoSyncClient:
    return make_client()
