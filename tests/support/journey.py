"""The whole system as `make run` starts it, for the browser journey: the sandbox (gunicorn on a
freshly seeded database) and its webhook sender, the portal under gunicorn, and its Celery
workers (one for webhooks and everything else, one for syncs, as the Procfile has them), on
the CI pass's database and broker. Also the journey's camera (numbered screenshots) and its
watch on the browser's console."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.portal import portal_database_url
from tests.support.servers import (
    ROOT,
    Gunicorn,
    LiveSandbox,
    SandboxDatabase,
    celery_worker,
    free_port,
    service_missing,
)

#: Where the journey keeps its screenshots (numbered in the journey's order) and its logs.
JOURNEY_DIR = ROOT / "var" / "journey"
#: Seconds added to every request to AutoSync's API.
API_LATENCY = 0.3


def broker_env() -> dict:
    """The CI pass's broker: Redis when CELERY_BROKER_URL names it (and it answers), else the
    embedded filesystem broker under the processes' own VAR_DIR."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis"):
        return {}
    import redis

    try:
        redis.Redis.from_url(broker, socket_timeout=2).ping()
    except redis.RedisError:
        service_missing("Redis")
    return {"CELERY_BROKER_URL": broker}


@dataclass
class System:
    """Every process of the journey, started in order and stopped in reverse."""

    work: Path
    portal_port: int = field(default_factory=free_port)
    processes: list = field(default_factory=list)

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}"

    def start(self, secret_key: str, encryption_keys: list[str]) -> System:
        logs = JOURNEY_DIR / "logs"
        shutil.rmtree(logs, ignore_errors=True)  # this run's only
        logs.mkdir(parents=True)
        self.sandbox_db = SandboxDatabase.create(self.work)
        client = json.loads(
            self.sandbox_db.command(
                "create_oauth_client",
                "--name", "AutoSync customer portal",
                "--redirect-uri", f"{self.portal_url}/connect/autosync/callback/",
                "--webhook-url", f"{self.portal_url}/webhooks/autosync/",
                "--json",
            )
        )  # fmt: skip
        # AutoSync is not on this machine: each API request takes a little while, so that a
        # first sync lasts long enough to be watched.
        self.sandbox = LiveSandbox(
            self.sandbox_db,
            env={"SANDBOX_FAULTS": f"latency=1:{API_LATENCY}"},
            log_path=logs / "sandbox.log",
        ).start()
        self.processes.append(self.sandbox)
        sandbox_log = open(logs / "sandbox-webhooks.log", "ab")  # noqa: SIM115
        sender = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "deliver_webhooks", "--poll", "0.1"],
            cwd=ROOT,
            env={**os.environ, "SANDBOX_DATABASE_URL": self.sandbox_db.url},
            stdout=sandbox_log,
            stderr=sandbox_log,
        )
        sandbox_log.close()
        self.processes.append(sender)

        var = self.work / "var"  # the portal processes' own: mail, filesystem broker, budget
        env = {
            **os.environ,
            **broker_env(),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "1",
            "PORTAL_DEV_MAILBOX": "1",
            "VAR_DIR": str(var),
            "DATABASE_URL": portal_database_url(),
            "SECRET_KEY": secret_key,
            "PORTAL_ENCRYPTION_KEYS": ",".join(encryption_keys),
            "PORTAL_BASE_URL": self.portal_url,
            "AUTOSYNC_API_URL": self.sandbox.api_url,
            "AUTOSYNC_AUTHORIZE_URL": f"{self.sandbox.url}/oauth/authorize",
            "AUTOSYNC_CLIENT_ID": client["client_id"],
            "AUTOSYNC_CLIENT_SECRET": client["client_secret"],
            "AUTOSYNC_WEBHOOK_SECRET": client["webhook_secret"],
            "CELERY_POLLING_INTERVAL": "0.1",
            "PYTHONUNBUFFERED": "1",
        }
        self.portal = Gunicorn(
            "portal.wsgi:application",
            env,
            log_path=logs / "portal.log",
            port=self.portal_port,
            ready_path="/healthz",
        )
        self.processes.append(self.portal)
        worker_log = open(logs / "workers.log", "ab")  # noqa: SIM115
        for name, queues in (
            ("journey-webhooks", "webhooks"),
            ("journey-interactive", "interactive,email,celery"),
            ("journey-sync", "sync"),
        ):
            self.processes.append(celery_worker(env, name, worker_log, queues=queues))
        worker_log.close()
        return self

    def simulate(self, step: str, email: str) -> dict:
        """One directed step of the sandbox's simulator (tests/support/journey_simulator.py)."""
        result = subprocess.run(
            [sys.executable, "-m", "tests.support.journey_simulator", step, email],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "sandbox.settings",
                "SANDBOX_DATABASE_URL": self.sandbox_db.url,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"simulator {step} failed:\n{result.stdout}\n{result.stderr}")
        return json.loads(result.stdout)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if isinstance(process, subprocess.Popen):
                if process.poll() is None:
                    process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            else:
                process.stop()
        if getattr(self, "sandbox_db", None):
            self.sandbox_db.drop()


class Camera:
    """Numbered screenshots of the journey's steps, in JOURNEY_DIR (emptied at the start)."""

    def __init__(self, directory: Path = JOURNEY_DIR) -> None:
        self.directory = directory
        for old in directory.glob("*.png"):
            old.unlink()
        directory.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def shoot(self, page, name: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{name}.png"
        page.wait_for_load_state()  # its stylesheets too, not only what was waited for
        page.screenshot(path=str(path), full_page=True)
        return path


def watch_console(context, problems: list[str]) -> None:
    """Every console error and uncaught exception of the context's pages goes to `problems`
    (CSP violations are console errors too; tests.support.browser also reports them)."""

    def on_console(message) -> None:
        if message.type == "error":
            problems.append(f"console error on {message.page.url if message.page else '?'}: "
                            f"{message.text}")  # fmt: skip

    def on_page(page) -> None:
        page.on("pageerror", lambda error: problems.append(f"page error on {page.url}: {error}"))

    context.on("console", on_console)
    context.on("page", on_page)
