"""Scale-out: two web processes and two workers on one PostgreSQL and Redis, N shops connecting
at once, their first syncs and AutoSync's webhooks running together (issue 14 §2).

Run from the repository root: `.venv/bin/python benchmarks/scale_out.py [--shops 20]
[--scale demo] [--speed 5] [--json PATH]`. Everything runs on 127.0.0.1, in a temporary
directory, on databases of the run's own: a new PostgreSQL database for the sandbox and one for
the portal (beside --database), and two empty Redis database numbers (broker and budget; cache).

The sandbox (gunicorn, at AutoSync's real rate limit of 100 requests a minute per credential)
gets N businesses, one shop each, at `--scale`; its webhook sender and its simulator (`--speed`)
run as Procfile.sandbox has them. The portal runs as the Procfile has it, in production
settings: two `web` processes (gunicorn, 2 workers x 4 threads each) behind a round-robin
proxy, one `worker-webhooks` (or `--webhook-workers`), one `worker-interactive`, one
`worker-sync`, each with the Procfile's concurrency, and exactly one `beat`.
One staff user connects the N businesses through the real consent (benchmarks/soak.py's:
portal sign-in, Connect, AutoSync sign-in, approve), four at a time, while the simulator makes
changes in every shop.
The beat's open-work-order poll and incremental sync are set to an hour, so that every list
request a shop sends in the run is its first sync's.

It reports, from AutoSync's own access log and both databases:
- each shop's first-sync list requests against the minimum (benchmarks/portal_sync.py's:
  one request per 100 records of each resource, plus the open work orders' lists by status),
  and every request each shop sent (details of open work orders, webhooks' follow-ups);
- 429 answers AutoSync gave the portal (target: none);
- webhook freshness: from the change at AutoSync (the event's creation, to the microsecond) to
  the portal's mirror having applied it, p50 and p95 over every event delivered during the run
  (target: p95 under 2 s);
- the wall time of connecting N shops and their first syncs, and the load average.
It stops everything it started and drops its databases, also on failure and Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from math import ceil
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import portal_sync  # noqa: E402 (it sets the environment of its own run)
from benchmarks.page_bench import production_on_this_machine  # noqa: E402
from benchmarks.soak import Soak  # noqa: E402
from bin.run import read_procfile  # noqa: E402
from tests.support.servers import (  # noqa: E402
    LiveSandbox,
    SandboxDatabase,
    drop_database,
    free_port,
    fresh_database_url,
    sandbox_command,
)

SANDBOX_ENV = {"DJANGO_SETTINGS_MODULE": "sandbox.settings"}
OWNER_PASSWORD = "scale-out-sandbox-password"  # noqa: S105 (the sandbox's own users)
CONSENTS_AT_ONCE = 4
FRESHNESS_TARGET_S = 2.0

# N businesses of one shop each, at a seed scale, made as `seed` makes its shops; what a
# consent and the measurement need about each, as JSON.
BUSINESSES = r"""
import dataclasses, json
from datetime import timedelta
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from sandbox.core.keys import new_api_key
from sandbox.core.models import Account, User
from sandbox.core.seeding.builder import ACCOUNTS, explicit_timestamps
from sandbox.core.seeding.shop import __SCALE__, ShopBuilder

specs = [shop for account in ACCOUNTS for shop in account.shops]
now = timezone.now().replace(minute=0, second=0, microsecond=0)
created = now - timedelta(days=__SCALE__.history_days + 30)
password = make_password(__PASSWORD__)
out = []
with transaction.atomic(), explicit_timestamps():
    for n in range(1, __COUNT__ + 1):
        account = Account.objects.create(name=f"Scale-out garage {n}", created_at=created)
        user = User.objects.create(
            username=f"owner{n}", account=account, email=f"owner{n}@garage{n}.example.com",
            password=password, date_joined=created,
        )
        _, key = new_api_key(account)
        base = specs[n % len(specs)]
        spec = dataclasses.replace(base, name=f"{base.name} {n}", slug=f"{base.slug}-{n}")
        shop = ShopBuilder(spec, account, n, __SCALE__, now, created).build()
        out.append({"username": user.username, "api_key": key, "shop": shop.id, "name": shop.name})
