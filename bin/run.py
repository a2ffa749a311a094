"""`make run`: prepare both databases, then start every process of the system and supervise them.

Processes (architecture.md, "Processes"): the sandbox web server, its webhook sender and its
simulator; the portal web server, its Celery worker and beat. Output is prefixed with the
process name; Ctrl-C (or any process exiting) stops them all.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
PY = sys.executable
SANDBOX_PORT = os.environ.get("SANDBOX_PORT", "8001")
PORTAL_PORT = os.environ.get("PORTAL_PORT", "8000")
SANDBOX_URL = f"http://127.0.0.1:{SANDBOX_PORT}"
PORTAL_URL = os.environ.get("PORTAL_BASE_URL", f"http://127.0.0.1:{PORTAL_PORT}")
SEED_FILE = VAR / "sandbox-seed.json"

ENV = {
    **os.environ,
    "PYTHONUNBUFFERED": "1",
    "SANDBOX_BASE_URL": SANDBOX_URL,
    "PORTAL_BASE_URL": PORTAL_URL,
    "AUTOSYNC_API_URL": os.environ.get("AUTOSYNC_API_URL", f"{SANDBOX_URL}/v1"),
    "AUTOSYNC_AUTHORIZE_URL": os.environ.get(
        "AUTOSYNC_AUTHORIZE_URL", f"{SANDBOX_URL}/oauth/authorize"
    ),
}


def step(title: str, *command: str) -> str:
    print(f"==> {title}", flush=True)
    result = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"make run: '{' '.join(command)}' failed")
    return result.stdout


def has_command(project: str, name: str) -> bool:
    """Whether a management command exists yet (the system grows issue by issue)."""
    base = ROOT / project
    return any(base.glob(f"**/management/commands/{name}.py"))


def prepare() -> dict:
    VAR.mkdir(exist_ok=True)
    sandbox = (PY, "-m", "sandbox")
    step("Migrating the sandbox database", *sandbox, "migrate", "--noinput", "-v0")
    empty = step(
        "Looking at the sandbox's data",
        *sandbox,
        "shell",
        "--no-imports",
        "-c",
        "from sandbox.core.models import Account; print(not Account.objects.exists())",
    )
    fresh = empty.strip() == "True"
    if fresh:
        # A new sandbox database: seed it, and keep what only `seed` can tell (the API keys
        # and passwords) for the banner of later starts.
        out = step(
            "Seeding the sandbox with demo shops", *sandbox, "seed", "--scale", "demo", "--json"
        )
        SEED_FILE.write_text(out)
        SEED_FILE.chmod(0o600)
    elif not SEED_FILE.exists():
        sys.exit("make run: var/sandbox-seed.json is gone; remove var/sandbox.sqlite3 to reseed")
    step("Migrating the portal database", PY, "manage.py", "migrate", "--noinput", "-v0")
    if has_command("portal", "register_with_sandbox"):
        force = ("--force",) if fresh else ()
        step(
            "Registering the portal as an OAuth client of the sandbox",
            PY,
            "manage.py",
            "register_with_sandbox",
            "--sandbox-url",
            SANDBOX_URL,
            *force,
        )
    seed = json.loads(SEED_FILE.read_text())
    if has_command("portal", "create_demo_staff"):
        seed["demo_staff"] = step(
            "Creating the demo staff login", PY, "manage.py", "create_demo_staff"
        ).strip()
    return seed


def processes() -> dict[str, list[str]]:
    procs = {
        "sandbox": [
            PY,
            "-m",
            "gunicorn",
            "sandbox.wsgi:application",
            "--bind",
            f"127.0.0.1:{SANDBOX_PORT}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        "portal": [PY, "manage.py", "runserver", f"127.0.0.1:{PORTAL_PORT}"],
    }
    if has_command("sandbox", "deliver_webhooks"):
        procs["webhooks"] = [PY, "-m", "sandbox", "deliver_webhooks"]
    if has_command("sandbox", "simulate"):
        procs["simulator"] = [PY, "-m", "sandbox", "simulate", "--speed", "1"]
    if (ROOT / "portal" / "celery.py").exists():
        procs["worker"] = [
            PY,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--loglevel",
            "info",
            "--concurrency",
            "2",
        ]
        procs["beat"] = [
            PY,
            "-m",
            "celery",
            "-A",
            "portal",
            "beat",
            "--loglevel",
            "info",
            "--schedule",
            str(VAR / "celerybeat-schedule"),
        ]
    return procs


def banner(seed: dict) -> None:
    lines = [
        "",
        "AutoSync customer portal is running. Ctrl-C stops everything.",
        "",
        f"  Portal   {PORTAL_URL}/",
    ]
    if "demo_staff" in seed:
        lines.append(f"           {seed['demo_staff']}")
    lines.append("           (or sign up; mail the portal sends is shown at /dev/mail/)")
    lines += [
        f"  Sandbox  {SANDBOX_URL}/admin/  (AutoSync's back office and OAuth consent)",
    ]
    for account in seed["accounts"]:
        user = account["users"][0]
        shops = ", ".join(s["name"] for s in account["shops"])
        lines.append(f"           {user['username']} / {user['password']}  ({shops})")
    lines.append(
        f"  API      {SANDBOX_URL}/v1/  (key for Johnson's: {seed['accounts'][0]['api_key']})"
    )
    print("\n".join(lines) + "\n", flush=True)


def supervise(procs: dict[str, list[str]]) -> int:
    running: dict[str, subprocess.Popen] = {}
    selector = selectors.DefaultSelector()
    width = max(len(name) for name in procs)
    for name, command in procs.items():
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        running[name] = proc
        selector.register(proc.stdout, selectors.EVENT_READ, name)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for key, _ in selector.select(timeout=0.5):
            line = key.fileobj.readline()
            if line:
                sys.stdout.write(f"{key.data:<{width}} | {line.decode(errors='replace')}")
                sys.stdout.flush()
        for name, proc in running.items():
            if proc.poll() is not None:
                print(f"make run: {name} exited with {proc.returncode}; stopping", flush=True)
                code = proc.returncode or 1
                stopping = True
    for proc in running.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in running.values():
        try:
            proc.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return code


def announce_when_up(seed: dict) -> None:
    """Print where to go once the portal answers (its first start compiles templates)."""
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{PORTAL_URL}/", timeout=1)  # noqa: S310 (a local URL)
        except OSError:
            time.sleep(0.3)
            continue
        banner(seed)
        return


def main() -> int:
    seed = prepare()
    threading.Thread(target=announce_when_up, args=(seed,), daemon=True).start()
    return supervise(processes())


if __name__ == "__main__":
    sys.exit(main())
