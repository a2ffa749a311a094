"""How fast the staff's own pages answer (their shops, a shop's page, its sync page), for an
owner of 20 shops whose shop has a team of 20, 10 pending invites, 200 syncs behind it and a
large mirror, against a bare Django page rendering the same base template.

Run from the repository root: `.venv/bin/python benchmarks/staff_pages.py`. It builds a new
portal database (SQLite in a temporary directory, or a new PostgreSQL database beside
DATABASE_URL) with one signed-in owner, and serves it with gunicorn on 127.0.0.1 with DEBUG
off. It measures, each beside the bare page (benchmarks/booking_urls.py's /bare/, same
server, same run, same session cookie): the list of the owner's shops, the shop's page (its
team, invites and sync panel) and its sync page (the last full sync's bars and the mirror's
books). Then each page's query count with one shop and an empty mirror and with everything,
which must not differ.
"""

import secrets
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import page_bench  # noqa: E402
from benchmarks.report import page_row, write_rows  # noqa: E402
from benchmarks.sandbox_lists import measure  # noqa: E402

SHOPS, TEAM, INVITES, SYNCS = 20, 20, 10, 200
#: The mirror of a shop a first sync has just filled (the sync page counts every resource).
MIRROR = {"customers": 20_000, "vehicles": 25_000, "workorders": 50_000, "payments": 50_000}
WORK, DATABASE_URL = page_bench.production_on_this_machine("staff-bench-")


def build_owner():
    """An owner and their first shop, connected, with its first full sync done."""
    from portal.accounts.models import User
    from portal.shops.models import Membership, Role, Shop
    from tests.support.portal import connection_with

    owner = User.objects.create_user("owner@example.com", secrets.token_urlsafe(16))
    shop = Shop.objects.create(
        remote_id=90000, name="Main Street Garage", connection=connection_with()
    )
    Membership.objects.create(user=owner, shop=shop, role=Role.OWNER)
    full_sync(shop, syncs=1)
    return owner, shop


def full_sync(shop, syncs: int) -> None:
    """`syncs` finished syncs of the shop, the newest a full one: its progress per resource
    (the open work orders' lists and details included), the books complete, and the requests
    of the last hour counted."""
    from django.utils import timezone

    from portal.mirror import books
    from portal.mirror.models import OPEN_STATUSES, RequestCount, RunProgress, SyncRun
    from portal.mirror.resources import REGISTRY
    from portal.mirror.sync import DETAILS, OPEN_LIST

    now = timezone.now()
    SyncRun.objects.filter(shop=shop).delete()  # the connection's own run, or ours before
    runs = SyncRun.objects.bulk_create(
        SyncRun(
            shop=shop,
            mode=SyncRun.Mode.FULL if n == syncs - 1 else SyncRun.Mode.INCREMENTAL,
            status=SyncRun.Status.DONE,
            created_at=now - timedelta(hours=6 * (syncs - n)),
            started_at=now - timedelta(hours=6 * (syncs - n)),
            finished_at=now - timedelta(hours=6 * (syncs - n) - 1),
        )
        for n in range(syncs)
    )
    lists = [*REGISTRY, *(OPEN_LIST.format(s) for s in OPEN_STATUSES), DETAILS]
    RunProgress.objects.bulk_create(
        RunProgress(run=runs[-1], resource=name, done=100, total=100, finished=True)
        for name in lists
    )
    minute = now.replace(second=0, microsecond=0)
    RequestCount.objects.filter(shop=shop).delete()
    RequestCount.objects.bulk_create(
        RequestCount(shop=shop, resource=name, minute=minute - timedelta(minutes=n), count=80)
        for name in REGISTRY
        for n in range(0, 60, 10)
    )
    for name in REGISTRY:
        books.note_total(shop, name, MIRROR.get(name, 100))
        books.succeeded(shop, name)
        books.completed(shop, name)


def add_everything(owner, shop) -> None:
    """The owner's other shops, the shop's team and invites, its past syncs, its mirror."""
    from portal.accounts.models import User
    from portal.shops.models import Invite, Membership, Role, Shop

    for n in range(1, SHOPS):
        other = Shop.objects.create(
            remote_id=90000 + n, name=f"Garage {n:02}", connection=shop.connection
        )
        Membership.objects.create(user=owner, shop=other, role=Role.OWNER)
    for n in range(1, TEAM):
        mate = User.objects.create_user(f"mate{n}@example.com", secrets.token_urlsafe(16))
        role = Role.MANAGER if n % 5 == 0 else Role.STAFF
        Membership.objects.create(user=mate, shop=shop, role=role)
    Invite.objects.bulk_create(
        Invite(shop=shop, email=f"invited{n}@example.com", invited_by=owner) for n in range(INVITES)
    )
    full_sync(shop, syncs=SYNCS)
    mirror(shop)


