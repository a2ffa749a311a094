"""`make run`'s supervision (bin/run.py): supervisord restarts a killed worker while the portal
keeps answering, gives up on a crash loop, and the console shows whole tracebacks and key
events, not the processes' chatter."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
import xmlrpc.client

import pytest
import requests
from supervisor.xmlrpc import SupervisorTransport

from bin.run import (
    PROCFILES,
    ConsoleFilter,
    follow,
    read_procfile,
    start_supervisord,
    supervisor_event,
)
from tests.support.servers import free_port


def rpc(var):
    transport = SupervisorTransport(None, None, f"unix://{var / 'supervisor.sock'}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (OSError, xmlrpc.client.Fault):
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def supervised(tmp_path):
    """Start supervisord on some processes under tmp_path; stop it (and them) afterwards."""
    started = []

    def start(processes: dict[str, str], env: dict | None = None, **options):
        env = {
            **os.environ,
            "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            **(env or {}),
        }
        env.pop("CELERY_BROKER_URL", None)  # the embedded broker, in tmp_path: nobody else's
        process = start_supervisord(processes, tmp_path, env, **options)
        started.append(process)
        wait_for(lambda: rpc(tmp_path).getState()["statename"] == "RUNNING", 20, "supervisord")
        return rpc(tmp_path)

    yield start
    for process in started:
        process.terminate()
        process.wait(30)


def test_a_killed_worker_is_restarted_while_the_portal_keeps_answering(supervised, tmp_path):
    procfile = read_procfile(PROCFILES[0])
    port = free_port()
    supervisor = supervised(
        {name: procfile[name] for name in ("web", "worker-webhooks")},
        {"PORTAL_PORT": str(port)},
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for(lambda: requests.get(url, timeout=2).ok, 30, "the portal to answer")
    worker = wait_for(
        lambda: (
            (info := supervisor.getProcessInfo("worker-webhooks"))["statename"] == "RUNNING"
            and info
        ),
        30,
        "the worker to run",
    )
    console = io.StringIO()
    stop = threading.Event()
    tail = threading.Thread(
        target=follow, args=(["worker-webhooks"], tmp_path / "log", stop, console)
    )
    tail.start()

    os.killpg(worker["pid"], signal.SIGKILL)  # the worker and its pool

    answers = []
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        answers.append(requests.get(url, timeout=5).status_code)
        info = supervisor.getProcessInfo("worker-webhooks")
        if info["statename"] == "RUNNING" and info["pid"] != worker["pid"]:
            break
        time.sleep(0.2)
    stop.set()
    tail.join()
    assert info["statename"] == "RUNNING" and info["pid"] != worker["pid"], info
    assert set(answers) == {200}
    assert supervisor.getProcessInfo("web")["statename"] == "RUNNING"
    shown = [line.split(" | ") for line in console.getvalue().splitlines()]
    assert [(who.strip(), what) for who, what in shown][:2] == [
        ("supervisor", "worker-webhooks: exited (terminated by SIGKILL); restarting"),
        ("worker-webhooks", "connected to the broker"),
    ]


def test_a_process_that_keeps_crashing_is_given_up_on_and_its_traceback_shown(supervised, tmp_path):
    crash = "python -c 'import portal.nothing_here'"
    # Each crash comes well inside start_secs even on a busy machine (a crash after it would
    # count as a start, and supervisord would try once more).
    supervisor = supervised({"crasher": crash, "steady": "sleep 60"}, start_secs=4, start_retries=2)

    wait_for(
        lambda: supervisor.getProcessInfo("crasher")["statename"] == "FATAL",
        30,
        "supervisord to give up",
    )
    # The steady process counts as started once it has run start_secs: it may not have yet.
    wait_for(
        lambda: supervisor.getProcessInfo("steady")["statename"] == "RUNNING",
        30,
        "the steady process to count as started",
    )
    log = (tmp_path / "log" / "crasher.log").read_text()
    assert log.count("ModuleNotFoundError: No module named 'portal.nothing_here'") == 3
    supervisor_log = (tmp_path / "log" / "supervisord.log").read_text()
    events = [e for e in map(supervisor_event, supervisor_log.splitlines()) if e]
    assert events == [
        *["crasher: exited (exit status 1); restarting"] * 3,
        "crasher: keeps failing; gave up",
    ]


def test_the_console_shows_warnings_whole_tracebacks_and_key_events_only():
    log = """\
 -------------- webhooks@vm v5.7.0 (collider)
