"""The OpenAPI description is current, served, and true: schemathesis checks a live sandbox
against it (no 500s, every answer matches its schema). The OAuth endpoints are left to
test_oauth.py."""

import json

import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig

from sandbox.api import openapi
from sandbox.api.values import MAX_ID
from tests.sandbox.api_records import shell
from tests.support.servers import LiveSandbox

EXAMPLES_PER_OPERATION = 20


def test_the_committed_description_is_what_the_generator_builds():
    assert openapi.OUTPUT.read_text() == openapi.render(), (
        "sandbox/api/openapi.json is stale: run `python -m sandbox.api.openapi`"
    )


def test_the_served_description_is_the_committed_file(live_sandbox):
    response = requests.get(f"{live_sandbox.api_url}/openapi.json", timeout=10)
    assert response.json() == json.loads(openapi.OUTPUT.read_text())


def new_garage(sandbox_db) -> dict:
    """An account of its own with one shop and one record of each kind, so the fuzzer changes
    nothing other tests read."""
    return shell(
        sandbox_db,
        "import json, secrets\n"
        "from datetime import UTC, datetime\n"
        "from sandbox.core import services\n"
        "from sandbox.core.models import Account, Part, Shop\n"
        "from sandbox.core.keys import new_api_key\n"
        "account = Account.objects.create(name='Fuzzed Garage')\n"
        "shop = Shop.objects.create(account=account, name='Fuzzed Garage',"
        " slug='fuzzed-' + secrets.token_hex(4))\n"
        "_, key = new_api_key(account)\n"
        "tech = services.create_employee(shop, first_name='Dave', last_name='M',"
        " role='technician')\n"
        "customer = services.create_customer(shop, first_name='Sarah', last_name='Thompson',"
        " phone='(555) 123-4567')\n"
        "vehicle = services.create_vehicle(shop, customer_id=customer.id, year=2021,"
        " make='Ford', model='F-150', vin='1FTFW1E50MFA00001')\n"
        "wo = services.create_work_order(shop, customer_id=customer.id, vehicle_id=vehicle.id,"
        " technician_id=tech.id)\n"
        "part = Part.objects.create(shop=shop, part_number='P1', name='Filter', quantity=9)\n"
        "services.add_job(wo, name='Oil', line_items=[{'type': 'part', 'description': 'Filter',"
        " 'quantity': 1, 'unit_price': 9, 'part_id': part.id}])\n"
        "payment = services.record_payment(wo, amount=5)\n"
        "services.create_appointment(shop, customer_id=customer.id,"
        " start_time=datetime(2030, 1, 1, 9, tzinfo=UTC))\n"
        "print(json.dumps({'key': key, 'shop': shop.id, 'customer': customer.id,"
        " 'vehicle': vehicle.id, 'workorder': wo.id, 'payment': payment.id, 'part': part.id}))",
    )


# The fuzzer changes the records it is given: it gets a garage of its own (see new_garage).
PATH_IDS = {
    "shop_id": "shop",
    "customer_id": "customer",
    "vehicle_id": "vehicle",
    "workorder_id": "workorder",
    "wo_id": "workorder",
    "payment_id": "payment",
    "part_id": "part",
}

schema = schemathesis.openapi.from_path(
    openapi.OUTPUT,
    config=SchemathesisConfig.from_dict(
        {
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
            "phases": {"stateful": {"enabled": False}},
            "checks": {
                # Valid by the schema is not always acceptable: a customer_id naming no
                # customer of the shop, an e-mail address the validator refuses (422).
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "422"]
                },
            },
        }
    ),
).exclude(path_regex="^/oauth/")


@pytest.fixture(scope="module")
def fuzz_target(sandbox_db, tmp_path_factory):
    """A sandbox whose rate limit never bites, and the garage the fuzzer may change."""
    server = LiveSandbox(
        sandbox_db,
        env={"SANDBOX_RATE_LIMIT": "1000000"},
        log_path=tmp_path_factory.mktemp("logs") / "sandbox.log",
    ).start()
    yield server, new_garage(sandbox_db)
    server.stop()


@schema.parametrize()
def test_every_answer_matches_the_description(case, fuzz_target):
    server, garage = fuzz_target
    for name, value in (case.path_parameters or {}).items():
        # Valid ids name the garage's records; invalid ones stay as generated.
        if name in PATH_IDS and isinstance(value, int) and 1 <= value <= MAX_ID:
            case.path_parameters[name] = garage[PATH_IDS[name]]
    case.call_and_validate(
        base_url=server.api_url, headers={"Authorization": f"Bearer {garage['key']}"}
    )
