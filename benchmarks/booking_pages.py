"""How fast the public booking pages answer for a shop with 10,000 mirrored appointments,
against a bare Django page rendering the same base template.

Run from the repository root: `.venv/bin/python benchmarks/booking_pages.py`. It builds a new
portal database (SQLite in a temporary directory, or a new PostgreSQL database beside
DATABASE_URL) with one connected shop taking bookings, its appointments mirrored completely,
and serves it with gunicorn on 127.0.0.1 with DEBUG off (static files collected for
whitenoise). It measures the shop's page and the free-times part on the busy days of its
horizon, each beside the bare page (benchmarks/booking_site.py, same server, same run), with a
bounded number of requests; then each page's query count with 10 and with 10,000
appointments in the mirror, which must not differ.
"""

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import page_bench  # noqa: E402
from benchmarks.report import page_row, write_rows  # noqa: E402
from benchmarks.sandbox_lists import measure  # noqa: E402

APPOINTMENTS = 10_000
#: 10,000 appointments in 30 days are about 17 in progress at any hour, day and night: with
#: this many bays the busiest hours are full and the others offer times, so the list of free
#: times is rendered, not only "No free times".
BAYS = 20
WORK, DATABASE_URL = page_bench.production_on_this_machine("booking-bench-")


def build_shop():
    """A connected shop in New York taking bookings (the default settings: weekdays 08:00 to
    17:00, 30 days ahead) with BAYS bays, its appointments completely mirrored."""
    from portal.booking.models import BookingSettings
    from portal.mirror import books
    from portal.shops.models import Shop
    from tests.support.portal import connection_with

    shop = Shop.objects.create(
        remote_id=90001,
        name="Main Street Garage",
        timezone="America/New_York",
        connection=connection_with(),
    )
    BookingSettings.for_shop(shop)
    BookingSettings.objects.filter(shop=shop).update(capacity=BAYS)
    books.completed(shop, "appointments")
    return shop


def mirror_appointments(shop, count: int, first_id: int) -> None:
    """`count` mirrored appointments at random half hours over the shop's horizon, half an
    hour to two hours long, one in ten cancelled."""
    from django.utils import timezone

    from portal.booking.models import BookingSettings
    from portal.mirror.models import Appointment

    now = timezone.now()
    half_hours = BookingSettings.for_shop(shop).horizon_days * 48
    starts = (
        now.replace(minute=0, second=0, microsecond=0)
        + timedelta(minutes=30 * random.randrange(half_hours))
        for _ in range(count)
    )
    Appointment.objects.bulk_create(
        (
            Appointment(
                shop=shop,
                remote_id=first_id + n,
                observed_at=now,
                confirmed_at=now,
                remote_created_at=now,
                start_time=start,
                end_time=start + timedelta(minutes=30 * random.randint(1, 4)),
                status="cancelled" if n % 10 == 0 else "scheduled",
            )
            for n, start in enumerate(starts)
        ),
        batch_size=1000,
    )


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    args = page_bench.arguments(__doc__.split("\n")[0])
    with page_bench.portal_run(WORK, DATABASE_URL, args.workers) as serve:
        from portal.booking.models import Service
        from portal.booking.slots import free_times
        from tests.support.booking import bookable_day

        shop = build_shop()
        services = Service.objects.filter(shop=shop).order_by("pk")[:2]
        query = "&".join(f"services={service.pk}" for service in services)
        days = [bookable_day(shop, ahead) for ahead in range(1, 29, 3)]
        pages = {
            "shop page": [f"/book/{shop.slug}/"],
            "free times": [f"/book/{shop.slug}/times/?day={day}&{query}" for day in days],
        }

        mirror_appointments(shop, 10, first_id=1)
        few = page_bench.query_counts({name: paths[0] for name, paths in pages.items()})
        started = time.monotonic()
        mirror_appointments(shop, APPOINTMENTS - 10, first_id=11)
        seconds = time.monotonic() - started
        many = page_bench.query_counts({name: paths[0] for name, paths in pages.items()})
        offered = sum(len(free_times(shop, day, 60)) for day in days)
        print(
            f"database: {DATABASE_URL.split('://')[0]}; {APPOINTMENTS} appointments mirrored "
            f"in {seconds:.1f} s; {len(days)} days measured, {offered} hour-long times free"
        )
        median = statistics.median
        # Warm up: every path before any is timed (cpu_ms warms only the first of its own).
        page_bench.cpu_ms(["/bare/", *pages["shop page"], *pages["free times"]], count=30)
        costs = {
            name: page_bench.cpu_ms(paths, count=100, average=median)
            for name, paths in pages.items()
        }
        bare_cost = page_bench.cpu_ms("/bare/", count=100, average=median)
        print(
            "processor ms per request, in-process median: "
            + ", ".join(f"{name} {ms:.1f}" for name, ms in costs.items())
            + f", bare page {bare_cost:.1f}"
        )

        server = serve()
        print(
            f"{args.requests} requests per page, {args.concurrency} concurrent, "
            f"gunicorn {args.workers} workers x 8 threads, DEBUG off; "
            f"load average {load()}\n"
        )
        header = (
            f"{'page':<11}{'queries':>12} | {'req/s':>7}{'p50 ms':>8}{'p95 ms':>8} | "
            f"{'bare r/s':>9}{'p50 ms':>8}{'p95 ms':>8} | {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        rows = []
        for name, paths in pages.items():
            plan = [paths[i % len(paths)] for i in range(args.requests)]
            mine = measure(server.url, plan, {}, args.concurrency)
            bare = measure(server.url, ["/bare/"] * args.requests, {}, args.concurrency)
            print(
                f"{name:<11}{few[name]:>5} -> {many[name]:<4} | {mine['rps']:>7.0f}"
                f"{mine['p50']:>8.1f}{mine['p95']:>8.1f} | {bare['rps']:>9.0f}"
                f"{bare['p50']:>8.1f}{bare['p95']:>8.1f} | {mine['rps'] / bare['rps']:>5.2f}"
            )
            spent = (costs[name], bare_cost)
            rows.append(page_row("Booking pages", name, mine, bare, cpu_ms=spent))
        write_rows(args.json, rows)
        print(f"\nload average after: {load()}")
        print(
            "queries: with 10 -> with 10,000 appointments; "
            "ratio: page requests per second / bare page requests per second "
            "(target at least 0.5, and p95 under 50 ms)"
        )


if __name__ == "__main__":
    main()
