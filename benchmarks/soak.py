"""Soak: the whole system as `make run` starts it, a connected shop, a busy simulator, for a
while. Not run in CI.

Run from the repository root: `.venv/bin/python benchmarks/soak.py [--duration 600]
[--speed 4] [--settle 180]`. It starts `python -m bin.run` (supervisord and every process
of the Procfiles) on free ports with a temporary VAR_DIR, connects Johnson's shops through the
real OAuth consent (portal sign-in, "Connect", sandbox sign-in, approve), waits for the first
full sync, lets the simulator run at `--speed` for `--duration` seconds, stops it, and lets
webhooks settle. It passes when:

- no process exited unexpectedly (supervisord restarted nothing, gave up on nothing);
- no log under var/log/ holds a traceback;
- the mirror matches AutoSync: every work order with its status, and the ids of customers,
  appointments and payments (AutoSync's API against the portal's database).

It reports the webhooks processed during the soak and their freshness: p50/p95 of received
-> processed (the portal's own delay: queue, worker, AutoSync fetches) and of the event's
timestamp -> processed (from AutoSync's change to the mirror, whole seconds). Figures are also
written to <VAR_DIR>/soak.json; the logs stay in VAR_DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import row, write_rows  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

PORTAL_QUERY = r"""
import json, django
django.setup()
from django.db.models import Max, Sum
from portal.mirror.models import (
    Appointment, Customer, Payment, RequestCount, SyncRun, WebhookEvent, WorkOrder
)
from portal.shops.models import Shop
since = SINCE
shops = {}
for shop in Shop.objects.filter(granted=True):
    def live(model):
        return model.objects.of(shop).live()

    shops[shop.remote_id] = {
        "workorders": dict(live(WorkOrder).values_list("remote_id", "status")),
        "customers": list(live(Customer).values_list("remote_id", flat=True)),
        "appointments": list(live(Appointment).values_list("remote_id", flat=True)),
        "payments": list(live(Payment).values_list("remote_id", flat=True)),
    }
full = SyncRun.objects.filter(mode="full")
events = WebhookEvent.objects.all()
requests = RequestCount.objects.all()
if since:
    events = events.filter(received_at__gte=since)
    requests = requests.filter(minute__gte=since)
