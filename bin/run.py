"""`make run`: prepare both databases, then run every process of the system under supervisord.

The processes are the lines of `Procfile` (the portal, as deployed) and `Procfile.sandbox`
(the local AutoSync). supervisord restarts a process that exits (after a short backoff; one
that keeps failing to start is given up on) and keeps each one's whole output in
`var/log/<process>.log`. The console shows what a person needs: warnings, errors with their
whole tracebacks, and a few key events; then the banner with the logins, last
(`make urls` prints it again). Ctrl-C stops everything.

`python -m bin.run urls` prints the banner of the running system.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = Path(os.environ.get("VAR_DIR", ROOT / "var")).resolve()
LOG_DIR = VAR / "log"
BANNER_FILE = VAR / "banner.txt"
PY = sys.executable
SANDBOX_PORT = os.environ.get("SANDBOX_PORT", "8001")
PORTAL_PORT = os.environ.get("PORTAL_PORT", "8000")
SANDBOX_URL = f"http://127.0.0.1:{SANDBOX_PORT}"
PORTAL_URL = os.environ.get("PORTAL_BASE_URL", f"http://127.0.0.1:{PORTAL_PORT}")
SEED_FILE = VAR / "sandbox-seed.json"
PROCFILES = (ROOT / "Procfile", ROOT / "Procfile.sandbox")

ENV = {
    **os.environ,
    # The Procfiles name `gunicorn`, `celery` and `python`: this virtualenv's.
    "PATH": f"{Path(PY).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    "PYTHONUNBUFFERED": "1",
    "VAR_DIR": str(VAR),
    "SANDBOX_PORT": SANDBOX_PORT,
    "PORTAL_PORT": PORTAL_PORT,
    "SANDBOX_BASE_URL": SANDBOX_URL,
    "PORTAL_BASE_URL": PORTAL_URL,
    "AUTOSYNC_API_URL": os.environ.get("AUTOSYNC_API_URL", f"{SANDBOX_URL}/v1"),
    "AUTOSYNC_AUTHORIZE_URL": os.environ.get(
        "AUTOSYNC_AUTHORIZE_URL", f"{SANDBOX_URL}/oauth/authorize"
    ),
    # A development machine: debug pages, mail shown at /accounts/dev/mail/, and the sandbox
    # may send webhooks to the portal on 127.0.0.1 (all off by default elsewhere).
    "DEBUG": "1",
    "PORTAL_DEV_MAILBOX": "1",
    "SANDBOX_ALLOW_PRIVATE_WEBHOOKS": "1",
}


# --- Before the processes start ----------------------------------------------------------


def step(title: str, *command: str) -> str:
    print(f"==> {title}", flush=True)
    result = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"make run: '{' '.join(command)}' failed")
    return result.stdout


def prepare() -> dict:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
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
        sys.exit(f"make run: {SEED_FILE} is gone; remove the sandbox database to reseed")
    step("Migrating the portal database", PY, "manage.py", "migrate", "--noinput", "-v0")
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
    seed["demo_staff"] = step(
        "Creating the demo staff login", PY, "manage.py", "create_demo_staff"
    ).strip()
    return seed


# --- supervisord -------------------------------------------------------------------------


def read_procfile(path: Path) -> dict[str, str]:
    """`name: command` lines (blank lines and # comments skipped)."""
    processes = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def supervisor_config(
    processes: dict[str, str], var: Path, *, start_secs: int = 5, start_retries: int = 5
) -> str:
    """supervisord's configuration for `processes` (name: shell command, as in a Procfile),
    with its socket, pid file and logs under `var`.

    Restarts: a process that exits is started again (autorestart); one that exits within
    `startsecs` of starting counts as a failed start, retried after 1, 2, 3... s, and given up
    (FATAL) after `startretries` of them: a crash loop stops. Stopping sends TERM to the
    process (gunicorn and Celery then stop their children in order), and KILL to its whole
    group after 10 s."""
    log_dir = var / "log"
    sections = [
        "[supervisord]",
        "nodaemon=true",
        "silent=true",
        f"logfile={log_dir / 'supervisord.log'}",
        f"pidfile={var / 'supervisord.pid'}",
        f"childlogdir={log_dir}",
        "",
        "[unix_http_server]",
        f"file={var / 'supervisor.sock'}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{var / 'supervisor.sock'}",
    ]
    for name, command in processes.items():
        # sh expands the Procfile's ${VAR:-default}; exec leaves the process in its place.
        # supervisord expands %(...)s in its values: a literal % is written %%.
        shell = shlex.quote(f"exec {command}").replace("%", "%%")
        sections += [
            "",
            f"[program:{name}]",
            f"command=/bin/sh -c {shell}",
            f"directory={ROOT}",
            "autorestart=true",
            f"startsecs={start_secs}",
            f"startretries={start_retries}",
            "stopsignal=TERM",
            "stopwaitsecs=10",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={log_dir / name}.log",
            "stdout_logfile_maxbytes=20MB",
            "stdout_logfile_backups=3",
        ]
    return "\n".join(sections) + "\n"


def start_supervisord(
    processes: dict[str, str], var: Path, env: dict, **options
) -> subprocess.Popen:
    (var / "log").mkdir(parents=True, exist_ok=True)
    config = var / "supervisord.conf"
    config.write_text(supervisor_config(processes, var, **options))
    # Its own session: Ctrl-C reaches this script, which then stops supervisord in order.
    return subprocess.Popen(
        [PY, "-m", "supervisor.supervisord", "-c", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # silent: its events are in var/log/supervisord.log
        start_new_session=True,  # (what it cannot start with, e.g. a socket in use, is on stderr)
    )


# --- What the console shows --------------------------------------------------------------

LEVEL = re.compile(r"\b(WARNING|ERROR|CRITICAL|FATAL)\b")
TRACEBACK = "Traceback (most recent call last):"
# Lines inside a traceback that are not its last line.
TRACEBACK_BODY = re.compile(
    r"^(\s|$|Traceback |During handling of the above|The above exception|\S+Group|[|+])"
)
KEY_EVENTS = [
    (re.compile(r"Listening at: (\S+)"), "listening at {0}"),
    (re.compile(r"Connected to \S+"), "connected to the broker"),
    (re.compile(r"\b\S+@\S+ ready\."), "ready"),
    (re.compile(r"beat: Starting\.\.\."), "beat started"),
    # The access log's line, without the query (it holds the code and the state).
    (
        re.compile(r'"GET /connect/autosync/callback/\S* HTTP/[\d.]+" (\d+)'),
        "a shop owner came back from AutoSync's consent ({0})",
    ),
    (
        re.compile(r"Task portal\.mirror\.tasks\.run_sync\[[^\]]+\] succeeded in (\d+\.?\d?)"),
        "a sync finished ({0} s)",
    ),
    (
        re.compile(r'"POST /book/[^/ ]+/visit/review/ HTTP/[\d.]+" 302'),
        "a vehicle owner booked a visit",
    ),
    (
        re.compile(r"Task portal\.booking\.tasks\.confirm_booking\[[^\]]+\] succeeded"),
        "a booking went to AutoSync",
    ),
]
SUPERVISOR_EVENTS = [
    (re.compile(r"exited: (\S+) \((.*); not expected\)"), "{0}: exited ({1}); restarting"),
    (re.compile(r"gave up: (\S+) entered FATAL state"), "{0}: keeps failing; gave up"),
]


class ConsoleFilter:
    """Picks, from one process's log lines, what the console shows: warnings and errors,
    whole tracebacks, and key events."""

    def __init__(self) -> None:
        self.in_traceback = False

    def __call__(self, line: str) -> str | None:
        line = line.rstrip("\n")
        if self.in_traceback:
            # The first line that is not part of the stack is the exception: the last one.
            self.in_traceback = bool(TRACEBACK_BODY.match(line))
            return line
        if TRACEBACK in line:
            self.in_traceback = True
            return line
        if LEVEL.search(line):
            return line
        for pattern, text in KEY_EVENTS:
            found = pattern.search(line)
            if found:
                return text.format(*found.groups())
        return None


def supervisor_event(line: str) -> str | None:
    for pattern, text in SUPERVISOR_EVENTS:
        found = pattern.search(line)
        if found:
            return text.format(*found.groups())
    return None


class Tail:
    """Follows a log file from where it ends now (survives the file being rotated)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.position = path.stat().st_size if path.exists() else 0
        self.partial = ""

    def lines(self) -> list[str]:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return []
        if size < self.position:  # rotated
            self.position = 0
        if size == self.position:
            return []
        with open(self.path, encoding="utf-8", errors="replace") as f:
            f.seek(self.position)
            text = self.partial + f.read()
            self.position = f.tell()
        *complete, self.partial = text.split("\n")
        return complete


def follow(names: list[str], log_dir: Path, stop: threading.Event, out=sys.stdout) -> None:
    """Print the console's share of each process's log, prefixed with its name."""
    width = max(len(n) for n in [*names, "supervisor"])
    tails = {name: (Tail(log_dir / f"{name}.log"), ConsoleFilter()) for name in names}
    supervisor = Tail(log_dir / "supervisord.log")
    while not stop.is_set():
        for line in supervisor.lines():
            event = supervisor_event(line)
            if event:
                out.write(f"{'supervisor':<{width}} | {event}\n")
        for name, (tail, console) in tails.items():
            for line in tail.lines():
                shown = console(line)
                if shown is not None:
                    out.write(f"{name:<{width}} | {shown}\n")
        out.flush()
        stop.wait(0.2)


# --- The banner --------------------------------------------------------------------------


def banner(seed: dict) -> str:
    lines = [
        "AutoSync customer portal is running. Ctrl-C stops everything.",
        f"Full logs: {LOG_DIR}/<process>.log; `make urls` prints this again.",
        "",
        f"  Portal   {PORTAL_URL}/",
        f"           {seed['demo_staff']}",
        "           (or sign up; mail the portal sends is shown at /accounts/dev/mail/)",
        f"  Owners   {PORTAL_URL}/garage/sign-in/  with the email of any customer of a connected",
        "           shop (the back office lists them); link and code arrive in /accounts/dev/mail/",
        f"  Sandbox  {SANDBOX_URL}/admin/  (AutoSync's back office and OAuth consent)",
    ]
    for account in seed["accounts"]:
        user = account["users"][0]
        shops = ", ".join(s["name"] for s in account["shops"])
        lines.append(f"           {user['username']} / {user['password']}  ({shops})")
    lines.append(
        f"  API      {SANDBOX_URL}/v1/  (key for Johnson's: {seed['accounts'][0]['api_key']})"
    )
    return "\n".join(lines) + "\n"


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)  # noqa: S310 (a local URL)
    except OSError:
        return False
    return True


def announce_when_up(seed: dict, stop: threading.Event) -> None:
    """Print the banner, last, once both web servers answer; keep it for `make urls`."""
    while not stop.wait(0.5):
        if answers(f"{SANDBOX_URL}/.well-known/oauth-authorization-server") and answers(
            f"{PORTAL_URL}/"
        ):
            text = banner(seed)
            BANNER_FILE.write_text(text)
            BANNER_FILE.chmod(0o600)  # it holds passwords, like sandbox-seed.json
            time.sleep(1)  # let the processes' start-up events print first
            print("\n" + text, flush=True)
            return


def urls() -> int:
    if not (BANNER_FILE.exists() and supervisord_running()):
        print("The system is not running: `make run` starts it.")
        return 1
    print(BANNER_FILE.read_text(), end="")
    return 0


# --- main --------------------------------------------------------------------------------


def supervisord_running() -> bool:
    try:
        os.kill(int((VAR / "supervisord.pid").read_text()), 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return False
    return True


def run() -> int:
    if supervisord_running():
        sys.exit(f"make run: already running on {VAR} (`make urls` says where)")
    seed = prepare()
    BANNER_FILE.unlink(missing_ok=True)
    processes = {}
    for procfile in PROCFILES:
        processes.update(read_procfile(procfile))
    print(f"==> Starting {', '.join(processes)} (supervisord)", flush=True)
    stop = threading.Event()
    supervisord = start_supervisord(processes, VAR, ENV)
    interrupted = []

    def on_signal(*_):
        interrupted.append(True)  # only a flag: the main loop below acts on it

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    threading.Thread(target=announce_when_up, args=(seed, stop), daemon=True).start()
    console = threading.Thread(target=follow, args=(list(processes), LOG_DIR, stop))
    console.start()
    while not interrupted and supervisord.poll() is None:
        time.sleep(0.2)
    stop.set()
    console.join()
    BANNER_FILE.unlink(missing_ok=True)
    if supervisord.poll() is not None:
        if supervisord.returncode == 0:  # shut down from outside (supervisorctl, a signal)
            print("\n==> supervisord was stopped from outside; every process stopped", flush=True)
            return 0
        print(
            f"make run: supervisord exited with {supervisord.returncode}; "
            f"its log is {LOG_DIR / 'supervisord.log'}",
            flush=True,
        )
        return supervisord.returncode
    print("\n==> Stopping every process", flush=True)
    supervisord.terminate()  # it stops each program: TERM, then KILL to its group after 10 s
    try:
        supervisord.wait(30)
    except subprocess.TimeoutExpired:
        supervisord.kill()
    return 0


if __name__ == "__main__":
    sys.exit(urls() if sys.argv[1:] == ["urls"] else run())
