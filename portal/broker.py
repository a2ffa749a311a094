"""The embedded broker: kombu's filesystem transport, made safe for several processes.

Kombu's own `_put` creates the message file in the queue folder and then writes it, so a
worker polling the folder can read it empty and die with a JSONDecodeError (celery/kombu#1551).
Here a message is written whole under a temporary name outside the queue folder, on the same
filesystem, then `os.replace`d into the queue folder: a file in the queue folder is always
complete. A consumer reads a file, and the one whose `unlink` succeeds owns the message
(only one can), so every message is delivered once. A file that cannot be parsed (written by
something else) never stops a worker: a young one is skipped, as a writer may still be at it;
an older one is moved aside into the `failed` folder with a warning. The exchange tables in the
control folder are replaced the same way.

What this broker guarantees, and what it does not (compared with Redis): docs/operations.md.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from kombu.transport import filesystem
from kombu.transport.virtual import Empty
from kombu.utils.json import dumps, loads
from kombu.utils.objects import cached_property

logger = logging.getLogger(__name__)

#: A file this young that does not parse may still be being written by another writer (a
#: stock kombu process): it is left for a later look rather than moved aside.
PARTIAL_GRACE_SECONDS = 10.0


def write_atomically(path: Path, data: bytes, temp_folder: Path) -> None:
    """Write `data` to `path` so that no reader ever sees part of it: write a file in
    `temp_folder` (same filesystem), flush it to disk, and rename it into place."""
    temp = temp_folder / f"{uuid.uuid4().hex}.tmp"
    try:
        with open(temp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        folders = [self.data_folder_in, self.data_folder_out]
        if self.store_processed:
            folders.append(self.processed_folder)  # else every claim would fail
        for folder in folders:
            Path(folder).mkdir(parents=True, exist_ok=True)

    @cached_property
    def temp_folder(self) -> Path:
        return self._folder("temp_folder", "tmp")

    @cached_property
    def failed_folder(self) -> Path:
        return self._folder("failed_folder", "failed")

    def _folder(self, option: str, default_name: str) -> Path:
        """A folder beside the queue folder unless the transport options name one; it must be
        on the queue's filesystem (a rename is atomic only within one)."""
        folder = self.transport_options.get(option)
        if folder is None:
            folder = Path(self.data_folder_out).resolve().parent / default_name
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    # --- messages ---------------------------------------------------------------------------

    def _put(self, queue, payload, **kwargs):
        # The name sorts by time (the order consumers take messages in), then is unique.
        name = f"{time.time_ns():020d}_{uuid.uuid4().hex}.{queue}.msg"
        try:
            write_atomically(
                Path(self.data_folder_out) / name, dumps(payload).encode(), self.temp_folder
            )
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add {name!r} to the queue folder") from exc

    def _get(self, queue):
        suffix = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != suffix:
                continue
            path = folder / name
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue  # another consumer took it
            except OSError as exc:  # unreadable: not a message we wrote
                self._set_aside(path, repr(exc))
                continue
            try:
                payload = loads(raw)
            except ValueError:
                self._set_aside(path, f"{len(raw)} bytes, not valid JSON")
                continue
            if self._claim(path):
                return payload
        raise Empty()

    def _claim(self, path: Path) -> bool:
        """Take the message at `path`: of several consumers that read it, exactly one
        succeeds in removing (or moving) it."""
        try:
            if self.store_processed:
                os.rename(path, Path(self.processed_folder) / path.name)
            else:
                os.unlink(path)
        except FileNotFoundError:
            return False
        return True

    def _set_aside(self, path: Path, problem: str) -> None:
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return
        if age < PARTIAL_GRACE_SECONDS:
            return  # perhaps still being written: look again at the next poll
        try:
            os.rename(path, self.failed_folder / path.name)
        except FileNotFoundError:
            return  # another consumer moved it
        except OSError:
            logger.warning("Broker: cannot move %s aside (%s)", path.name, problem, exc_info=True)
            return
        logger.warning(
            "Broker: message file %s (%s) moved to %s", path.name, problem, self.failed_folder
        )

    # --- exchange tables (which queues an exchange routes to) ----------------------------

    @contextmanager
    def _tables_locked(self):
        """Writers of the exchange tables take turns (read, change, replace)."""
        folder = Path(self.control_folder)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "a") as lock_file:
            filesystem.lock(lock_file, filesystem.LOCK_EX)
            try:
                yield
            finally:
                filesystem.unlock(lock_file)

    def _read_table(self, exchange) -> list:
        try:
            return [
                filesystem.exchange_queue_t(*q)
                for q in loads(self._exchange_file(exchange).read_bytes())
            ]
        except FileNotFoundError:
            return []

    def _write_table(self, exchange, queues: list) -> None:
        write_atomically(self._exchange_file(exchange), dumps(queues).encode(), self.temp_folder)

    def get_table(self, exchange):
        # Tables are replaced whole, never written in place: no lock needed to read one.
        try:
            return self._read_table(exchange)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot read the table of {exchange!r}") from exc

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._tables_locked():
            queues = self._read_table(exchange)
            if binding not in queues:
                self._write_table(exchange, [binding, *queues])

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        # The grandparent's: the queue leaves the in-memory state; then our table rewrite.
        super(filesystem.Channel, self)._delete(
            queue, exchange, routing_key, pattern, *args, **kwargs
        )
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._tables_locked():
            queues = self._read_table(exchange)
            if binding in queues:
                self._write_table(exchange, [q for q in queues if q != binding])


class Transport(filesystem.Transport):
    """`filesystem://` with atomic writes (CELERY_BROKER_TRANSPORT = "portal.broker:Transport")."""

    Channel = Channel

    @property
    def default_connection_params(self):
        # A folder has no host: without this kombu warns "No hostname was supplied" at start.
        return {"port": self.default_port, "hostname": ""}