per_minute = requests.values("minute").annotate(n=Sum("count"))
print(json.dumps({
    "granted_shops": len(shops),
    "full_syncs_done": full.filter(status="done").count(),
    "full_syncs_failed": full.filter(status="failed").count(),
    "shops": shops if WITH_RECORDS else {},
    "events_unprocessed": WebhookEvent.objects.filter(processed_at__isnull=True).count(),
    "autosync_requests": requests.aggregate(n=Sum("count"))["n"] or 0,
    "autosync_requests_busiest_minute": per_minute.aggregate(m=Max("n"))["m"] or 0,
    "events": [
        [e.received_at.timestamp(), e.processed_at and e.processed_at.timestamp(), e.timestamp]
        for e in events.only("received_at", "processed_at", "timestamp")
    ],
}))
"""


class Soak:
    def __init__(self, var: Path, speed: float):
        self.var = var
        self.sandbox_port, self.portal_port = free_port(), free_port()
        self.sandbox = f"http://127.0.0.1:{self.sandbox_port}"
        self.portal = f"http://127.0.0.1:{self.portal_port}"
        self.env = {
            **os.environ,
            "VAR_DIR": str(var),
            "SANDBOX_PORT": str(self.sandbox_port),
            "PORTAL_PORT": str(self.portal_port),
            "SANDBOX_SIMULATOR_SPEED": str(speed),
            "DEBUG": "1",  # the development defaults `make run` gives its processes
        }
        for name in ("DATABASE_URL", "SANDBOX_DATABASE_URL", "CELERY_BROKER_URL"):
            self.env.pop(name, None)  # embedded defaults, as `make run` on a new machine
        self.process: subprocess.Popen | None = None

    # --- the system ---------------------------------------------------------------------

    def start(self) -> None:
        console = open(self.var / "console.txt", "wb")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bin.run"],
            cwd=ROOT,
            env=self.env,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while not (self.var / "banner.txt").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"make run did not come up; see {self.var / 'console.txt'}")
            time.sleep(1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C does
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def supervisor(self):
        from supervisor.xmlrpc import SupervisorTransport

        transport = SupervisorTransport(None, None, f"unix://{self.var / 'supervisor.sock'}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def portal_state(self, since: float | None = None, records: bool = False) -> dict:
        code = PORTAL_QUERY.replace(
            "SINCE",
            f"__import__('datetime').datetime.fromtimestamp({since}, "
            "__import__('datetime').timezone.utc)"
            if since
            else "None",
        ).replace("WITH_RECORDS", str(records))
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**self.env, "DJANGO_SETTINGS_MODULE": "portal.settings", "LOG_LEVEL": "ERROR"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return json.loads(out)

    # --- the owner connects their shops -------------------------------------------------

    def connect(self, username: str, password: str) -> None:
        portal = requests.Session()
        portal.get(f"{self.portal}/accounts/login/", timeout=30)
        signed_in = portal.post(
            f"{self.portal}/accounts/login/",
            data={
                "username": "demo@example.com",
                "password": "demo-portal-password",
                "csrfmiddlewaretoken": portal.cookies["portal_csrftoken"],
            },
            headers={"Referer": f"{self.portal}/accounts/login/"},
            timeout=30,
        )
        assert "portal_session" in portal.cookies, signed_in.text[:500]
        to_autosync = portal.post(
            f"{self.portal}/connect/autosync/",
            data={"csrfmiddlewaretoken": portal.cookies["portal_csrftoken"]},
            headers={"Referer": f"{self.portal}/shops/"},
            allow_redirects=False,
            timeout=30,
        )
        assert to_autosync.status_code == 302, to_autosync.text[:500]

        owner = requests.Session()  # the owner's browser at AutoSync (cookies of its own)
        page = owner.get(to_autosync.headers["Location"], timeout=30)
        if "/accounts/login/" in urlsplit(page.url).path:
            page = owner.post(
                page.url,
                data={
                    "username": username,
                    "password": password,
                    "next": parse_qs(urlsplit(page.url).query)["next"][0],
                    "csrfmiddlewaretoken": owner.cookies["csrftoken"],
                },
                headers={"Referer": page.url},
                timeout=30,
            )
        shops = re.findall(r'name="shop" value="(\d+)"', page.text)
        approved = owner.post(
            page.url,
            data={
                "decision": "approve",
                "shop": shops,
                "csrfmiddlewaretoken": owner.cookies["csrftoken"],
            },
            headers={"Referer": page.url},
            allow_redirects=False,
            timeout=30,
        )
        assert approved.status_code == 302, approved.text[:500]
        back = portal.get(approved.headers["Location"], timeout=60)
        assert back.status_code == 200, back.text[:500]
        print(f"connected {len(shops)} shops through the consent", flush=True)

    # --- AutoSync's side ----------------------------------------------------------------

    def autosync_records(self, api_key: str, shop_ids: list[int]) -> dict:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {api_key}"

        def every(path: str) -> list[dict]:
            rows, page = [], 1
            while True:
                answer = session.get(
                    f"{self.sandbox}/v1{path}", params={"page": page, "per_page": 100}, timeout=30
                )
                if answer.status_code == 429:
                    time.sleep(float(answer.headers.get("Retry-After", 5)))
                    continue
                answer.raise_for_status()
                body = answer.json()
                rows += body["data"]
                if page * 100 >= body["pagination"]["total"]:
                    return rows
                page += 1

        return {
            str(shop): {
                "workorders": {
                    str(w["id"]): w["status"] for w in every(f"/shops/{shop}/workorders")
                },
                "customers": sorted(c["id"] for c in every(f"/shops/{shop}/customers")),
                "appointments": sorted(a["id"] for a in every(f"/shops/{shop}/appointments")),
                "payments": sorted(p["id"] for p in every(f"/shops/{shop}/payments")),
            }
            for shop in shop_ids
        }


def differences(truth: dict, mirror: dict) -> list[str]:
    found = []
    for shop, resources in truth.items():
        mine = mirror.get(shop)
        if mine is None:
            found.append(f"shop {shop} is not mirrored")
            continue
        wrong = {
            wo: (status, mine["workorders"].get(wo))
            for wo, status in resources["workorders"].items()
            if mine["workorders"].get(wo) != status
        }
        extra = set(mine["workorders"]) - set(resources["workorders"])
        if wrong or extra:
            found.append(f"shop {shop} work orders: (AutoSync, mirror) {wrong}, extra {extra}")
        for name in ("customers", "appointments", "payments"):
            theirs, ours = set(resources[name]), set(mine[name])
            if theirs != ours:
                found.append(
                    f"shop {shop} {name}: missing {sorted(theirs - ours)[:10]}, "
                    f"extra {sorted(ours - theirs)[:10]}"
                )
    return found


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def iso_seconds(text: str) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def rows_of(report: dict) -> list[dict]:
    """The soak's figures as rows of the table (benchmarks/report.py)."""
    seconds = report["duration_s"]
    length = f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"
    restarts = len(report["unexpected_exits"]) + len(report["gave_up"])
    return [
        row(
            "Soak",
            f"the whole system, {length} at simulator speed {report['simulator_speed']:g}",
            f"{'passed' if report['passed'] else 'failed'}: {restarts} restarts, "
            f"{sum(report['tracebacks'].values())} tracebacks, "
            f"{len(report['mirror_differences'])} differences from AutoSync over "
            f"{report['workorders_compared']:,} work orders (settled "
            f"{report['settled_after_s']} s after the simulator stopped)",
            target="0 restarts, 0 tracebacks, mirror equal to AutoSync",
            met=report["passed"],
        ),
        row(
            "Soak",
            "first full syncs of Johnson's shops",
            f"{report['first_sync_s']:.0f} s, {report['first_syncs_failed']} failed",
            target="0 failed",
            met=report["first_syncs_failed"] == 0,
        ),
        row(
            "Soak",
            "webhooks processed",
            f"{report['webhooks_processed']:,} of {report['webhooks_received']:,} received",
            target="all",
            met=report["webhooks_processed"] == report["webhooks_received"],
        ),
        row(
            "Soak",
            "webhook received → processed",
            f"p50 {report['received_to_processed_p50_s']:.2f} s, "
            f"p95 {report['received_to_processed_p95_s']:.2f} s",
            target="p95 < 2 s",
            met=report["received_to_processed_p95_s"] < 2,
        ),
        row(
            "Soak",
            "AutoSync's change (its whole-second timestamp) → processed",
            f"p50 {report['event_to_processed_p50_s']:.2f} s, "
            f"p95 {report['event_to_processed_p95_s']:.2f} s",
        ),
        row(
            "Soak",
            "requests to AutoSync after the first syncs",
            f"{report['autosync_requests_busiest_minute']} the busiest minute, "
            f"{report['autosync_requests']:,} in all",
            target="≤ 100 a minute (AutoSync's limit)",
            met=report["autosync_requests_busiest_minute"] <= 100,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of soak")
    parser.add_argument("--speed", type=float, default=4, help="the simulator's speed")
    parser.add_argument("--settle", type=float, default=180, help="seconds to catch up, at most")
    parser.add_argument("--json", help="also write the figures here, as rows of the table")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="soak-"))
    soak = Soak(var, args.speed)
    print(f"soak: VAR_DIR={var}, simulator speed {args.speed}", flush=True)
    report: dict = {"duration_s": args.duration, "simulator_speed": args.speed}
    try:
        started = time.monotonic()
        soak.start()
        report["startup_s"] = round(time.monotonic() - started, 1)
        seed = json.loads((var / "sandbox-seed.json").read_text())
        account = seed["accounts"][0]
        user = account["users"][0]
        soak.connect(user["username"], user["password"])

        started = time.monotonic()
        while True:
            state = soak.portal_state()
            if state["full_syncs_done"] + state["full_syncs_failed"] >= state["granted_shops"]:
                break
            if time.monotonic() - started > 900:
                raise SystemExit("the first full syncs did not finish within 15 minutes")
            time.sleep(5)
        report["first_sync_s"] = round(time.monotonic() - started, 1)
        report["first_syncs_failed"] = state["full_syncs_failed"]
        print(f"first full syncs finished in {report['first_sync_s']} s", flush=True)

        since = time.time()
        end = time.monotonic() + args.duration
        while time.monotonic() < end:
            time.sleep(min(60, max(0, end - time.monotonic())))
            state = soak.portal_state(since)
            print(
                f"  {int(time.time() - since)} s: {len(state['events'])} webhooks received, "
                f"{state['events_unprocessed']} waiting",
                flush=True,
            )
        soak.supervisor().stopProcess("sandbox-simulator")
        stopped_at = time.time()

        # Settle: the sender delivers what is left (retries after 10 s), the workers catch up.
        shop_ids = [s["id"] for s in account["shops"]]
        deadline = time.monotonic() + args.settle
        while True:
            truth = soak.autosync_records(account["api_key"], shop_ids)
            mirror = soak.portal_state(since, records=True)
            found = differences(truth, {str(k): v for k, v in mirror["shops"].items()})
            if not found or time.monotonic() > deadline:
                break
            time.sleep(10)
        report["settled_after_s"] = round(time.time() - stopped_at, 1)
        report["mirror_differences"] = found
        report["workorders_compared"] = sum(len(t["workorders"]) for t in truth.values())

        events = mirror["events"]
        processed = [e for e in events if e[1]]
        queue_delay = [e[1] - e[0] for e in processed]
        end_to_end = [e[1] - t for e in processed if (t := iso_seconds(e[2])) is not None]
        report["autosync_requests"] = mirror["autosync_requests"]
        report["autosync_requests_busiest_minute"] = mirror["autosync_requests_busiest_minute"]
        report["webhooks_received"] = len(events)
        report["webhooks_processed"] = len(processed)
        report["received_to_processed_p50_s"] = round(percentile(queue_delay, 50), 3)
        report["received_to_processed_p95_s"] = round(percentile(queue_delay, 95), 3)
        report["event_to_processed_p50_s"] = round(percentile(end_to_end, 50), 3)
        report["event_to_processed_p95_s"] = round(percentile(end_to_end, 95), 3)
        supervisor = soak.supervisor()
        report["processes"] = {p["name"]: p["statename"] for p in supervisor.getAllProcessInfo()}
    finally:
        soak.stop()

    log_dir = var / "log"
    supervisor_log = (log_dir / "supervisord.log").read_text()
    report["unexpected_exits"] = re.findall(r"exited: .*not expected.*", supervisor_log)
    report["gave_up"] = re.findall(r"gave up: .*", supervisor_log)
    report["tracebacks"] = {
        path.name: text.count("Traceback (most recent call last)")
        for path in sorted(log_dir.glob("*.log*"))
        if "Traceback (most recent call last)" in (text := path.read_text(errors="replace"))
    }
    report["passed"] = not (
        report["unexpected_exits"]
        or report["gave_up"]
        or report["tracebacks"]
        or report["mirror_differences"]
        or report["first_syncs_failed"]
    )
    (var / "soak.json").write_text(json.dumps(report, indent=2))
    write_rows(args.json, rows_of(report))
    print(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
