"""How fast the staff dashboard answers for a shop with 20,000 work orders and 50,000 payments
mirrored, against a bare Django page rendering the same base template.

Run from the repository root: `.venv/bin/python benchmarks/dashboard_pages.py`. It builds a new
portal database (SQLite in a temporary directory, or a new PostgreSQL database beside
DATABASE_URL) with one connected shop and a signed-in member, fills its mirror in bulk (a
year of work orders, most invoiced, a few hundred open with their status history and line
items; payments, a few refunded; customers, vehicles, appointments, parts), and serves it with
gunicorn on 127.0.0.1 with DEBUG off. It measures, each beside the bare page
(benchmarks/booking_urls.py's /bare/, same server, same run, same session cookie): the
overview, the board (its first pages, a status and a search), and the unchanged refresh
(htmx's poll with the tag it already shows: 204, nothing rendered). Then each page's query
count with a handful of rows and with all of them, which must not differ.
"""

import random
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

WORK_ORDERS = 20_000
PAYMENTS = 50_000
CUSTOMERS = 6_000
OPEN = 400  # work orders not invoiced yet (draft, in progress, waiting for parts, completed)
WORK, DATABASE_URL = page_bench.production_on_this_machine("dashboard-bench-")


def build_shop():
    """A connected shop in Chicago, and its owner."""
    from portal.accounts.models import User
    from portal.shops.models import Membership, Role, Shop
    from tests.support.portal import connection_with

    shop = Shop.objects.create(
        remote_id=90001,
        name="Main Street Garage",
        timezone="America/Chicago",
        connection=connection_with(),
    )
    user = User.objects.create_user("owner@example.com", secrets.token_urlsafe(16))
    Membership.objects.create(user=user, shop=shop, role=Role.OWNER)
    return shop, user


def mirror(shop, scale: float, first_id: int) -> None:
    """The shop's mirror at `scale` of the full size, in bulk: remote ids from `first_id`."""
    from django.utils import timezone

    from portal.mirror import models as m

    rng = random.Random(first_id)
    now = timezone.now()
    ids = iter(range(first_id, first_id + 10_000_000))
    clock = {"observed_at": now, "confirmed_at": now}
    customers = max(1, int(CUSTOMERS * scale))
    people = m.Customer.objects.bulk_create(
        (
            m.Customer(
                shop=shop,
                remote_id=next(ids),
                first_name=f"Pat{n}",
                last_name=rng.choice(("Lee", "Diaz", "Novak", "Okafor", "Smith")),
                remote_created_at=now - timedelta(days=rng.randrange(365)),
                **clock,
            )
            for n in range(customers)
        ),
        batch_size=1000,
    )
    cars = m.Vehicle.objects.bulk_create(
        (
            m.Vehicle(
                shop=shop,
                remote_id=next(ids),
                customer_remote_id=person.remote_id,
                year=rng.randint(2005, 2025),
                make=rng.choice(("Ford", "Toyota", "Honda", "Kia", "BMW")),
                model=rng.choice(("Focus", "Corolla", "Civic", "Rio", "X3")),
                license_plate=f"{rng.randrange(10**6):06}",
                **clock,
            )
            for person in people
        ),
        batch_size=1000,
    )
    parts = m.Part.objects.bulk_create(
        (
            m.Part(
                shop=shop,
                remote_id=next(ids),
                part_number=f"P-{n}",
                name=f"Part {n}",
                quantity=0 if n == 0 else rng.randint(0, 30),  # one low at any scale
                reorder_threshold=rng.randint(2, 8),
                remote_updated_at=now,
                **clock,
            )
            for n in range(max(1, int(300 * scale)))
        ),
        batch_size=1000,
    )
    count = max(5, int(WORK_ORDERS * scale))
    opened = max(4, int(OPEN * scale))
    statuses = ("draft", "in_progress", "waiting_parts", "completed")
    orders = []
    for n in range(count):
        car = rng.choice(cars)
        created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
        status = statuses[n % 4] if n < opened else "invoiced"
        total = Decimal(rng.randrange(5_000, 200_000)) / 100
        orders.append(
            m.WorkOrder(
                shop=shop,
                remote_id=next(ids),
                number=f"WO-{n:05}",
                status=status,
                customer_remote_id=car.customer_remote_id,
                customer_name="Pat Lee",
                vehicle_remote_id=car.remote_id,
                technician_remote_id=n % 6,
                technician_name=f"Tech {n % 6}",
                subtotal=total,
                total=total,
                remote_created_at=created,
                remote_updated_at=created,
                completed_at=None if status in statuses[:3] else created + timedelta(hours=6),
                **clock,
            )
        )
    orders = m.WorkOrder.objects.bulk_create(orders, batch_size=1000)
    active = [order for order in orders if order.status in statuses[:3]]
    m.WorkOrderStatus.objects.bulk_create(
        (
            m.WorkOrderStatus(
                work_order=order,
                status=status,
                seen_at=order.remote_created_at + timedelta(hours=h),
            )
            for order in active
            for h, status in enumerate(
                ("draft", order.status)[: 1 if order.status == "draft" else 2]
            )
        ),
        batch_size=1000,
    )
    jobs = m.Job.objects.bulk_create(
        (
            m.Job(shop=shop, remote_id=next(ids), work_order=order, name="Brakes")
            for order in active
        ),
        batch_size=1000,
    )
    m.LineItem.objects.bulk_create(
        (
            m.LineItem(
                shop=shop,
                remote_id=next(ids),
                job=job,
                type="part",
                description="A part",
                part_remote_id=rng.choice(parts).remote_id,
            )
            for job in jobs
        ),
        batch_size=1000,
    )
    m.Payment.objects.bulk_create(
        (
            m.Payment(
                shop=shop,
                remote_id=next(ids),
                work_order_remote_id=order.remote_id,
                customer_remote_id=order.customer_remote_id,
                amount=order.total,
                method="card",
                status="refunded" if n % 40 == 0 else "succeeded",
                remote_created_at=order.remote_created_at + timedelta(hours=8),
                **clock,
            )
            for n, order in enumerate(rng.choice(orders) for _ in range(int(PAYMENTS * scale)))
        ),
        batch_size=1000,
    )
    m.Appointment.objects.bulk_create(
        (
            m.Appointment(
                shop=shop,
                remote_id=next(ids),
                customer_remote_id=car.customer_remote_id,
                vehicle_remote_id=car.remote_id,
                start_time=now + timedelta(minutes=30 * rng.randrange(-48 * 30, 48 * 30)),
                status="scheduled",
                **clock,
            )
            for car in rng.sample(cars, min(len(cars), max(1, int(4_000 * scale))))
        ),
        batch_size=1000,
    )