print(json.dumps(out))
"""


def make_businesses(database_url: str, count: int, scale: str) -> list[dict]:
    code = (
        BUSINESSES.replace("__SCALE__", scale.upper())
        .replace("__PASSWORD__", repr(OWNER_PASSWORD))
        .replace("__COUNT__", str(count))
    )
    out = sandbox_command(database_url, "shell", "--no-imports", "-c", code, env=SANDBOX_ENV)
    return json.loads(out.strip().splitlines()[-1])


# --- Redis: two database numbers of the run's own -------------------------------------------


def claim_redis_databases(base: str, count: int = 2) -> list[str]:
    """`count` empty Redis databases (highest numbers first), each marked as this run's."""
    import redis

    claimed = []
    for number in range(15, 0, -1):
        url = f"{base.rstrip('/')}/{number}"
        client = redis.Redis.from_url(url)
        if client.dbsize() == 0 and client.set("scale-out:claimed", os.getpid(), nx=True):
            claimed.append(url)
            if len(claimed) == count:
                return claimed
    release_redis_databases(claimed)
    raise SystemExit("scale_out: no two empty Redis databases to use")


def release_redis_databases(urls: list[str]) -> None:
    import redis

    for url in urls:
        redis.Redis.from_url(url).flushdb()


# --- The load balancer ----------------------------------------------------------------------


class Proxy:
    """A round-robin TCP proxy on 127.0.0.1 (one connection, one backend): the load balancer
    in front of the web processes, in a thread of this process."""

    def __init__(self, ports: list[int]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backends = itertools.cycle(ports)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> Proxy:
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self.connection, "127.0.0.1", self.port)
        )
        self.thread.start()
        return self

    async def connection(self, client_in, client_out) -> None:
        try:
            backend_in, backend_out = await asyncio.open_connection(
                "127.0.0.1", next(self.backends)
            )
        except OSError:
            client_out.close()
            return

        async def pipe(source, sink):
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(client_in, backend_out), pipe(backend_in, client_out))

    def stop(self) -> None:
        self.server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# --- Processes ------------------------------------------------------------------------------


def start(name: str, command: str, env: dict, work: Path) -> subprocess.Popen:
    """A Procfile line as written (sh expands its ${VAR:-default}), in a session of its own so
    that stopping it stops its children (gunicorn's and Celery's workers)."""
    log = (work / f"{name}.log").open("ab")
    process = subprocess.Popen(
        ["/bin/sh", "-c", f"exec {command}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    process.name = name
    return process


def stop(processes: list[subprocess.Popen]) -> None:
    """One after the other, as supervisord does: TERM to the process (gunicorn and Celery
    then stop their own children), KILL to its whole group if it is not gone in 20 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything of it left behind
        process.wait()


def wait_until_up(url: str, processes: list[subprocess.Popen], seconds: float = 120) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"scale_out: {process.name} exited at start; see its log")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"scale_out: {url} did not answer within {seconds:.0f} s")


# --- Measuring ------------------------------------------------------------------------------

ACCESS = re.compile(r'"[A-Z]+ /v1/shops/(\d+)/([a-z_]+)(/[^ ?]+)?(\?\S*)? HTTP/[\d.]+" (\d{3}) ')
STATUS = re.compile(r'" (\d{3}) ')


def autosync_requests(log_text: str) -> tuple[dict[int, dict[str, int]], int]:
    """From AutoSync's access log: each shop's requests (list, detail; and list pages asked
    for more than once, by resource, filters and page number) and every 429."""
    per_shop: dict[int, dict[str, int]] = {}
    pages: dict[int, set] = {}
    too_many = 0
    for line in log_text.splitlines():
        status = STATUS.search(line)
        if status and status.group(1) == "429":
            too_many += 1
        found = ACCESS.search(line)
        if not found:
            continue
        shop = int(found.group(1))
        counts = per_shop.setdefault(shop, {"list": 0, "detail": 0, "repeated": 0})
        if found.group(3):
            counts["detail"] += 1
            continue
        counts["list"] += 1
        page = (found.group(2), tuple(sorted(parse_qsl((found.group(4) or "?")[1:]))))
        if page in pages.setdefault(shop, set()):
            counts["repeated"] += 1
        pages[shop].add(page)
    return per_shop, too_many


def minimum_lists(api_url: str, api_key: str, shop_id: int) -> int:
    """portal_sync's minimum: a list request per 100 records of each resource, plus the open
    work orders' lists by status that the first sync sends first."""
    counts = portal_sync.totals(api_url, api_key, shop_id)
    needs = portal_sync.first_needs(api_url, api_key, shop_id, counts)
    return sum(max(1, ceil(n / 100)) for n in counts.values()) + needs["open_lists"]


def webhook_freshness(sandbox_url: str, cutoff: float) -> dict:
    """Every event AutoSync had to deliver to the portal, from its creation to the portal's
    mirror having applied it (the event's processed_at; matched by the body's SHA-256, as the
    receiver keeps it). An event still on its way at `cutoff` counts as that late, at least."""
    import psycopg

    from portal.mirror.models import WebhookEvent

    with psycopg.connect(sandbox_url) as conn:
        sent = conn.execute(
            "SELECT e.body, e.created_at FROM webhooks_event e "
            "JOIN webhooks_delivery d ON d.event_id = e.id WHERE d.client_id IS NOT NULL"
        ).fetchall()
    received = {
        e.digest: e
        for e in WebhookEvent.objects.only("digest", "received_at", "processed_at", "outcome")
    }
    latencies, portal_share, ignored, late = [], [], 0, 0
    for body, created_at in sent:
        event = received.get(hashlib.sha256(body.encode()).hexdigest())
        if event is not None and event.outcome.startswith("ignored"):
            ignored += 1  # approved at AutoSync, not yet connected at the portal
            continue
        if event is None or event.processed_at is None:
            late += 1
            latencies.append(cutoff - created_at.timestamp())
            continue
        latencies.append((event.processed_at - created_at).total_seconds())
        portal_share.append((event.processed_at - event.received_at).total_seconds())
    return {"latencies": latencies, "portal": portal_share, "ignored": ignored, "late": late}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, ceil(p / 100 * len(ordered)) - 1)]


