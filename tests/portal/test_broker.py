"""The embedded broker (portal.broker): every message once and whole under concurrent producers
and consumers in separate processes, and a file that is not a message never stops a worker.
Kombu's stock transport fails the same stress: benchmarks/broker_stress.py."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

from tests.support.broker_stress import OURS, QUEUE, connection, run
from tests.support.servers import ROOT


def test_concurrent_producers_and_consumers_get_every_message_exactly_once_and_whole(tmp_path):
    tally = run(OURS, tmp_path, producers=3, consumers=3, messages=300)

    assert tally["failed_producers"] == 0
    assert tally["consumer_errors"] == 0, tally["error_kinds"]
    assert tally["lost"] == 0
    assert tally["duplicated"] == 0
    assert tally["corrupt"] == 0
    assert tally["received"] == tally["sent"] == 900
    # Nothing left behind: no message, no temporary file.
    assert os.listdir(tmp_path / "queue") == []
    assert os.listdir(tmp_path / "tmp") == []


def queue_of(tmp_path) -> str:
    # Kombu keeps the queue bindings it made in a process-wide state: a queue of its own per
    # test, so that each declares (and writes the table of) its queue in its own folder.
    return f"{QUEUE}-{tmp_path.name}"


def put(tmp_path, body: dict) -> None:
    with connection(OURS, tmp_path) as conn:
        conn.SimpleQueue(queue_of(tmp_path), no_ack=True).put(body)


def queue_file(tmp_path, content: bytes, age: float) -> str:
    """A file in the queue folder that sorts before any message, `age` seconds old."""
    name = f"{0:020d}_stray.{queue_of(tmp_path)}.msg"
    path = tmp_path / "queue" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - age
    os.utime(path, (then, then))
    return name


def take(tmp_path):
    with connection(OURS, tmp_path) as conn:
        return conn.SimpleQueue(queue_of(tmp_path), no_ack=True).get(timeout=2).payload


def test_a_file_still_being_written_is_skipped_and_the_next_message_delivered(tmp_path, caplog):
    put(tmp_path, {"n": 1})  # declares the queue, then a message behind the stray file
    name = queue_file(tmp_path, b"", age=0)

    assert take(tmp_path) == {"n": 1}
    assert (tmp_path / "queue" / name).exists()  # left for its writer to finish
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)


def test_an_old_file_that_is_not_a_message_is_moved_aside_with_a_warning(tmp_path, caplog):
    put(tmp_path, {"n": 1})
    name = queue_file(tmp_path, b'{"body": "trunc', age=60)

    with caplog.at_level(logging.WARNING, logger="portal.broker"):
        assert take(tmp_path) == {"n": 1}

    assert not (tmp_path / "queue" / name).exists()
    assert (tmp_path / "failed" / name).read_bytes() == b'{"body": "trunc'
    assert f"{name} (15 bytes, not valid JSON) moved to" in caplog.text


def test_the_portal_uses_this_transport_for_filesystem_urls_only(tmp_path):
    """What `celery -A portal worker` connects with, in a fresh process."""

    def transport_of(broker_url: str) -> str:
        code = (
            "from portal.celery import app; "
            "print(type(app.connection_for_write().transport).__module__)"
        )
        env = {**os.environ, "CELERY_BROKER_URL": broker_url, "VAR_DIR": str(tmp_path)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        ).stdout.strip()

    assert transport_of("filesystem://") == "portal.broker"
    assert transport_of("redis://127.0.0.1:6379/0") == "kombu.transport.redis"
