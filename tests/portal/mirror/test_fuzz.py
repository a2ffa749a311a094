"""Nothing AutoSync sends can stop a shop's sync: a fuzzed stream of malformed records, through
a proxy in front of the live sandbox, into the sync and the webhook processor. The sync ends,
the good records arrive, the bad ones are reported (resource, id, field), the next sync runs."""

from __future__ import annotations

import json
import logging
import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from portal.mirror import records, tasks
from portal.mirror.models import ResourceState, SyncRun, WebhookEvent
from portal.mirror.resources import REGISTRY, RESOURCES
from portal.shops.models import Shop
from tests.portal.autosync.tamper import TamperingProxy

from .conftest import make_shop, run_task
from .test_webhooks import post, sign


def deep(levels: int) -> dict:
    value: dict = {"end": True}
    for _ in range(levels):
        value = {"x": value}
    return value


BAD = {
    "date": st.sampled_from(
        ["10000-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "2024-13-45", 20240101, ["x"]]
    ),
    "int32": st.sampled_from([2**31, -(2**31) - 1, "12", 1.5, True, [1]])
    | st.integers(min_value=2**31),
    "id": st.sampled_from([2**63, "7", 1.5, {"id": 1}]) | st.integers(min_value=2**63),
    "money": st.sampled_from(
        [float("nan"), float("inf"), "abc", "1e400", 10**12, "123456789012.345", [1], True]
    )
    | st.floats(min_value=1e10),
    "text": st.sampled_from([{"a": 1}, [1, 2], True]),
    "bool": st.sampled_from(["yes", 1, [True]]),
    "object": st.sampled_from(["Ann", [1], 5]),
    "deep": st.integers(min_value=records.MAX_DEPTH, max_value=200).map(deep),
}
#: Per resource, fields a record must have right, and the kind of wrong value to give them.
FIELDS = {
    "customers": {"created_at": "date", "first_name": "text", "is_business": "bool"},
    "vehicles": {"year": "int32", "mileage": "int32", "customer_id": "id"},
    "workorders": {"total": "money", "tax": "money", "customer": "object", "created_at": "date"},
    "appointments": {"start_time": "date", "vehicle_id": "id", "notes": "deep"},
    "payments": {"amount": "money", "workorder_id": "id"},
    "inventory": {"price": "money", "quantity": "int32"},
    "employees": {"role": "text", "email": "deep"},
}
BAD_JOBS = st.sampled_from(["brakes", {"id": 1}, [1, 2], [{"id": 1, "subtotal": float("nan")}]])
#: Good records with dirty strings: they arrive, cleaned.
DIRTY = st.text(alphabet=st.sampled_from("ab \n\t\x00\x07\x1b\x7f\x85\u202e"), max_size=12)
LIST_PATH = re.compile(r"^/v1/shops/\d+/(\w+)$")
DETAIL_PATH = re.compile(r"^/v1/shops/\d+/workorders/(\d+)$")


@pytest.fixture
def remote(roomy_sandbox, account):
    """The second shop of Johnson's at AutoSync: its records by resource and id."""
    from .conftest import Truth

    truth = Truth(roomy_sandbox, account["api_key"])
    shop = account["shops"][1]
    return shop, {r: truth.all(shop["id"], r) for r in RESOURCES}


@pytest.fixture(scope="module")
def proxy(roomy_sandbox):
    server = TamperingProxy(roomy_sandbox.url).start()
    yield server
    server.stop()


@st.composite
def plans(draw, remote_records: dict) -> dict:
    """Which records to break, how; which active work orders' details; which list to lengthen."""
    long_page = draw(st.sampled_from([None, "employees", "appointments"]))
    broken: dict[str, dict[int, tuple[str, object]]] = {}
    for resource in draw(st.sets(st.sampled_from(RESOURCES), min_size=1, max_size=4)):
        if resource == long_page:
            continue
        ids = sorted(remote_records[resource])
        chosen = draw(st.sets(st.sampled_from(ids), min_size=1, max_size=3))
        broken[resource] = {}
        for remote_id in chosen:
            field = draw(st.sampled_from(sorted(FIELDS[resource])))
            broken[resource][remote_id] = (field, draw(BAD[FIELDS[resource][field]]))
    active = sorted(
        i
        for i, w in remote_records["workorders"].items()
        if w["status"] in ("draft", "in_progress", "waiting_parts")
        and i not in broken.get("workorders", {})
    )
    details = draw(st.dictionaries(st.sampled_from(active), BAD_JOBS, max_size=2))
    clean_ids = [
        i for i in sorted(remote_records["customers"]) if i not in broken.get("customers", {})
    ]
    dirty = draw(st.dictionaries(st.sampled_from(clean_ids), DIRTY, max_size=2))
    return {"broken": broken, "details": details, "long_page": long_page, "dirty": dirty}


def tamperer(plan: dict):
    def break_record(resource: str, item: dict) -> dict:
        if not isinstance(item, dict):
            return item
        change = plan["broken"].get(resource, {}).get(item.get("id"))
        if change is not None:
            item = {**item, change[0]: change[1]}
        if resource == "customers" and item.get("id") in plan["dirty"]:
            item = {**item, "last_name": plan["dirty"][item["id"]]}
        return item

    def tamper(method, path, body):
        if not isinstance(body, dict) or not body.get("success"):
            return None
        if found := DETAIL_PATH.match(path):
            detail = break_record("workorders", body["data"])
            detail["payments"] = [break_record("payments", p) for p in detail.get("payments", [])]
            if int(found[1]) in plan["details"]:
                detail["jobs"] = plan["details"][int(found[1])]
            return {**body, "data": detail}
        if found := LIST_PATH.match(path):
            resource = found[1]
            items = [break_record(resource, item) for item in body["data"]]
            if resource == plan["long_page"] and items:
                items = items * (101 // len(items) + 1)  # longer than the page of 100 asked
            return {**body, "data": items}
        return None

    return tamper


def reported(caplog) -> set[tuple[str, object]]:
    return {
        (r.args[1].resource, r.args[1].remote_id)
        for r in caplog.records
        if r.name == "portal.mirror.records"
        and isinstance(getattr(r, "args", None), tuple)
        and len(r.args) == 2
        and isinstance(r.args[1], records.Skip)
    }


def test_a_fuzzed_stream_of_malformed_records_never_stops_a_sync_or_the_webhook_processor(
    db, settings, account, remote, proxy, eager, client, caplog, django_capture_on_commit_callbacks
):
    remote_shop, remote_records = remote
    settings.AUTOSYNC_API_URL = proxy.api_url
    settings.AUTOSYNC_WEBHOOK_SECRET = secret = "whsec_fuzz"

    @hypothesis_settings(
        max_examples=12,
        deadline=None,
        derandomize=True,  # the same examples each run: a failure is reproducible in CI
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(plan=plans(remote_records))
    def check(plan):
        Shop.objects.filter(remote_id=remote_shop["id"]).delete()
        WebhookEvent.objects.all().delete()
        caplog.clear()
        proxy.tamper = tamperer(plan)
        shop = make_shop(remote_shop, account["api_key"])
        SyncRun.objects.filter(shop=shop).delete()  # the connect's own run: we run ours
        with caplog.at_level(logging.WARNING):
            run = SyncRun.objects.create(shop=shop, mode="full")
            run_task(tasks.run_sync, run.pk)
        run.refresh_from_db()
        assert run.status == "done", run.error

        broken = {(r, i) for r, ids in plan["broken"].items() for i in ids}
        broken |= {("workorders", i) for i in plan["details"]}
        assert reported(caplog) == broken
        assert run.skipped >= len(broken)
        states = {s.resource: s for s in ResourceState.objects.filter(shop=shop)}
        for resource in RESOURCES:
            kind = REGISTRY[resource]
            mirrored = {row.remote_id: row for row in kind.model.objects.filter(shop=shop)}
            if resource == plan["long_page"]:
                assert not mirrored and "for a page of 100" in states[resource].last_error
                continue
            bad = set(plan["broken"].get(resource, {}))
            assert set(mirrored) == set(remote_records[resource]) - bad, resource
            assert states[resource].skipped >= len(bad) + (
                len(plan["details"]) if resource == "workorders" else 0
            )
            for remote_id, row in mirrored.items():  # the good records, as AutoSync has them
                item = remote_records[resource][remote_id]
                if resource == "customers" and remote_id in plan["dirty"]:
                    item = {**item, "last_name": plan["dirty"][remote_id]}
                for column, value in kind.read(records.Fields(item)).items():
                    assert getattr(row, column) == value, (resource, remote_id, column)
        for remote_id in plan["dirty"]:  # arrived above, without control characters
            row = REGISTRY["customers"].model.objects.get(shop=shop, remote_id=remote_id)
            assert not re.search(r"[\x00-\x1f\x7f-\x9f]", row.last_name + json.dumps(row.payload))

        # The same bad records as webhooks: refused (400) or recorded and ended, never a 500.
        for n, (resource, remote_id) in enumerate(sorted(broken, key=str)):
            name = {
                "customers": "customer.created",
                "appointments": "appointment.created",
                "payments": "payment.received",
                "workorders": "workorder.updated",
            }.get(resource)
            if name is None:
                continue
            data = proxy.tamper(
                "GET",
                f"/v1/shops/{shop.remote_id}/{resource}",
                {"success": True, "data": [remote_records[resource][remote_id]]},
            )["data"][0]
            body = json.dumps(
                {
                    "event": name,
                    "shop_id": shop.remote_id,
                    "timestamp": "2030-01-01T00:00:00Z",
                    "data": data,
                }
            ).encode()
            with django_capture_on_commit_callbacks(execute=True):
                response = post(client, body, sign(body, secret), f"dlv_fuzz_{n}")
            assert response.status_code in (200, 400), response.content
        for event in WebhookEvent.objects.all():
            assert event.processed_at is not None and event.outcome != "failed", event.outcome

        # And the next sync runs (a failed or finished run never blocks it).
        following = tasks.request_sync(shop.pk, "full")
        assert following.pk != run.pk
        run_task(tasks.run_sync, following.pk)
        following.refresh_from_db()
        assert following.status == "done", following.error

    check()