class Gauges:
    """Sampled every 2 s in a thread: the 1-minute load average, and the connections open to
    the portal's database (this script's own one included)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.load: list[float] = []
        self.connections: list[int] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while True:
                self.load.append(os.getloadavg()[0])
                self.connections.append(
                    conn.execute(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    ).fetchone()[0]
                )
                if self.done.wait(2):
                    return

    def __enter__(self) -> Gauges:
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.done.set()
        self.thread.join()

    def __str__(self) -> str:
        return f"mean {statistics.mean(self.load):.1f}, max {max(self.load):.1f}"


# --- The run --------------------------------------------------------------------------------


def run(args, work: Path, sandbox_db: SandboxDatabase, redis_urls: list[str]) -> dict:
    from portal.mirror.models import SyncRun
    from portal.shops.models import Shop

    broker, cache = redis_urls
    businesses = make_businesses(sandbox_db.url, args.shops, args.scale)
    print(f"  {args.shops} businesses at {args.scale} scale in the sandbox", flush=True)
    sandbox = LiveSandbox(
        sandbox_db,
        env={**SANDBOX_ENV, "GUNICORN_CMD_ARGS": "--access-logfile -"},
        log_path=work / "sandbox.log",
    ).start()
    processes: list[subprocess.Popen] = []
    proxy = None
    try:
        web_ports = [free_port(), free_port()]
        proxy = Proxy(web_ports).start()
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",  # production's
            "PORTAL_BASE_URL": proxy.url,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "CELERY_BROKER_URL": broker,
            "CACHE_URL": cache,
            "AUTOSYNC_API_URL": sandbox.api_url,
            "AUTOSYNC_AUTHORIZE_URL": f"{sandbox.url}/oauth/authorize",
            "MIRROR_OPEN_POLL_SECONDS": "3600",
            "MIRROR_INCREMENTAL_SECONDS": "3600",
            "SANDBOX_DATABASE_URL": sandbox_db.url,
            "SANDBOX_SIMULATOR_SPEED": str(args.speed),
        }
        manage("register_with_sandbox", "--sandbox-url", sandbox.url, "--force", env=env)
        # The staff login of a development machine (the command refuses to run with DEBUG off).
        manage("create_demo_staff", env={**env, "DEBUG": "1"})
        manage("collectstatic", "--noinput", "-v0", env=env)
        portal = read_procfile(ROOT / "Procfile")
        # Behind a load balancer gunicorn keeps connections open longer than the balancer
        # does (its docs' advice): else a reused connection may be closed under a request.
        web_env = {**env, "GUNICORN_CMD_ARGS": "--keep-alive 75"}
        for n, port in enumerate(web_ports, 1):
            processes.append(
                start(f"web{n}", portal["web"], {**web_env, "PORTAL_PORT": str(port)}, work)
            )
        for n in range(1, args.webhook_workers + 1):
            command = portal["worker-webhooks"].replace("-n webhooks@", f"-n webhooks{n}@")
            processes.append(start(f"worker-webhooks{n}", command, env, work))
        for name in ("worker-interactive", "worker-sync", "beat"):
            processes.append(start(name, portal[name], env, work))
        sender = read_procfile(ROOT / "Procfile.sandbox")
        sandbox_env = {**env, **SANDBOX_ENV}
        processes.append(start("sandbox-webhooks", sender["sandbox-webhooks"], sandbox_env, work))
        wait_until_up(f"{proxy.url}/healthz", processes)
        time.sleep(3)  # the workers and beat finish starting

        # The minimum before the simulator changes anything (it may add a page by the end).
        before = {
            b["shop"]: minimum_lists(sandbox.api_url, b["api_key"], b["shop"]) for b in businesses
        }
        time.sleep(1)  # gunicorn writes a request's access log line after its answer
        log_start = (work / "sandbox.log").stat().st_size
        print(
            f"  connecting {args.shops} shops through the consent, {CONSENTS_AT_ONCE} at a time, "
            f"the simulator at speed {args.speed}",
            flush=True,
        )
        owner = Soak(work, args.speed)  # its consent, through the proxy
        owner.portal = proxy.url
        with Gauges(os.environ["DATABASE_URL"]) as gauges:
            started = time.monotonic()
            processes.append(
                start("sandbox-simulator", sender["sandbox-simulator"], sandbox_env, work)
            )
            with ThreadPoolExecutor(CONSENTS_AT_ONCE) as pool:
                list(pool.map(lambda b: owner.connect(b["username"], OWNER_PASSWORD), businesses))
            connected = time.monotonic() - started
            print(f"  all connected in {connected:.0f} s; waiting for the first syncs", flush=True)
            deadline = time.monotonic() + args.timeout
            full = SyncRun.objects.filter(mode=SyncRun.Mode.FULL)
            while full.filter(status__in=("done", "failed")).count() < args.shops:
                if time.monotonic() > deadline:
                    raise SystemExit(f"scale_out: the first syncs took over {args.timeout} s")
                for process in processes:
                    if process.poll() is not None:
                        raise SystemExit(f"scale_out: {process.name} exited; see its log")
                time.sleep(1)
            wall = time.monotonic() - started
            print(f"  first syncs finished {wall:.0f} s after the first consent", flush=True)
            simulator = processes.pop()
            stop([simulator])
            # Settle: what AutoSync sent meanwhile arrives and is applied.
            settle_until = time.monotonic() + 30
            while time.monotonic() < settle_until:
                if not pending_deliveries(sandbox_db.url) and not unprocessed_events():
                    break
                time.sleep(0.5)
        cutoff = time.time()
        access_log = (work / "sandbox.log").read_bytes()[log_start:].decode(errors="replace")
        freshness = webhook_freshness(sandbox_db.url, cutoff)
        per_shop, too_many = autosync_requests(access_log)
        shops = []
        for business in businesses:
            shop = Shop.objects.get(remote_id=business["shop"])
            first = SyncRun.objects.filter(shop=shop, mode=SyncRun.Mode.FULL).earliest("created_at")
            requests = per_shop.get(business["shop"], {"list": 0, "detail": 0, "repeated": 0})
            shops.append(
                {
                    "name": business["name"],
                    "status": first.status,
                    "lists": requests["list"],
                    "details": requests["detail"],
                    "repeated": requests["repeated"],
                    "minimum": before[business["shop"]],
                    "minimum_after": minimum_lists(
                        sandbox.api_url, business["api_key"], business["shop"]
                    ),
                    "seconds": (first.finished_at - first.started_at).total_seconds(),
                    "queued": (first.started_at - first.created_at).total_seconds(),
                }
            )
    finally:
        # Who sends first: the sender, beat, the web processes, then the workers.
        stop(sorted(processes[::-1], key=lambda p: p.name.startswith("worker")))
        if proxy:
            proxy.stop()
        sandbox.stop()
    return {
        "shops": shops,
        "too_many": too_many,
        "freshness": freshness,
        "connect_s": connected,
        "wall_s": wall,
        "gauges": gauges,
    }


def manage(*args: str, env: dict) -> None:
    """A portal command, without the deployment checks (plain-HTTP AutoSync on this machine;
    PORTAL_CHECK_ON_START=0 lets the processes start on it the same way)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args, "--skip-checks"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")


