"""Sync services: plain functions over ids that fill a shop's mirror from AutoSync.

Three plans, each spending the fewest requests the API allows (see docs/portal-mirror.md):
- full: every list, page by page at 100 a page (resumable: progress is saved after each
  page), then the detail of each open work order; marks what AutoSync no longer returns.
- incremental: `created_after` (minus an overlap) for customers and work orders, the tail
  of the id-ordered lists for the rest.
- open: the open work orders through the `status` filter; details only for those that
  changed, moved out of the open lists, or a person is looking at.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from math import ceil

from django.db import connection
from django.db.models import F, Max
from django.utils import timezone

from portal.autosync.errors import AutoSyncError, BudgetExhausted, NotFound, ReconnectRequired
from portal.autosync.pages import Page
from portal.shops.models import Shop
from portal.shops.tokens import client_for

from . import lease, records
from .models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    RESOURCES,
    RequestCount,
    ResourceState,
    RunProgress,
    SyncRun,
    SyncState,
    WorkOrder,
)

log = logging.getLogger(__name__)

PER_PAGE = 100
#: `created_after` is strict and to the second: start a little earlier, so a record created
#: in the same second as the newest one mirrored is never skipped (upserts absorb the repeat).
CREATED_OVERLAP = timedelta(seconds=5)
#: The order of a full sync: people first, so that pages can show names early.
FULL_ORDER = (
    "employees",
    "customers",
    "vehicles",
    "workorders",
    "appointments",
    "payments",
    "inventory",
)
DETAILS = "details"  # the progress row of a full sync's work order details


class Paused(Exception):
    """The shop stopped being syncable (needs reconnecting, disconnected, not granted)."""


def resource_of(path: str) -> str:
    """`/shops/7/workorders/12` → `workorders` (requests are counted per resource)."""
    parts = path.strip("/").split("/")
    return parts[2] if len(parts) > 2 and parts[0] == "shops" else "shops"


def count_request(shop_id: int, resource: str) -> None:
    """Add one request to the shop's count for this minute (one upsert, race-free)."""
    minute = timezone.now().replace(second=0, microsecond=0)
    field = RequestCount._meta.get_field("minute")
    q = connection.ops.quote_name
    table = q(RequestCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({q('shop_id')}, {q('resource')}, {q('minute')}, {q('count')}) "  # noqa: S608
            f"VALUES (%s, %s, %s, 1) ON CONFLICT ({q('shop_id')}, {q('resource')}, {q('minute')}) "
            f"DO UPDATE SET {q('count')} = {table}.{q('count')} + 1",
            [shop_id, resource, field.get_db_prep_save(minute, connection)],
        )


def requests_last_hour(shop_id: int) -> dict[str, int]:
    since = timezone.now() - timedelta(hours=1)
    counts: dict[str, int] = {}
    for resource, count in RequestCount.objects.filter(
        shop_id=shop_id, minute__gte=since
    ).values_list("resource", "count"):
        counts[resource] = counts.get(resource, 0) + count
    return counts


def run(run_id: int, *, budget_timeout: float = 0.0) -> SyncRun | None:
    """Carry out one recorded run under the shop's lease. Idempotent: a finished run is left
    alone, an interrupted one resumes from its saved progress. Raises LeaseBusy when another
    sync of the shop is running, and transient AutoSyncErrors (BudgetExhausted among them)
    for the task to reschedule; anything else is the task's to record."""
    sync_run = SyncRun.objects.select_related("shop__connection").filter(pk=run_id).first()
    if sync_run is None:
        log.info("Sync run %s no longer exists (its shop was deleted)", run_id)
        return None
    if not sync_run.is_active:
        return sync_run
    shop = sync_run.shop
    if not shop.is_syncable:
        _finish(sync_run, SyncRun.Status.PAUSED, f"shop is {shop.health}")
        return sync_run
    owner = f"{sync_run.pk}:{uuid.uuid4().hex[:12]}"
    lease.take(shop.pk, owner)
    try:
        now = timezone.now()
        SyncRun.objects.filter(pk=run_id).update(
            status=SyncRun.Status.RUNNING,
            started_at=sync_run.started_at or now,
            heartbeat_at=now,
            attempts=sync_run.attempts + 1,
            not_before=None,
            wait_reason="",
        )
        sync_run.refresh_from_db()
        ShopSync(sync_run, owner, budget_timeout).execute()
    except (Paused, ReconnectRequired) as exc:
        _finish(sync_run, SyncRun.Status.PAUSED, str(exc))
    except AutoSyncError as exc:
        if not exc.permanent:
            raise
        _finish(sync_run, SyncRun.Status.FAILED, str(exc))
    else:
        _finish(sync_run, SyncRun.Status.DONE)
        if sync_run.mode == SyncRun.Mode.FULL:
            SyncState.objects.filter(shop=shop).update(full_synced_at=sync_run.started_at)
    finally:
        lease.release(shop.pk, owner)
    return sync_run