def mirror(shop) -> None:
    """MIRROR's rows, in bulk, as a first sync leaves them."""
    from django.utils import timezone

    from portal.mirror import models as m

    now = timezone.now()
    clock = {"observed_at": now, "confirmed_at": now}
    m.Customer.objects.bulk_create(
        (
            m.Customer(shop=shop, remote_id=n, first_name=f"Pat{n}", last_name="Lee", **clock)
            for n in range(MIRROR["customers"])
        ),
        batch_size=1000,
    )
    m.Vehicle.objects.bulk_create(
        (
            m.Vehicle(shop=shop, remote_id=n, customer_remote_id=n % MIRROR["customers"], **clock)
            for n in range(MIRROR["vehicles"])
        ),
        batch_size=1000,
    )
    m.WorkOrder.objects.bulk_create(
        (
            m.WorkOrder(
                shop=shop,
                remote_id=n,
                number=f"WO-{n:05}",
                status="invoiced",
                customer_remote_id=n % MIRROR["customers"],
                vehicle_remote_id=n % MIRROR["vehicles"],
                subtotal=Decimal("120.00"),
                total=Decimal("120.00"),
                remote_created_at=now - timedelta(minutes=n),
                remote_updated_at=now - timedelta(minutes=n),
                **clock,
            )
            for n in range(MIRROR["workorders"])
        ),
        batch_size=1000,
    )
    m.Payment.objects.bulk_create(
        (
            m.Payment(
                shop=shop,
                remote_id=n,
                work_order_remote_id=n % MIRROR["workorders"],
                amount=Decimal("120.00"),
                method="card",
                status="succeeded",
                remote_created_at=now - timedelta(minutes=n),
                **clock,
            )
            for n in range(MIRROR["payments"])
        ),
        batch_size=1000,
    )


def main() -> None:
    args = page_bench.arguments(__doc__.split("\n")[0])
    with page_bench.portal_run(WORK, DATABASE_URL, args.workers) as serve:
        from django.urls import reverse

        owner, shop = build_owner()
        cookie = page_bench.session_cookie(owner)
        pages = {
            "staff shop list": reverse("shops:list"),
            "shop page": reverse("shops:detail", args=[shop.pk]),
            "sync page": reverse("mirror:shop-sync", args=[shop.pk]),
        }
        few = page_bench.query_counts(pages, cookie)
        started = time.monotonic()
        add_everything(owner, shop)
        seconds = time.monotonic() - started
        many = page_bench.query_counts(pages, cookie)
        print(
            f"database: {DATABASE_URL.split('://')[0]}; an owner of {SHOPS} shops, a team of "
            f"{TEAM} and {INVITES} invites, {SYNCS} syncs, "
            + ", ".join(f"{n:,} {name}" for name, n in MIRROR.items())
            + f" mirrored, in {seconds:.1f} s"
        )
        cpu = {
            name: page_bench.cpu_ms(path, cookie)
            for name, path in {**pages, "bare": "/bare/"}.items()
        }
        print(
            "processor ms per request, in-process mean: "
            + ", ".join(f"{name} {ms:.1f}" for name, ms in cpu.items())
        )

        server = serve()
        print(
            f"{args.requests} requests per page, {args.concurrency} concurrent, "
            f"gunicorn {args.workers} workers x 8 threads, DEBUG off, signed in\n"
        )
        header = (
            f"{'page':<16}{'queries':>10} | {'req/s':>7}{'p50 ms':>8}{'p95 ms':>8} | "
            f"{'bare r/s':>9}{'p50 ms':>8}{'p95 ms':>8} | {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        signed_in = {"Cookie": cookie}
        rows = []
        for name, path in pages.items():
            mine = measure(server.url, [path] * args.requests, signed_in, args.concurrency)
            bare = measure(server.url, ["/bare/"] * args.requests, signed_in, args.concurrency)
            print(
                f"{name:<16}{few[name]:>4} -> {many[name]:<3} | {mine['rps']:>7.0f}"
                f"{mine['p50']:>8.1f}{mine['p95']:>8.1f} | {bare['rps']:>9.0f}"
                f"{bare['p50']:>8.1f}{bare['p95']:>8.1f} | {mine['rps'] / bare['rps']:>5.2f}"
            )
            spent = (cpu[name], cpu["bare"])
            rows.append(page_row("Staff pages", name, mine, bare, cpu_ms=spent))
        write_rows(args.json, rows)
        print(
            "\nqueries: with one shop and an empty mirror -> with everything; ratio: page "
            "requests per second / bare page requests per second (target at least 0.5, and "
            "p95 under 50 ms)"
        )


if __name__ == "__main__":
    main()
