"""Records and credentials the API tests create for themselves on the shared live database."""

import json
import secrets

import pytest

from tests.sandbox.conftest import Api
from tests.support.servers import LiveSandbox


def roomy_api():
    """A module-scoped `api` fixture: a fresh API key of Johnson's Auto Care on a sandbox server
    of the module's own whose rate limit never bites. A module of functional tests would spend
    AutoSync's 100 requests a minute in seconds; with a key of its own it spends no other
    test's budget either (budgets are shared by every server on the database). The limit
    itself is tested in test_api_ratelimit.py."""

    @pytest.fixture(scope="module")
    def api(sandbox_db, johnsons, tmp_path_factory):
        server = LiveSandbox(
            sandbox_db,
            env={"SANDBOX_RATE_LIMIT": "1000000"},
            log_path=tmp_path_factory.mktemp("logs") / "sandbox.log",
        ).start()
        with Api(server.api_url, new_api_key(sandbox_db, johnsons["id"])["key"]) as session:
            yield session
        server.stop()

    return api


def unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def created(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()["data"]


def new_customer(api, shop_id: int, **fields) -> dict:
    body = {"first_name": "Mike", "last_name": unique("Rodriguez-"), **fields}
    return created(api.post(f"/shops/{shop_id}/customers", json=body))


def new_vehicle(api, shop_id: int, customer_id: int, **fields) -> dict:
    body = {"customer_id": customer_id, "year": 2021, "make": "Ford", "model": "F-150", **fields}
    return created(api.post(f"/shops/{shop_id}/vehicles", json=body))


def new_work_order(api, shop_id: int, **fields) -> dict:
    customer = new_customer(api, shop_id)
    vehicle = new_vehicle(api, shop_id, customer["id"])
    body = {"customer_id": customer["id"], "vehicle_id": vehicle["id"], **fields}
    return created(api.post(f"/shops/{shop_id}/workorders", json=body))


def employees(api, shop_id: int, **filters) -> list[dict]:
    response = api.get(f"/shops/{shop_id}/employees", params={"per_page": 100, **filters})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def active_technician(api, shop_id: int) -> dict:
    return employees(api, shop_id, role="technician", status="active")[0]


def shell(sandbox_db, code: str):
    """Run Python in `python -m sandbox shell` on the live database; what it printed, as JSON."""
    return json.loads(sandbox_db.command("shell", "-c", code).strip().splitlines()[-1])


def new_api_key(sandbox_db, account_id: int) -> dict:
    """A fresh API key of the account: {"id", "key"}."""
    return shell(
        sandbox_db,
        "import json\n"
        "from sandbox.core.models import Account\n"
        "from sandbox.core.keys import new_api_key\n"
        f"key, plain = new_api_key(Account.objects.get(pk={account_id}), name='test')\n"
        "print(json.dumps({'id': key.id, 'key': plain}))",
    )


def revoke_api_key(sandbox_db, key_id: int) -> None:
    sandbox_db.command(
        "shell",
        "-c",
        "from django.utils import timezone\n"
        "from sandbox.core.models import ApiKey\n"
        f"ApiKey.objects.filter(pk={key_id}).update(revoked_at=timezone.now())",
    )


def access_token(sandbox_db, account_id: int, shop_ids: list[int], scope: str) -> str:
    """An OAuth access token of a new grant reaching `shop_ids` with `scope`, as the token
    endpoint would issue it (the OAuth flow itself is tested in test_oauth.py)."""
    return shell(
        sandbox_db,
        "import json, secrets\n"
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from sandbox.oauth.models import Grant, Token, digest\n"
        "from sandbox.oauth.services import register_client\n"
        "client = register_client('API tests', ['http://127.0.0.1/callback'])\n"
        f"grant = Grant.objects.create(client_id=client.client.pk, account_id={account_id},"
        f" scope={scope!r})\n"
        f"grant.shops.set({shop_ids!r})\n"
        "token = secrets.token_urlsafe(32)\n"
        "Token.objects.create(grant=grant, access_token_hash=digest(token),"
        " refresh_token_hash=digest(secrets.token_urlsafe(32)), scope=grant.scope,"
        " expires_at=timezone.now() + timedelta(hours=1))\n"
        "print(json.dumps(token))",
    )
