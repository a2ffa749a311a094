"""How fast the sandbox serves its list endpoints on a large shop, against a bare Django app.

Run from the repository root: `.venv/bin/python benchmarks/sandbox_lists.py`. It seeds a new
database at `large` scale (SQLite in a temporary directory, or a new PostgreSQL database
beside SANDBOX_DATABASE_URL), serves it with gunicorn on 127.0.0.1, and measures each list
endpoint at per_page=100 with a bounded number of requests. The baseline is a bare Django
view returning the sandbox's own first page, byte for byte, served by the same gunicorn
configuration in the same run.
"""

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import row, write_rows  # noqa: E402
from tests.support.servers import (  # noqa: E402
    Gunicorn,
    drop_database,
    fresh_database_url,
    sandbox_command,
)

RESOURCES = (
    "customers",
    "vehicles",
    "workorders",
    "appointments",
    "payments",
    "inventory",
    "employees",
)
PER_PAGE = 100


def measure(url: str, paths: list[str], headers: dict, concurrency: int, expect: int = 200) -> dict:
    """Request every path once over `concurrency` threads (each must answer `expect`);
    throughput and latencies. First, uncounted, a warm-up of four requests a thread (its
    connection opened, the server's first renders and per-process caches made): the figures
    are those of a server in its stride, the same for a page and for its baseline."""
    # One session per thread: each thread's connection is reused as soon as its last answer
    # came. (Shared by index, a session opened extra connections that sat idle past the
    # server's keep-alive timeout, and one closed as a request went out reset it.)
    local = threading.local()

    def fetch(index: int) -> float:
        session = local.__dict__.setdefault("session", requests.Session())
        started = time.perf_counter()
        response = session.get(url + paths[index], headers=headers, timeout=30)
        elapsed = time.perf_counter() - started
        if response.status_code != expect:
            raise RuntimeError(f"{paths[index]} answered {response.status_code}")
        return elapsed

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(fetch, [n % len(paths) for n in range(4 * concurrency)]))
        started = time.perf_counter()
        latencies = sorted(pool.map(fetch, range(len(paths))))
    wall = time.perf_counter() - started
    return {
        "rps": len(paths) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and server")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--json", help="also write the figures here, as rows of the table")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    url = fresh_database_url(os.environ.get("SANDBOX_DATABASE_URL"), work)
    servers: list[Gunicorn] = []
    try:
        sandbox_command(url, "migrate", "-v0")
        started = time.monotonic()
        seed = json.loads(sandbox_command(url, "seed", "--scale", "large", "--json"))
        seed_seconds = time.monotonic() - started
        johnsons = next(a for a in seed["accounts"] if a["name"] == "Johnson's Auto Care")
        shop_id = johnsons["shops"][0]["id"]
        headers = {"Authorization": f"Bearer {johnsons['api_key']}"}
        print(f"database: {url.split('://')[0]}; seeded `large` in {seed_seconds:.1f} s")

        sandbox = Gunicorn(
            "sandbox.wsgi:application",
            {
                "SANDBOX_DATABASE_URL": url,
                "SANDBOX_RATE_LIMIT": "1000000000",
                "SANDBOX_FAULTS": "",
                "SANDBOX_DEBUG": "0",
                "SANDBOX_SECRET_KEY": secrets.token_urlsafe(32),
                "SANDBOX_LOG_LEVEL": "WARNING",
            },
            log_path=work / "sandbox.log",
            workers=args.workers,
        )
        servers.append(sandbox)
        # Each endpoint is read page after page (deep pages cost the sandbox more), and its
        # first page is recorded for the baseline to serve.
        plans, first_pages = {}, {}
        for resource in RESOURCES:
            path = f"/v1/shops/{shop_id}/{resource}"
            first = requests.get(
                f"{sandbox.url}{path}?per_page={PER_PAGE}", headers=headers, timeout=30
            )
            first.raise_for_status()
            total = first.json()["pagination"]["total"]
            pages = max(1, -(-total // PER_PAGE))
            plans[resource] = (
                path,
                total,
                [f"{path}?per_page={PER_PAGE}&page={1 + i % pages}" for i in range(args.requests)],
            )
            first_pages[path] = first.text
        bodies = work / "bodies.json"
        bodies.write_text(json.dumps(first_pages))
        baseline = Gunicorn(
            "benchmarks.baseline_app:application",
            {"BENCH_BODIES": str(bodies)},
            log_path=work / "baseline.log",
            workers=args.workers,
        )
        servers.append(baseline)

        print(
            f"{args.requests} requests per endpoint, {args.concurrency} concurrent, "
            f"per_page={PER_PAGE}, gunicorn {args.workers} workers x 8 threads\n"
        )
        header = (
            f"{'endpoint':<13}{'rows':>7}{'items':>7} | {'req/s':>7}{'p50 ms':>8}"
            f"{'p95 ms':>8} | {'base r/s':>9}{'p50 ms':>8}{'p95 ms':>8} | {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        rows = []
        for resource, (path, total, paths) in plans.items():
            items = len(json.loads(first_pages[path])["data"])
            mine = measure(sandbox.url, paths, headers, args.concurrency)
            base = measure(baseline.url, [path] * len(paths), headers, args.concurrency)
            print(
                f"{resource:<13}{total:>7}{items:>7} | {mine['rps']:>7.0f}{mine['p50']:>8.1f}"
                f"{mine['p95']:>8.1f} | {base['rps']:>9.0f}{base['p50']:>8.1f}"
                f"{base['p95']:>8.1f} | {base['rps'] / mine['rps']:>5.1f}x"
            )
            rows.append(
                row(
                    "Sandbox lists",
                    f"{resource} ({total:,} rows, {PER_PAGE} a page)",
                    f"{mine['rps']:.0f} req/s, p50 {mine['p50']:.1f} ms, p95 {mine['p95']:.1f} ms",
                    f"bare Django view serving the same first page: {base['rps']:.0f} req/s "
                    f"({base['rps'] / mine['rps']:.1f}x), p95 {base['p95']:.1f} ms",
                )
            )
        write_rows(args.json, rows)
        print("\nratio: baseline requests per second / sandbox requests per second")
    finally:
        for server in servers:
            server.stop()
        drop_database(url)


if __name__ == "__main__":
    main()
