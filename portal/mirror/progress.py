"""What the sync progress page shows: the current (or last) run per resource, and the books."""

from __future__ import annotations

from portal.shops.models import Connection, Shop

from . import books as ledger
from .models import OPEN_STATUSES, RunProgress, SyncRun
from .resources import REGISTRY
from .sync import DETAILS, FULL_ORDER, OPEN_LIST

OPEN = "open"  # the bar of a full sync's open work order lists, all statuses together
LABELS = {
    **{name: resource.label for name, resource in REGISTRY.items()},
    OPEN: "Open work orders",
    DETAILS: "Open work order details",
}


def bar(resource: str, done: int, total: int | None, finished: bool) -> dict:
    """A bar of the page, as a dict of plain values (the template engine reads a dict's key at
    once, an object's attribute only after a failed lookup): `maximum` is the <progress>
    element's max, 1 for an empty list so that a finished bar is full."""
    maximum = max(total or 0, done, 1)
    return {
        "resource": resource,
        "label": LABELS.get(resource, resource),
        "done": done,
        "total": total,
        "finished": finished,
        "maximum": maximum,
        "value": maximum if finished else done,
    }


ACTIVE = (SyncRun.Status.PENDING, SyncRun.Status.RUNNING)


def shown_run(shop: Shop) -> SyncRun | None:
    """The run the page shows: the active one, else the newest full sync, else the newest run.
    (Asked as simple queries: one query ordered by a CASE costs Django more to build than
    these cost together.)"""
    runs = SyncRun.objects.filter(shop=shop)
    return (
        runs.filter(status__in=ACTIVE).first()
        or runs.filter(mode=SyncRun.Mode.FULL).first()
        or runs.first()
    )


def context(shop: Shop, *, compact: bool = False) -> dict:
    """The template context of `mirror/sync.html` (and of its `progress` partial).

    `compact` is the shop page's panel: the bars without the records table."""
    run = shown_run(shop)
    bars = []
    read: dict[str, int] = {}  # per resource, the records the run's lists read
    if run is not None:
        # Per resource: (done, total, finished).
        saved = {
            resource: (done, total, finished)
            for resource, done, total, finished in RunProgress.objects.filter(run=run).values_list(
                "resource", "done", "total", "finished"
            )
        }
        read = {name: done for name, (done, _, _) in saved.items()}
        lists = [
            saved.pop(OPEN_LIST.format(s)) for s in OPEN_STATUSES if OPEN_LIST.format(s) in saved
        ]
        if lists:
            saved[OPEN] = (
                sum(done for done, _, _ in lists),
                sum(total or 0 for _, total, _ in lists),
                len(lists) == len(OPEN_STATUSES) and all(finished for _, _, finished in lists),
            )
        order = (
            (FULL_ORDER[0], OPEN, DETAILS, *FULL_ORDER[1:])
            if run.mode == SyncRun.Mode.FULL
            else tuple(saved)
        )
        bars = [bar(resource, *saved.get(resource, (0, None, False))) for resource in order]
    disconnected = shop.health == Connection.Status.DISCONNECTED
    result = {
        "shop": shop,
        "run": run,
        "running": bool(run and run.is_active) and not disconnected,
        "disconnected": disconnected,
        "bars": bars,
        "compact": compact,
        # Why a running sync waits, in plain words ("" when it does not).
        "waiting": run.pause if run is not None and not disconnected else "",
    }
    if not compact:
        books = ledger.recorded(shop)
        # What the mirror holds, as the sync's books say (counting the mirror's rows on each
        # request would cost more the larger the shop): the newest finished full sync's reads.
        done_full = run is not None and run.mode == SyncRun.Mode.FULL
        done_full = done_full and run.status == SyncRun.Status.DONE
        listed = read if done_full else ledger.last_full_listing(shop)
        for name, book in books.items():
            book["mirrored"] = listed.get(name)
        # The sync's own order (bars, table and anywhere else), not the table's.
        order = [r for r in FULL_ORDER if r in books] + [r for r in books if r not in FULL_ORDER]
        result["books"] = [(LABELS[r], r, books[r]) for r in order]
        result["updated_at"] = max(
            (b["last_success"] for b in books.values() if b["last_success"]), default=None
        )
    return result
