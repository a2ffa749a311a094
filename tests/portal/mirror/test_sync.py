"""The sync against a live sandbox: equality, faults, the lease, pauses and the books."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from portal.mirror import lease, records, sync, tasks
from portal.mirror.models import (
    OPEN_STATUSES,
    Appointment,
    Customer,
    Employee,
    Job,
    Part,
    Payment,
    RequestCount,
    SyncRun,
    Vehicle,
    WorkOrder,
)
from portal.shops.models import Connection, Shop
from portal.shops.signals import shop_disconnected

from .conftest import run_task
from .equality import assert_mirror_equals


def test_a_connected_shops_first_sync_mirrors_autosync_record_by_record(
    connect_shop, truth, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shop = connect_shop(0)
    run = SyncRun.objects.get(shop=shop)
    assert (run.mode, run.status, run.error) == ("full", "done", "")
    compared = assert_mirror_equals(shop, truth)
    assert compared["customers"] > 0 and compared["workorders"] > 0
    assert compared["details"] > 0


def sync_now(shop, mode: str = "full") -> SyncRun:
    return sync.run(SyncRun.objects.create(shop=shop, mode=mode).pk)


def test_under_faults_the_sync_still_converges_to_autosync_without_duplicates(
    connect_shop, start_sandbox, truth, eager
):
    faulty = start_sandbox(
        SANDBOX_FAULTS="error=0.1,reset=0.03,ratelimit=0.05,latency=0.03:0.3",
        SANDBOX_FAULTS_SEED="3",
        SANDBOX_RATE_LIMIT="100000",
    )
    shop = connect_shop(1, sandbox=faulty)
    run = SyncRun.objects.create(shop=shop, mode="full")
    run_task(tasks.run_sync, run.pk)  # in this process, its retries included
    run.refresh_from_db()
    assert run.status == "done", run.error
    assert_mirror_equals(shop, truth)
    # And again, incrementally and through the open poll: still equal, nothing doubled.
    for mode in ("incremental", "open"):
        run_task(tasks.run_sync, SyncRun.objects.create(shop=shop, mode=mode).pk)
    assert_mirror_equals(shop, truth)


def test_new_and_changed_records_arrive_with_few_requests(connect_shop, truth, eager):
    shop = connect_shop(0)
    sync_now(shop)
    created = truth.write(
        "POST",
        f"/shops/{shop.remote_id}/customers",
        {"first_name": "Ines", "last_name": "Okafor", "email": "ines@example.com"},
    )
    incremental = sync_now(shop, "incremental")
    assert Customer.objects.get(shop=shop, remote_id=created["id"]).email == "ines@example.com"
    # One page per resource when little changed: seven lists, no details.
    assert incremental.requests == 7

    order = WorkOrder.objects.filter(shop=shop, status="in_progress").first()
    truth.write(
        "PUT", f"/shops/{shop.remote_id}/workorders/{order.remote_id}", {"status": "completed"}
    )
    opened = sync_now(shop, "open")
    order.refresh_from_db()
    assert order.status == "completed"
    assert [s.status for s in order.status_history()][-2:] == ["in_progress", "completed"]
    # Four status lists, one detail: the work order that changed.
    assert opened.requests == len(OPEN_STATUSES) + 1
    assert_mirror_equals(shop, truth, resources=("customers", "workorders"))


def test_a_full_reconciliation_marks_records_autosync_no_longer_returns(connect_shop, eager):
    shop = connect_shop(0)
    sync_now(shop)
    ghost = Customer.objects.create(
        shop=shop, remote_id=987654321, observed_at=timezone.now(), confirmed_at=timezone.now()
    )
    ghost.confirmed_at = ghost.observed_at = timezone.now() - timedelta(days=1)
    ghost.save()
    sync_now(shop)
    ghost.refresh_from_db()
    assert ghost.removed_at is not None  # kept, marked gone
    assert Customer.objects.of(shop).live().exclude(pk=ghost.pk).count() > 0


def test_older_data_never_overwrites_newer_data(connect_shop):
    shop = connect_shop(0)
    now = timezone.now()
    item = {"id": 5, "first_name": "New", "last_name": "X", "updated_at": "2030-01-01T10:00:05Z"}
    records.apply("customers", shop.pk, [item], now)
    older = {**item, "first_name": "Old", "updated_at": "2030-01-01T10:00:04Z"}
    records.apply("customers", shop.pk, [older], now + timedelta(minutes=1))  # seen later, older
    same_but_seen_earlier = {**item, "first_name": "Earlier"}
    records.apply("customers", shop.pk, [same_but_seen_earlier], now - timedelta(seconds=1))
    without_updated_at = {k: v for k, v in item.items() if k != "updated_at"}
    records.apply(
        "customers",
        shop.pk,
        [{**without_updated_at, "first_name": "Stale"}],
        now - timedelta(seconds=1),
    )
    assert Customer.objects.get(shop=shop, remote_id=5).first_name == "New"
    records.apply(
        "customers",
        shop.pk,
        [{**item, "first_name": "Newer", "updated_at": "2030-01-01T10:00:06Z"}],
        now - timedelta(hours=1),
    )
    row = Customer.objects.get(shop=shop, remote_id=5)
    assert row.first_name == "Newer"  # AutoSync's updated_at says so, whatever we saw when
    assert row.observed_at == now  # the clock never goes back


def test_the_lease_keeps_a_second_sync_of_a_shop_from_running(connect_shop, eager):
    shop = connect_shop(0)
    lease.take(shop.pk, "another-worker")
    full = SyncRun.objects.create(shop=shop, mode="full")
    with pytest.raises(lease.LeaseBusy):
        sync.run(full.pk)
    with pytest.raises(lease.LeaseBusy):
        lease.take(shop.pk, "a-third-worker")
    opened = SyncRun.objects.create(shop=shop, mode="open")
    assert tasks.run_sync.apply(args=(opened.pk,)).get() == "skipped"
    assert not Customer.objects.filter(shop=shop).exists()
    assert not RequestCount.objects.filter(shop=shop).exists()  # not one request sent
    lease.release(shop.pk, "another-worker")
    assert sync.run(full.pk).status == "done"


def test_an_expired_lease_is_taken_over(connect_shop):
    shop = connect_shop(0)
    lease.take(shop.pk, "crashed-worker", seconds=0)
    lease.take(shop.pk, "next-worker")
    with pytest.raises(lease.LeaseLost):
        lease.renew(shop.pk, "crashed-worker")


def test_a_shop_that_needs_reconnecting_pauses(connect_shop, eager):
    shop = connect_shop(0)
    shop.connection.set_status(Connection.Status.NEEDS_RECONNECTING, "test")
    shop.connection.save()
    assert tasks.schedule_syncs("open") == 0
    paused = sync_now(Shop.objects.get(pk=shop.pk))
    assert paused.status == "paused"
    assert not RequestCount.objects.filter(shop=shop).exists()


def test_sync_status_json_has_one_entry_per_shop_and_resource(connect_shop, eager):
    shop = connect_shop(0)
    sync_now(shop)
    out = io.StringIO()
    call_command("sync_status", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert list(data) == ["shops"]
    entry = next(s for s in data["shops"] if s["autosync_id"] == shop.remote_id)
    assert set(entry) == {"autosync_id", "name", "resources"}
    assert list(entry["resources"]) == [
        "customers",
        "vehicles",
        "workorders",
        "appointments",
        "payments",
        "inventory",
        "employees",
    ]
    for book in entry["resources"].values():
        assert set(book) == {
            "mirrored",
            "remote_total",
            "last_success",
            "last_error",
            "requests_last_hour",
            "skipped",
            "last_skipped",
        }
        assert book["mirrored"] == book["remote_total"]
        assert book["last_success"].endswith("Z") and book["last_error"] is None
        assert book["requests_last_hour"] >= 1
    text = io.StringIO()
    call_command("sync_status", stdout=text)
    assert shop.name in text.getvalue()


def test_sync_shop_runs_one_sync_in_the_foreground(connect_shop):
    shop = connect_shop(0)
    out = io.StringIO()
    call_command("sync_shop", shop.slug, "--mode", "full", stdout=out)
    assert "Done" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("sync_shop", "no-such-shop")


def test_disconnecting_removes_the_shops_personal_data(connect_shop, eager):
    shop = connect_shop(0)
    sync_now(shop)
    other = connect_shop(1)
    sync_now(other)
    shop_disconnected.send(sender=Shop, shop=shop)
    for model in (Customer, Vehicle, WorkOrder, Appointment, Payment, Employee, Job):
        assert not model.objects.filter(shop=shop).exists(), model.__name__
    assert Part.objects.filter(shop=shop).exists()  # the catalogue is not personal
    assert Customer.objects.filter(shop=other).exists()  # another shop keeps its own
