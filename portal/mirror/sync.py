"""Sync services: plain functions over ids that fill a shop's mirror from AutoSync.

Three plans, each spending the fewest requests the API allows (see docs/portal-mirror.md):
- full: every list at 100 a page, each page once, in the order pages need them: staff, the
  open work orders (with the active ones' details), the newest page of every list, then the
  rest of each list from its end backwards (resumable: progress is saved after each page);
  marks what AutoSync no longer returns.
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

from django.db.models import F, Max
from django.utils import timezone

from portal.autosync.errors import AutoSyncError, BudgetExhausted, NotFound, ReconnectRequired
from portal.autosync.pages import Page
from portal.shops.models import Shop

from . import books, lease, records
from .models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    RunProgress,
    SyncRun,
    SyncState,
    WorkOrder,
)
from .resources import REGISTRY

log = logging.getLogger(__name__)

PER_PAGE = 100
#: `created_after` is strict and to the second: start a little earlier, so a record created
#: in the same second as the newest one mirrored is never skipped (upserts absorb the repeat).
CREATED_OVERLAP = timedelta(seconds=5)
#: A full sync lists staff first (pages name technicians), then, after the open work orders,
#: the newest page of each of these lists and then the rest of each, in this order:
#: appointments first, a small list that booking waits for whole.
NEWEST_FIRST = ("appointments", "workorders", "payments", "customers", "vehicles", "inventory")
FULL_ORDER = ("employees", *NEWEST_FIRST)
#: The progress row of a full sync's open work orders of one status ("open:draft", …).
OPEN_LIST = "open:{}"
DETAILS = "details"  # the progress row of a full sync's work order details


class Paused(Exception):
    """The shop stopped being syncable (needs reconnecting, disconnected, not granted)."""


def following(number: int, first_total: int | None, has_next: bool) -> int | None:
    """The page a full listing reads after page `number`, or None when it is done: page 1
    first (its total tells the last page), then from the last page backwards to page 2, so
    the newest records arrive first; forwards when AutoSync sends no total. Each page once.

    Backwards is also the safer way round: a record removed meanwhile shifts the others
    towards the pages still to read, so none slips between two pages unseen."""
    if first_total is None:
        return number + 1 if has_next else None
    if number == 1:
        last = ceil(first_total / PER_PAGE)
        return last if last > 1 else None
    return number - 1 if number > 2 else None


def is_newest(number: int, first_total: int | None) -> bool:
    """Whether page `number` is read in the newest pass: page 1 (for the total), and the pages
    that hold the last 100 records."""
    if number == 1:
        return True
    return first_total is not None and number * PER_PAGE > first_total - PER_PAGE


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
        self.client = books.client_for(self.shop, budget_timeout)
        self.detailed: set[int] = set()
        # Open work orders whose list form differed from the mirror when a page came in.
        self.wanted_details: set[int] = set()

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
        """What pages show first arrives first (docs/portal-mirror.md, "The first sync fills…")."""
        if not RunProgress.objects.filter(run=self.run).exists():  # begun, not resumed
            for resource in REGISTRY:
                books.listing_started(self.shop, resource)  # what it skips, counted afresh
        self._guard("employees", lambda: self._listing("employees"))
        self._guard("workorders", self._open_first, partial=True)
        for resource in NEWEST_FIRST:
            self._guard(resource, lambda r=resource: self._listing(r, newest=True), partial=True)
        for resource in NEWEST_FIRST:
            self._guard(resource, lambda r=resource: self._listing(r))
        self._guard("workorders", self._open_details)

    def incremental(self) -> None:
        for resource in REGISTRY.values():
            if resource.incremental == "created_after":
                self._guard(resource.name, lambda r=resource.name: self._created_since(r))
            else:
                self._guard(resource.name, lambda r=resource.name: self._tail(r))

    def open_work_orders(self) -> None:
        self._guard("workorders", self._poll_open)

    # --- Lists ----------------------------------------------------------------------------

    def _list(self, resource: str, page: int, **filters) -> tuple[Page, datetime]:
        """One page of a list, applied to the mirror; the page and when it was asked for."""
        method = getattr(self.client, REGISTRY[resource].list_method)
        observed_at = timezone.now()  # before sending: the data is at least this fresh
        result = method(self.remote, page=page, per_page=PER_PAGE, **filters)
        if resource == "workorders":
            self._detail_candidates(result.items)
        self._skipped(records.apply(resource, self.shop.pk, result.items, observed_at))
        if not filters and result.total is not None:
            books.note_total(self.shop, resource, result.total)
        self._heartbeat()
        return result, observed_at

    def _listing(self, resource: str, *, newest: bool = False) -> None:
        """Read a whole list, each page once (see `following`); with `newest`, only the pages
        of the newest pass (`is_newest`), the rest left for a later call."""
        progress, _ = RunProgress.objects.get_or_create(run=self.run, resource=resource)
        stable = False  # a run resumed after its last page does not judge removals
        while not progress.finished and (
            not newest or is_newest(progress.next_page, progress.total)
        ):
            page, _ = self._list(resource, progress.next_page)
            if progress.total is None:
                progress.total = page.total
            progress.done += len(page.items)
            if progress.total is not None:
                progress.done = min(progress.done, progress.total)
            after = following(progress.next_page, progress.total, page.has_next)
            stable = page.total == progress.total
            progress.finished = after is None
            progress.next_page = after or progress.next_page
            progress.save()
        if progress.finished:
            books.completed(self.shop, resource)
            if stable:
                self._mark_removed(resource)

    def _mark_removed(self, resource: str) -> None:
        """Rows this run never confirmed are gone at AutoSync (kept, marked, not deleted).
        Only when the list's total did not move during the run: a record created meanwhile
        is on no page read, one removed shifts the pages."""
        model = REGISTRY[resource].model
        gone = (
            model.objects.of(self.shop)
            .live()
            .filter(confirmed_at__lt=self.run.started_at)
            .update(removed_at=timezone.now())
        )
        if gone:
            log.info("%s %s of shop %s are gone at AutoSync", gone, resource, self.shop.pk)

    def _created_since(self, resource: str) -> None:
        model = REGISTRY[resource].model
        newest = model.objects.filter(shop=self.shop).aggregate(Max("remote_created_at"))[
            "remote_created_at__max"
        ]
        if newest is None:
            return self._pages_from(resource, 1)
        return self._pages_from(resource, 1, created_after=newest - CREATED_OVERLAP)

    def _tail(self, resource: str) -> None:
        """Lists are ordered by id, so new records are at the end: start at the page that
        holds the first record past what is mirrored."""
        model = REGISTRY[resource].model
        mirrored = model.objects.of(self.shop).live().count()
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
                WorkOrder.objects.of(self.shop).live().filter(remote_id=remote_id).update(
                    removed_at=timezone.now()
                )
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
        open_orders = WorkOrder.objects.of(self.shop).live().open()
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

    def _open_first(self) -> None:
        """The open work orders, by the `status` filter, then the details of the active ones:
        what the dashboard and the owner's garage show first."""
        for status in OPEN_STATUSES:
            key = OPEN_LIST.format(status)
            progress, _ = RunProgress.objects.get_or_create(run=self.run, resource=key)
            while not progress.finished:
                page, _ = self._list("workorders", progress.next_page, status=status)
                progress.total = page.total
                progress.done += len(page.items)
                progress.finished = not page.has_next
                progress.next_page += 1
                progress.save()
        self._open_details()

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
            WorkOrder.objects.of(self.shop)
            .live()
            .open()
            .exclude(remote_id__in=seen)
            .values_list("remote_id", flat=True)
        )
        wanted = set(
            WorkOrder.objects.of(self.shop)
            .live()
            .filter(wanted_until__gt=timezone.now())
            .values_list("remote_id", flat=True)
        )
        self._fetch_details(self.wanted_details | self._stale_details(seen) | moved | wanted)

    # --- Bookkeeping ----------------------------------------------------------------------

    def _guard(self, resource: str, work: Callable[[], None], *, partial: bool = False) -> None:
        """Run one resource's work; record its success (unless the work is `partial`, a first
        part of the resource) or its error. A permanent error of one resource (e.g. a scope
        the grant lacks) does not stop the others."""
        try:
            work()
        except BudgetExhausted:
            raise  # not an error: the run waits for room and resumes
        except AutoSyncError as exc:
            books.failed(self.shop, resource, str(exc))
            if not exc.permanent or isinstance(exc, ReconnectRequired):
                raise
            log.warning("Sync of %s for shop %s failed: %r", resource, self.shop.pk, exc)
        except Exception as exc:
            # Not AutoSync's: the task records it on the run and retries or fails it; the
            # resource shows it too.
            books.failed(self.shop, resource, f"{type(exc).__name__}: {exc}")
            raise
        else:
            if not partial:
                books.succeeded(self.shop, resource)

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