def main() -> None:
    args = page_bench.arguments(__doc__.split("\n")[0], requests=200)
    with page_bench.portal_run(WORK, DATABASE_URL, args.workers) as serve:
        from django.urls import reverse

        from portal.dashboard.views import POLL_SCOPE

        shop, user = build_shop()
        cookie = page_bench.session_cookie(user)
        overview = reverse("dashboard:overview", args=[shop.pk])
        board = reverse("dashboard:board", args=[shop.pk])
        htmx = {"HX-Request": "true"}
        # The refresh as the page sends it: with the page's poll pass (portal.accounts.passes).
        with_pass = page_bench.poll_pass(cookie, POLL_SCOPE, shop.pk)

        def tag_of(path: str) -> str:
            return page_bench.client(cookie).get(path, headers=htmx)["ETag"].strip('"')

        def counted() -> dict[str, tuple[str, dict, int]]:
            return {
                "overview": (overview, {}, 200),
                "board": (board, {}, 200),
                "refresh": (
                    overview,
                    {**htmx, **with_pass, "X-Dashboard-Seen": tag_of(overview)},
                    204,
                ),
            }

        mirror(shop, 0.0005, first_id=1)
        few = page_bench.query_counts(counted(), cookie)
        started = time.monotonic()
        mirror(shop, 1, first_id=1_000_000)
        seconds = time.monotonic() - started
        many = page_bench.query_counts(counted(), cookie)
        print(
            f"database: {DATABASE_URL.split('://')[0]}; {WORK_ORDERS} work orders ({OPEN} open), "
            f"{PAYMENTS} payments, {CUSTOMERS} customers mirrored in {seconds:.1f} s"
        )

        server = serve()
        print(
            f"{args.requests} requests per page, {args.concurrency} concurrent, "
            f"gunicorn {args.workers} workers x 8 threads, DEBUG off, signed in\n"
        )
        signed_in = {"Cookie": cookie}
        plans = {
            "overview": ([overview], signed_in, 200),
            "board": (
                [board, f"{board}?page=2", f"{board}?status=waiting_parts", f"{board}?q=Corolla"],
                signed_in,
                200,
            ),
            "refresh": ([overview], {**signed_in, **htmx, **with_pass}, 204),
        }
        header = (
            f"{'page':<10}{'queries':>12} | {'req/s':>7}{'p50 ms':>8}{'p95 ms':>8} | "
            f"{'bare r/s':>9}{'p50 ms':>8}{'p95 ms':>8} | {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        rows = []
        bare_cpu = page_bench.cpu_ms("/bare/", cookie, count=40)
        for name, (paths, headers, status) in plans.items():
            if name == "refresh":  # the tag of now (it includes a 5-minute bucket)
                headers = {**headers, "X-Dashboard-Seen": tag_of(overview)}
            spent = (page_bench.cpu_ms(paths, cookie, headers, count=40), bare_cpu)
            plan = [paths[i % len(paths)] for i in range(args.requests)]
            mine = measure(server.url, plan, headers, args.concurrency, expect=status)
            bare = measure(server.url, ["/bare/"] * args.requests, signed_in, args.concurrency)
            print(
                f"{name:<10}{few[name]:>5} -> {many[name]:<4} | {mine['rps']:>7.0f}"
                f"{mine['p50']:>8.1f}{mine['p95']:>8.1f} | {bare['rps']:>9.0f}"
                f"{bare['p50']:>8.1f}{bare['p95']:>8.1f} | {mine['rps'] / bare['rps']:>5.2f}"
            )
            # A third of the bare page; the unchanged refresh (204) at least as fast as it.
            share = 1.0 if name == "refresh" else 1 / 3
            figure = {"overview": "dashboard (overview)", "refresh": "its unchanged refresh"}
            rows.append(
                page_row(
                    "Dashboard",
                    figure.get(name, name),
                    mine,
                    bare,
                    share=share,
                    p95_ms=100,
                    cpu_ms=spent,
                )
            )
        write_rows(args.json, rows)
        print(
            "\nqueries: with a handful of rows -> with all of them; ratio: page requests per "
            "second / bare page requests per second (target: at least 0.33 and p95 under "
            "100 ms for the pages, at least 1 for the unchanged refresh)"
        )


if __name__ == "__main__":
    main()
