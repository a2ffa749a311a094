"""Real processes for integration tests: a live sandbox (gunicorn) on its own database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parents[2]

# Test and benchmark webhook receivers listen on 127.0.0.1, which the sandbox refuses by
# default: every sandbox process started from here, directly or through the portal's commands
# (`register_with_sandbox`), inherits this. In-process sandbox settings are read before.
os.environ.setdefault("SANDBOX_ALLOW_PRIVATE_WEBHOOKS", "1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def service_missing(what: str) -> None:
    """A service a test needs is absent: a failure in CI, a visible skip elsewhere."""
    import pytest

    if in_ci():
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available")


def fresh_database_url(base_url: str | None, tmp_dir: Path) -> str:
    """A new, empty database beside `base_url` (a PostgreSQL URL), or a SQLite file."""
    if not base_url or base_url.startswith("sqlite"):
        return f"sqlite:///{tmp_dir / f'sandbox-{uuid.uuid4().hex[:8]}.sqlite3'}"
    import psycopg

    parts = urlsplit(base_url)
    name = f"autosync_live_{uuid.uuid4().hex[:10]}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sandbox_command(
    database_url: str, *args: str, env: dict | None = None, timeout: float = 600
) -> str:
    """Run `python -m sandbox ARGS` against `database_url`; its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "SANDBOX_DATABASE_URL": database_url,
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"sandbox {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class SandboxDatabase:
    """A migrated, seeded sandbox database and what `seed --json` said about it."""

    url: str
    seed: dict

    @classmethod
    def create(cls, tmp_dir: Path, scale: str = "small") -> SandboxDatabase:
        url = fresh_database_url(os.environ.get("SANDBOX_DATABASE_URL"), tmp_dir)
        sandbox_command(url, "migrate", "-v0")
        seed = json.loads(sandbox_command(url, "seed", "--scale", scale, "--json"))
        return cls(url=url, seed=seed)

    def command(self, *args: str, env: dict | None = None) -> str:
        return sandbox_command(self.url, *args, env=env)

    def new_api_keys(self, account_id: int, count: int = 1) -> list[str]:
        """Fresh API keys: a test that counts requests needs a rate window of its own."""
        out = self.command(
            "create_api_key", "--account", str(account_id), "--count", str(count), "--json"
        )
        return json.loads(out)["keys"]

    def drop(self) -> None:
        drop_database(self.url)


class Gunicorn:
    """A gunicorn process serving one WSGI app on a free local port (2 workers x 8 threads by
    default: several processes, as production has). Benchmarks start theirs the same way."""

    def __init__(
        self,
        app: str,
        env: dict,
        *,
        log_path: Path | None = None,
        workers: int = 2,
        port: int | None = None,
        ready_path: str = "/",
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                app,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "8",
                "--timeout",
                "120",
                "--graceful-timeout",
                "2",
            ],
            cwd=ROOT,
            env={**os.environ, **{k: str(v) for k, v in env.items()}},
            stdout=log,
            stderr=log,
        )
        if log is not subprocess.DEVNULL:
            log.close()  # the child has its own descriptor
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{app} exited at start; see {log_path}")
            try:
                requests.get(self.url + ready_path, timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{app} did not start within 60 s; see {log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class LiveSandbox:
    """A sandbox server process (gunicorn, several workers) serving `database`."""

    database: SandboxDatabase
    env: dict = field(default_factory=dict)
    workers: int = 2
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    server: Gunicorn | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def process(self) -> subprocess.Popen | None:
        return self.server.process if self.server else None

    def start(self) -> LiveSandbox:
        env = {
            "DJANGO_SETTINGS_MODULE": "sandbox.settings",
            "SANDBOX_DATABASE_URL": self.database.url,
            "SANDBOX_BASE_URL": self.url,
            **self.env,
        }
        self.server = Gunicorn(
            "sandbox.wsgi:application",
            env,
            log_path=self.log_path,
            workers=self.workers,
            port=self.port,
            ready_path="/.well-known/oauth-authorization-server",
        )
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()


def celery_worker(
    env: dict, name: str, log, loglevel: str = "INFO", queues: str | None = None
) -> subprocess.Popen:
    """A real portal Celery worker (solo pool: one task at a time, killable as one process).
    `env` is the whole environment it runs with; by default it consumes every queue the
    portal routes tasks to (settings.CELERY_TASK_ROUTES) and the default one."""
    if queues is None:
        from django.conf import settings

        routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
        queues = ",".join(sorted(routed | {"celery"}))
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            f"--loglevel={loglevel}",
            "-Q",
            queues,
            "-n",
            f"{name}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
