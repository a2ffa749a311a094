"""Producers and consumers in separate processes on one filesystem broker folder: does every
message arrive exactly once, whole? Used by tests/portal/test_broker.py (our transport) and
benchmarks/broker_stress.py (ours beside kombu's stock one).

Usage: python -m tests.support.broker_stress produce|consume TRANSPORT FOLDER NAME [COUNT SIZE]
A producer prints nothing; a consumer prints one JSON line per message or error."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "stress"
STOCK = "filesystem"
OURS = "portal.broker:Transport"


def connection(transport: str, folder: Path):
    from kombu import Connection

    queue = folder / "queue"
    return Connection(
        "filesystem://",
        transport=transport,
        transport_options={
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(folder / "control"),
            "processed_folder": str(folder / "processed"),
            "temp_folder": str(folder / "tmp"),
            "failed_folder": str(folder / "failed"),
        },
    )


def produce(transport: str, folder: Path, name: str, count: int, size: int) -> None:
    with connection(transport, folder) as conn:
        queue = conn.SimpleQueue(QUEUE, no_ack=True)
        for i in range(count):
            data = secrets.token_hex(size // 2)
            queue.put(
                {
                    "id": f"{name}-{i}",
                    "data": data,
                    "sha": hashlib.sha256(data.encode()).hexdigest(),
                }
            )


def consume(transport: str, folder: Path, name: str) -> None:
    """Take messages until the producers are done (the `done` file) and the queue is quiet."""
    from kombu.simple import SimpleQueue

    quiet_since = None
    with connection(transport, folder) as conn:
        queue: SimpleQueue = conn.SimpleQueue(QUEUE, no_ack=True)
        while True:
            try:
                message = queue.get_nowait()
            except queue.Empty:
                if not (folder / "done").exists():
                    time.sleep(0.001)
                    continue
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 1.0:
                    return
                time.sleep(0.01)
                continue
            except Exception as exc:  # what would have killed a Celery worker
                print(json.dumps({"error": repr(exc)[:200]}), flush=True)
                continue
            quiet_since = None
            body = message.payload
            whole = hashlib.sha256(body["data"].encode()).hexdigest() == body["sha"]
            print(json.dumps({"id": body["id"], "whole": whole}), flush=True)


def run(
    transport: str,
    folder: Path,
    *,
    producers: int = 3,
    consumers: int = 3,
    messages: int = 300,
    size: int = 2048,
    timeout: float = 120,
) -> dict:
    """`producers` processes put `messages` each while `consumers` processes take them;
    returns the tally."""
    for sub in ("queue", "control", "processed"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.support.broker_stress"]
    started = time.monotonic()
    takers = [
        subprocess.Popen(
            [*command, "consume", transport, str(folder), f"c{n}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(consumers)
    ]
    givers = [
        subprocess.Popen(
            [*command, "produce", transport, str(folder), f"p{n}", str(messages), str(size)],
            cwd=ROOT,
            env=env,
        )
        for n in range(producers)
    ]
    try:
        failed_producers = sum(1 for p in givers if p.wait(timeout) != 0)
        (folder / "done").touch()
        outputs = [p.communicate(timeout=timeout)[0] for p in takers]
    finally:
        for p in givers + takers:
            if p.poll() is None:
                p.kill()
    seconds = time.monotonic() - started
    lines = [json.loads(line) for out in outputs for line in out.splitlines() if line]
    received = Counter(line["id"] for line in lines if "id" in line)
    sent = {f"p{p}-{i}" for p in range(producers) for i in range(messages)}
    errors = Counter(line["error"].split("(")[0] for line in lines if "error" in line)
    return {
        "sent": producers * messages,
        "failed_producers": failed_producers,
        "received": sum(received.values()),
        "duplicated": sum(1 for n in received.values() if n > 1),
        "lost": len(sent - set(received)),
        "corrupt": sum(1 for line in lines if line.get("whole") is False),
        "consumer_errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "set_aside": len(list((folder / "failed").glob("*"))),
        "seconds": round(seconds, 1),
    }


if __name__ == "__main__":
    action, transport, folder, name, *rest = sys.argv[1:]
    if action == "produce":
        produce(transport, Path(folder), name, int(rest[0]), int(rest[1]))
    else:
        consume(transport, Path(folder), name)