- ** ---------- .> transport:   portal.broker:Transport://localhost//
[2026-11-28 14:03:28,414: INFO/MainProcess] Connected to portal.broker:Transport://localhost//
[2026-11-28 14:03:28,429: INFO/MainProcess] webhooks@vm ready.
[2026-11-28 14:04:28,492: INFO/MainProcess] Task portal.mirror.tasks.process_event[d1] received
127.0.0.1 - - [28/Nov/2026:14:03:25 +0000] "POST /webhooks/autosync/ HTTP/1.1" 200 2
127.0.0.1 - - [28/Nov/2026:14:03:26] "GET /connect/autosync/callback/?code=c0de HTTP/1.1" 302 0
2026-11-28 14:05:00,000 WARNING django.request: Unauthorized: /webhooks/autosync/
[2026-11-28 14:05:01,000: ERROR/Fork-1] Task process_event[d2] raised: KeyError('id')
Traceback (most recent call last):
  File "/app/portal/mirror/events.py", line 10, in apply
    remote_id = body["id"]
                ~~~~^^^^^^
KeyError: 'id'
[14:05:02,000: INFO/Fork-1] Task portal.mirror.tasks.run_sync[d3] succeeded in 12.53s: 'done'
[2026-11-28 14:05:03,000: INFO/MainProcess] Task portal.mirror.tasks.sweep_events[d4] received
127.0.0.1 - - [28/Nov/2026:14:06:00] "POST /book/main-street/visit/review/ HTTP/1.1" 302 0
127.0.0.1 - - [28/Nov/2026:14:06:01] "POST /book/main-street/visit/review/ HTTP/1.1" 422 0
[14:06:02,000: INFO/Fork-1] Task portal.booking.tasks.confirm_booking[d5] succeeded in 0.4s: True
"""
    console = ConsoleFilter()
    shown = [s for s in map(console, log.splitlines()) if s is not None]

    assert not any("c0de" in line for line in shown)
    assert shown == [
        "connected to the broker",
        "ready",
        "a shop owner came back from AutoSync's consent (302)",
        "2026-11-28 14:05:00,000 WARNING django.request: Unauthorized: /webhooks/autosync/",
        "[2026-11-28 14:05:01,000: ERROR/Fork-1] Task process_event[d2] raised: KeyError('id')",
        "Traceback (most recent call last):",
        '  File "/app/portal/mirror/events.py", line 10, in apply',
        '    remote_id = body["id"]',
        "                ~~~~^^^^^^",
        "KeyError: 'id'",
        "a sync finished (12.5 s)",
        "a vehicle owner booked a visit",
        "a booking went to AutoSync",
    ]


def test_make_run_starts_a_worker_pool_per_queue():
    processes = {}
    for procfile in PROCFILES:
        processes.update(read_procfile(procfile))

    assert set(processes) == {
        "web",
        "worker-webhooks",
        "worker-interactive",
        "worker-sync",
        "beat",
        "sandbox",
        "sandbox-webhooks",
        "sandbox-simulator",
    }
    assert "-Q webhooks " in processes["worker-webhooks"]
    assert "-Q interactive,email,celery " in processes["worker-interactive"]
    assert "-Q sync " in processes["worker-sync"]


def test_every_task_of_the_portal_goes_to_a_queue_a_worker_of_the_procfile_takes():
    from portal.celery import app

    consumed = set()
    for command in read_procfile(PROCFILES[0]).values():
        words = command.split()
        if "worker" in words:
            consumed.update(words[words.index("-Q") + 1].split(","))
    app.loader.import_default_modules()
    tasks = [name for name in app.tasks if name.startswith("portal.")]
    assert len(tasks) >= 14, tasks
    for name in tasks:
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue in consumed, f"{name} goes to {queue}, which no worker takes"
