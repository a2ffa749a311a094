"""How fast an owner's work order page and its live-status poll answer, for an owner with 50
work orders and 200 payments, against a bare Django page rendering the same base template.

Run from the repository root: `.venv/bin/python benchmarks/garage_pages.py`. It builds a new
portal database (SQLite in a temporary directory, or a new PostgreSQL database beside
DATABASE_URL) with one connected shop and one vehicle owner signed in (a session row, as the
garage's sign-in leaves it), and serves it with gunicorn on 127.0.0.1 with DEBUG off. It
measures, each beside the bare page (benchmarks/booking_site.py, same server, same run):
the work order page; the poll unchanged, as the page sends it (`?v=`: 204) and with
`If-None-Match` (304); and the poll when something changed (the whole live part rendered).
Then each one's query count with 1 work order and with 50, which must not differ.
"""

import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import page_bench  # noqa: E402
from benchmarks.report import page_row, write_rows  # noqa: E402
from benchmarks.sandbox_lists import measure  # noqa: E402

WORK_ORDERS, PAYMENTS = 50, 200
EMAIL = "olive@example.com"
WORK, DATABASE_URL = page_bench.production_on_this_machine("garage-bench-")


def build_owner():
    """A connected shop, and its customer with a car whose latest work order is in progress
    (its history, two jobs of three lines, an inspection report)."""
    from django.utils import timezone

    from portal.mirror.models import ShopNotice
    from portal.shops.models import Shop
    from tests.support import factories
    from tests.support.portal import connection_with

    shop = Shop.objects.create(
        remote_id=90001, name="Main Street Garage", connection=connection_with()
    )
    customer = factories.customer(shop, email=EMAIL)
    car = factories.vehicle(shop, customer)
    order = factories.work_order(
        shop,
        customer,
        car,
        status="in_progress",
        history=("draft", "in_progress", "waiting_parts", "in_progress"),
        jobs=2,
        lines_per_job=3,
    )
    ShopNotice.objects.create(
        shop=shop,
        kind=ShopNotice.Kind.INSPECTION,
        remote_id=1,
        work_order_remote_id=order.remote_id,
        occurred_at=timezone.now(),
        payload={"summary": {"green": 14, "yellow": 3, "red": 1}},
    )
    return shop, customer, car, order


def add_history(shop, customer, car, order, work_orders: int, payments: int) -> None:
    """More invoiced work orders (`work_orders` in all) and payments (`payments` in all, four
    of them on the followed work order), over the last two years."""
    from django.utils import timezone

    from tests.support import factories

    now = timezone.now()
    older = [
        factories.work_order(shop, customer, car, status="invoiced", jobs=2)
        for _ in range(work_orders - 1)
    ]
    for n in range(payments):
        paid_on = order if n < 4 else older[n % len(older)]
        factories.payment(
            shop, paid_on, amount=paid_on.total / 4, remote_created_at=now - timedelta(days=n * 3)
        )


def main() -> None:
    args = page_bench.arguments(__doc__.split("\n")[0])
    with page_bench.portal_run(WORK, DATABASE_URL, args.workers) as serve:
        from portal.accounts.owners import SESSION_KEY
        from portal.garage import pages
        from portal.garage.views import POLL_SCOPE

        shop, customer, car, order = build_owner()
        cookie = page_bench.session_cookie(values={SESSION_KEY: EMAIL})  # the garage's sign-in
        page = f"/garage/work-orders/{shop.pk}/{order.remote_id}/"
        # The poll pass, as the page gives it and its poll sends it back.
        with_pass = page_bench.poll_pass(cookie, POLL_SCOPE, [EMAIL, shop.pk, order.remote_id])

        def plans() -> dict:
            version = pages.live_version(EMAIL, shop.pk, order.remote_id)
            return {
                "page": (page, {}, 200),
                "poll, unchanged (?v=)": (f"{page}status/?v={version}", with_pass, 204),
                "poll, unchanged (ETag)": (
                    f"{page}status/",
                    {"If-None-Match": f'"{version}"'},
                    304,
                ),
                "poll, changed": (f"{page}status/?v=in_progress.0", {}, 200),
            }

        # As a repeat view makes them (the first view of a work order writes its `wanted_until`).
        few = page_bench.query_counts(plans(), cookie, repeat_view=True)
        add_history(shop, customer, car, order, WORK_ORDERS, PAYMENTS)
        many = page_bench.query_counts(plans(), cookie, repeat_view=True)
        cpu = {
            label: page_bench.cpu_ms(path, cookie, headers, count=30)
            for label, (path, headers, _) in {**plans(), "bare page": ("/bare/", {}, 200)}.items()
        }
        print(
            f"database: {DATABASE_URL.split('://')[0]}; one owner with {WORK_ORDERS} work "
            f"orders and {PAYMENTS} payments; the page's work order: 2 jobs, 4 statuses, "
            "4 payments, an inspection report"
        )

        server = serve()
        print(
            f"{args.requests} requests each, {args.concurrency} concurrent, "
            f"gunicorn {args.workers} workers x 8 threads, DEBUG off\n"
        )
        header = (
            f"{'request':<24}{'queries':>10} | {'req/s':>7}{'p50 ms':>8}{'p95 ms':>8} | "
            f"{'bare r/s':>9}{'p50 ms':>8}{'p95 ms':>8} | {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        rows = []
        for label, (path, headers, expect) in plans().items():
            mine = measure(
                server.url,
                [path] * args.requests,
                {"Cookie": cookie, **headers},
                args.concurrency,
                expect=expect,
            )
            bare = measure(server.url, ["/bare/"] * args.requests, {}, args.concurrency)
            print(
                f"{label:<24}{few[label]:>5} -> {many[label]:<3} | {mine['rps']:>7.0f}"
                f"{mine['p50']:>8.1f}{mine['p95']:>8.1f} | {bare['rps']:>9.0f}"
                f"{bare['p50']:>8.1f}{bare['p95']:>8.1f} | {mine['rps'] / bare['rps']:>5.2f}"
            )
            # The poll that finds nothing new answers at least as fast as the bare page.
            share = 1.0 if "unchanged" in label else 0.5
            figure = "work order page" if label == "page" else f"its {label}"
            spent = (cpu[label], cpu["bare page"])
            rows.append(page_row("Garage pages", figure, mine, bare, share=share, cpu_ms=spent))
        write_rows(args.json, rows)
        print(
            "\nCPU time per request, in process: "
            + ", ".join(f"{label} {ms:.1f} ms" for label, ms in cpu.items())
        )
        print(
            f"\nqueries: with 1 work order -> with {WORK_ORDERS} and {PAYMENTS} payments (the "
            "session's read included); ratio: requests per second / the bare page's "
            "(targets: the page at least 0.5 with p95 under 50 ms; the unchanged poll at least 1)"
        )


if __name__ == "__main__":
    main()