def _finish(sync_run: SyncRun, status: str, error: str = "") -> None:
    SyncRun.objects.filter(pk=sync_run.pk).update(
        status=status,
        finished_at=timezone.now(),
        error=error[:2000],
        not_before=None,
        wait_reason="",
    )
    sync_run.refresh_from_db()
    if error:
        log.info("Sync %s of shop %s: %s (%s)", sync_run.pk, sync_run.shop_id, status, error)


class ShopSync:
    """One run's work: the client, the lease heartbeat, and the three plans."""

    def __init__(self, sync_run: SyncRun, owner: str, budget_timeout: float = 0.0) -> None:
        self.run = sync_run
        self.owner = owner
        self.shop = sync_run.shop
        self.remote = self.shop.remote_id
        self.client = client_for(
            self.shop,
            priority="background",
            budget_timeout=budget_timeout,
            on_request=self._counted,
        )
        self.detailed: set[int] = set()
        # Open work orders whose list form differed from the mirror when a page came in.
        self.wanted_details: set[int] = set()

    def _counted(self, method: str, path: str, status: int | None, seconds: float) -> None:
        count_request(self.shop.pk, resource_of(path))

    def execute(self) -> None:
        plan = {
            SyncRun.Mode.FULL: self.full,
            SyncRun.Mode.INCREMENTAL: self.incremental,
            SyncRun.Mode.OPEN: self.open_work_orders,
        }[self.run.mode]
        try:
            plan()
        finally:
            SyncRun.objects.filter(pk=self.run.pk).update(
                requests=self.run.requests + self.client.requests_made
            )

    # --- The plans ------------------------------------------------------------------------

    def full(self) -> None:
        for resource in FULL_ORDER:
            self._guard(resource, lambda r=resource: self._all_pages(r))
        self._guard("workorders", self._open_details)

    def incremental(self) -> None:
        for resource in ("customers", "workorders"):
            self._guard(resource, lambda r=resource: self._created_since(r))
        for resource in ("vehicles", "appointments", "payments", "inventory", "employees"):
            self._guard(resource, lambda r=resource: self._tail(r))

    def open_work_orders(self) -> None:
        self._guard("workorders", self._poll_open)

    # --- Lists ----------------------------------------------------------------------------

    def _list(self, resource: str, page: int, **filters) -> tuple[Page, datetime]:
        """One page of a list, applied to the mirror; the page and when it was asked for."""
        method = {
            "customers": self.client.list_customers,
            "vehicles": self.client.list_vehicles,
            "workorders": self.client.list_work_orders,
            "appointments": self.client.list_appointments,
            "payments": self.client.list_payments,
            "inventory": self.client.list_parts,
            "employees": self.client.list_employees,
        }[resource]
        observed_at = timezone.now()  # before sending: the data is at least this fresh
        result = method(self.remote, page=page, per_page=PER_PAGE, **filters)
        if resource == "workorders":
            self._detail_candidates(result.items)
        self._skipped(records.apply(resource, self.shop.pk, result.items, observed_at))
        if not filters and result.total is not None:
            ResourceState.objects.update_or_create(
                shop=self.shop, resource=resource, defaults={"remote_total": result.total}
            )
        self._heartbeat()
        return result, observed_at

    def _all_pages(self, resource: str) -> None:
        progress, created = RunProgress.objects.get_or_create(run=self.run, resource=resource)
        if created:  # a new listing: what it skips is counted afresh
            ResourceState.objects.filter(shop=self.shop, resource=resource).update(
                skipped=0, last_skipped=""
            )
        stable = False  # a run resumed after its last page does not judge removals
        while not progress.finished:
            page, _ = self._list(resource, progress.next_page)
            if progress.total is None:
                progress.total = page.total
            seen = (progress.next_page - 1) * PER_PAGE + len(page.items)
            progress.done = seen if page.total is None else min(seen, page.total)
            progress.next_page += 1
            progress.finished = not page.has_next
            stable = page.total == progress.total
            if progress.finished and page.total is not None:
                progress.total = page.total
            progress.save()
        if progress.finished and stable:
            self._mark_removed(resource)

    def _mark_removed(self, resource: str) -> None:
        """Rows this run never confirmed are gone at AutoSync (kept, marked, not deleted).
        Only when the list's total did not move during the run: a removal while paging
        shifts the pages, and a record could slip between two of them unseen."""
        model = records.KINDS[resource].model
        gone = model.objects.filter(
            shop=self.shop, removed_at__isnull=True, confirmed_at__lt=self.run.started_at
        ).update(removed_at=timezone.now())
        if gone:
            log.info("%s %s of shop %s are gone at AutoSync", gone, resource, self.shop.pk)

    def _created_since(self, resource: str) -> None:
        model = records.KINDS[resource].model
        newest = model.objects.filter(shop=self.shop).aggregate(Max("remote_created_at"))[
            "remote_created_at__max"
        ]
        if newest is None:
            return self._pages_from(resource, 1)
        return self._pages_from(resource, 1, created_after=newest - CREATED_OVERLAP)

    def _tail(self, resource: str) -> None:
        """Lists are ordered by id, so new records are at the end: start at the page that
        holds the first record past what is mirrored."""
        model = records.KINDS[resource].model
        mirrored = model.objects.filter(shop=self.shop, removed_at__isnull=True).count()
        self._pages_from(resource, mirrored // PER_PAGE + 1)

    def _pages_from(self, resource: str, first: int, **filters) -> None:
        progress, _ = RunProgress.objects.get_or_create(run=self.run, resource=resource)
        number = first
        while True:
            page, _ = self._list(resource, number, **filters)
            if page.total is not None:
                progress.total = page.total if filters else page.total - (first - 1) * PER_PAGE
            progress.done += len(page.items)
            progress.save()
            if not page.has_next:
                break
            number += 1
        progress.finished = True
        progress.save()

    # --- Work order details ---------------------------------------------------------------

    def _detail_candidates(self, items: list[dict]) -> None:
        """Before a list page is applied: the open work orders in it whose list form differs
        from the mirror, and active ones whose detail was never mirrored, need their detail."""
        ids = [records.integer(i.get("id")) for i in items if isinstance(i, dict)]
        mirrored = {
            w.remote_id: w
            for w in WorkOrder.objects.filter(shop=self.shop, remote_id__in=ids).only(
                "remote_id", "remote_updated_at", "total", "status", "detail_observed_at"
            )
        }
        for item in items:
            if not isinstance(item, dict) or item.get("status") not in OPEN_STATUSES:
                continue
            remote_id = records.integer(item.get("id"))
            if remote_id is None:
                continue
            known = mirrored.get(remote_id)
            never_detailed = known is None or known.detail_observed_at is None
            changed = known is not None and (
                known.status != item.get("status")
                or known.total != records.money(item.get("total"))
                or known.remote_updated_at != records.parse_time(item.get("updated_at"))
            )
            if changed or (never_detailed and item.get("status") in ACTIVE_STATUSES):
                self.wanted_details.add(remote_id)

    def _fetch_details(self, remote_ids: Iterable[int], progress: RunProgress | None = None):
        for remote_id in sorted(set(remote_ids) - self.detailed):
            observed_at = timezone.now()
            try:
                detail = self.client.get_work_order(self.remote, remote_id)
            except NotFound:
                WorkOrder.objects.filter(
                    shop=self.shop, remote_id=remote_id, removed_at__isnull=True
                ).update(removed_at=timezone.now())
                detail = None
            if detail is not None:
                self._skipped(records.apply_work_order_detail(self.shop.pk, detail, observed_at))
            self.detailed.add(remote_id)
            self.wanted_details.discard(remote_id)
            if progress is not None:
                progress.done += 1
                progress.save(update_fields=["done"])
            self._heartbeat()

    def _stale_details(self, among: set[int] | None = None) -> set[int]:
        """Open work orders whose mirrored detail is older than their last change (AutoSync's
        updated_at is to the second: a change in the second of the fetch counts), and active
        ones whose detail was never mirrored."""
        open_orders = WorkOrder.objects.filter(
            shop=self.shop, status__in=OPEN_STATUSES, removed_at__isnull=True
        )
        if among is not None:
            open_orders = open_orders.filter(remote_id__in=among)
        stale = set()
        for remote_id, status, updated, detailed in open_orders.values_list(
            "remote_id", "status", "remote_updated_at", "detail_observed_at"
        ):
            if detailed is None:
                if status in ACTIVE_STATUSES:
                    stale.add(remote_id)
            elif updated and updated + timedelta(seconds=1) > detailed:
                stale.add(remote_id)
        return stale

    def _open_details(self) -> None:
        """After a full list: the details of active work orders not yet (or no longer) fresh."""
        progress, _ = RunProgress.objects.get_or_create(run=self.run, resource=DETAILS)
        stale = self._stale_details() | self.wanted_details
        progress.total = progress.done + len(stale)
        progress.save()
        self._fetch_details(stale, progress)
        progress.finished = True
        progress.save()

    def _poll_open(self) -> None:
        seen: set[int] = set()
        for status in OPEN_STATUSES:
            number = 1
            while True:
                page, _ = self._list("workorders", number, status=status)
                seen.update(records.integer(i.get("id")) for i in page.items if isinstance(i, dict))
                if not page.has_next:
                    break
                number += 1
        # Open in the mirror but in no open list: invoiced (or gone) since; its detail says.
        moved = set(
            WorkOrder.objects.filter(
                shop=self.shop, status__in=OPEN_STATUSES, removed_at__isnull=True
            )
            .exclude(remote_id__in=seen)
            .values_list("remote_id", flat=True)
        )
        wanted = set(
            WorkOrder.objects.filter(
                shop=self.shop, wanted_until__gt=timezone.now(), removed_at__isnull=True
            ).values_list("remote_id", flat=True)
        )
        self._fetch_details(self.wanted_details | self._stale_details(seen) | moved | wanted)

    # --- Bookkeeping ----------------------------------------------------------------------

    def _guard(self, resource: str, work: Callable[[], None]) -> None:
        """Run one resource's work; record its success or error. A permanent error of one
        resource (e.g. a scope the grant lacks) does not stop the others."""
        try:
            work()
        except BudgetExhausted:
            raise  # not an error: the run waits for room and resumes
        except AutoSyncError as exc:
            ResourceState.objects.update_or_create(
                shop=self.shop,
                resource=resource,
                defaults={"last_error": str(exc)[:2000], "last_error_at": timezone.now()},
            )
            if not exc.permanent or isinstance(exc, ReconnectRequired):
                raise
            log.warning("Sync of %s for shop %s failed: %r", resource, self.shop.pk, exc)
        except Exception as exc:
            # Not AutoSync's: the task records it on the run and retries or fails it; the
            # resource shows it too.
            ResourceState.objects.update_or_create(
                shop=self.shop,
                resource=resource,
                defaults={
                    "last_error": f"{type(exc).__name__}: {exc}"[:2000],
                    "last_error_at": timezone.now(),
                },
            )
            raise
        else:
            ResourceState.objects.update_or_create(
                shop=self.shop,
                resource=resource,
                defaults={"last_success_at": timezone.now(), "last_error": ""},
            )

    def _skipped(self, applied: records.Applied) -> None:
        if applied.skipped:
            SyncRun.objects.filter(pk=self.run.pk).update(
                skipped=F("skipped") + len(applied.skipped)
            )

    def _heartbeat(self) -> None:
        """After every request: keep the lease, and stop if the shop is no longer syncable."""
        lease.renew(self.shop.pk, self.owner)
        SyncRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())
        if not Shop.objects.syncable().filter(pk=self.shop.pk).exists():
            raise Paused("the shop is no longer syncable (it needs reconnecting)")


def status_of(shop: Shop) -> dict[str, dict]:
    """Per resource: mirrored count, AutoSync's total, last success and error, requests."""
    states = {s.resource: s for s in ResourceState.objects.filter(shop=shop)}
    spent = requests_last_hour(shop.pk)
    result = {}
    for resource in RESOURCES:
        state = states.get(resource)
        model = records.KINDS[resource].model
        result[resource] = {
            "mirrored": model.objects.filter(shop=shop, removed_at__isnull=True).count(),
            "remote_total": state.remote_total if state else None,
            "last_success": state.last_success_at if state else None,
            "last_error": (state.last_error or None) if state else None,
            "skipped": state.skipped if state else 0,
            "last_skipped": (state.last_skipped or None) if state else None,
            "requests_last_hour": spent.get(resource, 0),
        }
    return result


def minimum_list_requests(totals: dict[str, int]) -> int:
    """The fewest list requests a full sync can make: ceil(total / 100) a resource."""
    return sum(max(1, ceil(total / PER_PAGE)) for total in totals.values())