def pending_deliveries(sandbox_url: str) -> int:
    import psycopg

    with psycopg.connect(sandbox_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM webhooks_delivery WHERE state = 'pending'"
        ).fetchone()[0]


def unprocessed_events() -> int:
    from portal.mirror.models import WebhookEvent

    return WebhookEvent.objects.filter(processed_at__isnull=True).count()


def report(args, result: dict) -> list[dict]:
    shops = result["shops"]
    n = len(shops)
    lists = sum(s["lists"] for s in shops)
    minimum = sum(s["minimum"] for s in shops)
    minimum_after = sum(s["minimum_after"] for s in shops)
    # The simulator adds records while the syncs run: a shop's minimum is between the two.
    # At its minimum: each page once, as many as the records needed (between the two).
    at_minimum = sum(
        s["minimum"] <= s["lists"] <= s["minimum_after"] and not s["repeated"] for s in shops
    )
    repeated = sum(s["repeated"] for s in shops)
    failed = [s["name"] for s in shops if s["status"] != "done"]
    everything = sum(s["lists"] + s["details"] for s in shops)
    fresh = result["freshness"]
    p50, p95 = percentile(fresh["latencies"], 50), percentile(fresh["latencies"], 95)
    portal50, portal95 = percentile(fresh["portal"], 50), percentile(fresh["portal"], 95)
    sync_times = [s["seconds"] for s in shops]
    print(
        f"\nScale-out: {n} shops at {args.scale} scale, simulator at speed {args.speed}, "
        f"2 web processes, {args.webhook_workers} worker-webhooks, 1 worker-interactive, "
        "1 worker-sync, 1 beat (each worker with the Procfile's concurrency)"
    )
    print(
        f"  first-sync list requests: {lists} for {n} shops ({lists / n:.1f} a shop); "
        f"minimum {minimum} ({minimum / n:.1f} a shop) before the simulator's changes, "
        f"{minimum_after} after; list pages asked for twice: {repeated}; "
        f"{at_minimum}/{n} shops at their minimum"
    )
    for shop in shops:
        if shop["repeated"] or not shop["minimum"] <= shop["lists"] <= shop["minimum_after"]:
            print(
                f"    {shop['name']}: {shop['lists']} list requests ({shop['repeated']} pages "
                f"twice), minimum {shop['minimum']} before the run's changes, "
                f"{shop['minimum_after']} after"
            )
    print(
        f"  every AutoSync request of the shops: {everything} ({everything / n:.1f} a shop: "
        "first-sync lists, open work orders' details, webhooks' follow-ups)"
    )
    print(f"  429 answers from AutoSync: {result['too_many']}")
    print(f"  first syncs failed: {len(failed)} {failed or ''}")
    print(
        f"  webhook freshness, AutoSync's change to the mirror: {len(fresh['latencies'])} events, "
        f"p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(fresh['latencies'], default=0):.2f} s "
        f"({fresh['late']} not applied by the end; {fresh['ignored']} arrived before their "
        "shop was connected)"
    )
    print(
        f"    the portal's share (received to applied): p50 {portal50:.2f} s, p95 {portal95:.2f} s"
    )
    print(
        f"  wall time: {result['wall_s']:.0f} s from the first consent to the last first sync "
        f"(consents {result['connect_s']:.0f} s; one first sync: median "
        f"{statistics.median(sync_times):.1f} s, max {max(sync_times):.1f} s)"
    )
    queued = [s["queued"] for s in shops]
    print(
        f"  a first sync's wait for the sync worker, from its consent: median "
        f"{statistics.median(queued):.1f} s, max {max(queued):.1f} s"
    )
    print(
        f"  connections to the portal's database: at most {max(result['gauges'].connections)} "
        f"(median {statistics.median(result['gauges'].connections):.0f})"
    )
    print(f"  load average (1 min) during the run: {result['gauges']} on {os.cpu_count()} cores")
    lists_met = at_minimum == n and not failed
    webhook_workers = f"{args.webhook_workers} webhooks worker" + "s" * (args.webhook_workers > 1)
    return [
        {
            "figure": f"First-sync list requests per shop ({n} shops at once)",
            "value": f"{lists / n:.1f} ({at_minimum}/{n} shops at the minimum, "
            f"{repeated} pages twice)",
            "baseline": f"{minimum / n:.1f} to {minimum_after / n:.1f} (minimum, before and after)",
            "target": "= minimum",
            "met": lists_met,
        },
        {
            "figure": "AutoSync requests per shop, all (lists, details, webhook follow-ups)",
            "value": f"{everything / n:.1f}",
            "baseline": f"{minimum / n:.1f} (minimum lists)",
            "target": "",
            "met": None,
        },
        {
            "figure": "429 answers from AutoSync",
            "value": str(result["too_many"]),
            "baseline": "0",
            "target": "0",
            "met": result["too_many"] == 0,
        },
        {
            "figure": "Webhook freshness p50, change at AutoSync to mirror",
            "value": f"{p50:.2f} s ({len(fresh['latencies'])} events)",
            "baseline": "",
            "target": "",
            "met": None,
        },
        {
            "figure": f"Webhook freshness p95 during the first syncs ({webhook_workers})",
            "value": f"{p95:.2f} s",
            "baseline": f"{FRESHNESS_TARGET_S:.0f} s (bound)",
            "target": f"< {FRESHNESS_TARGET_S:.0f} s",
            "met": p95 < FRESHNESS_TARGET_S and fresh["late"] == 0,
        },
        {
            "figure": f"Wall time, {n} consents and first syncs",
            "value": f"{result['wall_s']:.0f} s",
            "baseline": f"one first sync: median {statistics.median(sync_times):.1f} s",
            "target": "",
            "met": None,
        },
        {
            "figure": "First sync's wait for the sync worker (median / max)",
            "value": f"{statistics.median(queued):.1f} s / {max(queued):.1f} s",
            "baseline": "1 worker-sync, one sync at a time",
            "target": "",
            "met": None,
        },
        {
            "figure": "Connections to the portal's PostgreSQL, at most",
            "value": str(max(result["gauges"].connections)),
            "baseline": "100 (PostgreSQL's default max_connections)",
            "target": "",
            "met": None,
        },
        {
            "figure": "Load average (1 min) during the scale-out run",
            "value": str(result["gauges"]),
            "baseline": f"{os.cpu_count()} cores (shared)",
            "target": "",
            "met": None,
        },
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=20, help="businesses to connect (20)")
    parser.add_argument("--scale", choices=("small", "demo"), default="demo", help="their size")
    parser.add_argument("--speed", type=float, default=5, help="the simulator's speed (5)")
    parser.add_argument(
        "--webhook-workers", type=int, default=1, help="worker-webhooks processes (1)"
    )
    parser.add_argument("--timeout", type=float, default=1200, help="seconds for the syncs")
    parser.add_argument(
        "--database",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="the PostgreSQL server, as a URL of any database on it",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="the Redis server")
    parser.add_argument("--json", type=Path, help="write the table's rows here")
    args = parser.parse_args()
    # Terminated: unwind, so that everything started here is stopped by the `finally`s.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    os.environ["DATABASE_URL"] = args.database
    work, portal_url = production_on_this_machine("scale-out-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    shutil.rmtree(portal_sync.WORK, ignore_errors=True)  # made when it was imported; unused
    print(f"Working in {work}", flush=True)
    sandbox_db = None
    redis_urls: list[str] = []
    try:
        redis_urls = claim_redis_databases(args.redis)
        os.environ["CELERY_BROKER_URL"], os.environ["CACHE_URL"] = redis_urls
        sandbox_db = SandboxDatabase(fresh_database_url(args.database, work), seed={})
        sandbox_command(sandbox_db.url, "migrate", "-v0", env=SANDBOX_ENV)
        portal_sync.portal_setup()  # django.setup() and migrate, on the portal's database
        result = run(args, work, sandbox_db, redis_urls)
    finally:
        from django.db import connections

        connections.close_all()
        for url in (portal_url, sandbox_db.url if sandbox_db else None):
            if url:
                drop_database(url)
        release_redis_databases(redis_urls)
    rows = [{"group": "Scale-out", **row} for row in report(args, result)]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if any(row["met"] is False for row in rows):
        print(f"A target was missed: the processes' logs are kept in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
