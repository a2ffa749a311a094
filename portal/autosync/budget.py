"""The rate limit as a budget shared by every process that uses a credential (Redis or SQLite).

AutoSync allows `limit` requests per fixed window per credential and says where each window
stands in every response (X-RateLimit-Limit/-Remaining/-Reset). Every process that uses a
credential records here each request before sending it, and what the server said after, so
that together they never send more than the server allows. Background work may use the window
up to `limit - reserve`; interactive calls (a customer's booking) may use all of it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, TypeVar

from .errors import BudgetExhausted

logger = logging.getLogger(__name__)

Priority = Literal["background", "interactive"]
T = TypeVar("T")

DEFAULT_LIMIT = 100
# A window AutoSync has not described yet is assumed to last this long: longer than any real
# window, so a guess can only make us wait, never overspend.
DEFAULT_WINDOW = 60.0
# Start counting a new window a little after the server's reset, so that clock skew and the
# rounding of X-RateLimit-Reset to whole seconds never put a request in the old window.
ROLLOVER_GRACE = 0.25


@dataclass
class Window:
    """What is known about one credential's current window."""

    limit: int = DEFAULT_LIMIT
    used: int = 0
    reset: float = 0.0  # Unix seconds when the window ends
    observed: bool = False  # `reset` came from the server (else it is our guess)
    blocked_until: float = 0.0  # after a 429: nothing is sent before this

    def admit(self, now: float, priority: Priority, reserve: float) -> float:
        """Take one request from the window: 0.0 if admitted, else the seconds to wait."""
        if self.blocked_until > now:
            return self.blocked_until - now
        if now >= self.reset + (ROLLOVER_GRACE if self.observed else 0.0):
            self.used, self.reset, self.observed = 0, now + DEFAULT_WINDOW, False
        allowance = (
            self.limit if priority == "interactive" else self.limit - int(self.limit * reserve)
        )
        if self.used < allowance:
            self.used += 1
            return 0.0
        return self.reset + (ROLLOVER_GRACE if self.observed else 0.0) - now

    def observe(self, now: float, limit: int, remaining: int, reset: float) -> None:
        """Resync to the server's account of the window (it is the truth)."""
        if reset <= now:
            return  # a late answer about a window that is over
        # Requests admitted locally but still in flight are not yet in `remaining`: keep the
        # larger count while this is the same window (or the one we were guessing).
        same = not self.observed or self.reset == reset
        self.used = max(self.used if same else 0, limit - remaining)
        self.limit, self.reset, self.observed = limit, reset, True

    def block(self, until: float) -> None:
        self.blocked_until = max(self.blocked_until, until)


class Budget(ABC):
    """Shared per-credential windows; subclasses provide an atomic read-modify-write."""

    # The store's own failures (Redis down, a SQLite lock held too long).
    store_errors: tuple[type[Exception], ...] = ()

    def __init__(
        self,
        *,
        reserve: float = 0.2,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.reserve = reserve
        self.clock = clock
        self.sleep = sleep

    @abstractmethod
    def _update(self, key: str, change: Callable[[Window], T]) -> T:
        """Apply `change` to the stored window of `key` atomically across processes."""

    def acquire(self, key: str, priority: Priority = "background", timeout: float = 60.0) -> None:
        """Wait (sleeping) until a request may be sent now; BudgetExhausted if not in `timeout`."""
        deadline = self.clock() + timeout
        while True:
            now = self.clock()
            try:
                wait = self._update(key, lambda w, now=now: w.admit(now, priority, self.reserve))
            except self.store_errors as exc:
                # Sending unaccounted could overspend every other process's share: wait instead.
                raise BudgetExhausted(
                    f"The AutoSync rate budget is unavailable: {exc}",
                    permanent=False,
                    retry_after=5.0,
                ) from exc
            if wait <= 0:
                return
            if now + wait > deadline:
                # Fail now rather than sleep through the caller's whole time limit first.
                raise BudgetExhausted(
                    f"The AutoSync rate budget has no room for {wait:.1f} s",
                    permanent=False,
                    retry_after=wait,
                )
            self.sleep(wait)

    def observe(self, key: str, limit: int, remaining: int, reset: float) -> None:
        """Record a response's X-RateLimit-Limit, -Remaining and -Reset."""
        now = self.clock()
        self._record(key, lambda w: w.observe(now, limit, remaining, reset))

    def blocked_until(self, key: str, until: float) -> None:
        """After a 429: send nothing for `key` before `until` (Unix seconds)."""
        self._record(key, lambda w: w.block(until))

    def _record(self, key: str, change: Callable[[Window], None]) -> None:
        # The request was made: losing what its answer said must not lose the answer itself.
        try:
            self._update(key, change)
        except self.store_errors:
            logger.warning("Could not record AutoSync rate headers", exc_info=True)

    def window(self, key: str) -> Window:
        """A copy of the stored window (for dashboards and tests)."""
        return self._update(key, lambda w: Window(**asdict(w)))


class MemoryBudget(Budget):
    """One process only (scripts and tests)."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self._windows: dict[str, Window] = {}
        self._lock = threading.Lock()

    def _update(self, key: str, change: Callable[[Window], T]) -> T:
        with self._lock:
            return change(self._windows.setdefault(key, Window()))


class SqliteBudget(Budget):
    """Processes on one machine, no server: a small SQLite file, written under BEGIN IMMEDIATE."""

    store_errors = (sqlite3.Error,)

    def __init__(self, path: str | Path, **options) -> None:
        super().__init__(**options)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS budget_window (key TEXT PRIMARY KEY, state TEXT)"
            )

    def _connect(self) -> sqlite3.Connection:
        # A connection per operation: safe across threads and forks, and cheap for a local file.
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        # No fsync per request: a power cut may lose the last counts of a window, no more.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _update(self, key: str, change: Callable[[Window], T]) -> T:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")  # take the write lock before reading
            row = conn.execute("SELECT state FROM budget_window WHERE key = ?", (key,)).fetchone()
            window = Window(**json.loads(row[0])) if row else Window()
            result = change(window)
            conn.execute(
                "INSERT INTO budget_window (key, state) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET state = excluded.state",
                (key, json.dumps(asdict(window))),
            )
            conn.execute("COMMIT")
            return result
        finally:
            conn.close()  # an uncommitted transaction rolls back


class RedisBudget(Budget):
    """Processes on any number of hosts: one Redis key per credential, updated under WATCH."""

    def __init__(self, url: str, *, prefix: str = "autosync:budget:", **options) -> None:
        import redis

        super().__init__(**options)
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix
        self.store_errors = (redis.RedisError,)

    def _update(self, key: str, change: Callable[[Window], T]) -> T:
        import redis

        name = self.prefix + key
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(name)
                    raw = pipe.get(name)
                    window = Window(**json.loads(raw)) if raw else Window()
                    result = change(window)
                    pipe.multi()
                    # An idle credential's window is forgotten after an hour.
                    pipe.set(name, json.dumps(asdict(window)), ex=3600)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another process changed it first: read again


def budget_from_url(url: str, **options) -> Budget:
    """`redis://…` / `rediss://…`, `sqlite:///<path>` (four slashes for an absolute path), or
    `memory://`."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBudget(url, **options)
    if url.startswith("sqlite:///"):
        return SqliteBudget(url.removeprefix("sqlite:///"), **options)
    if url == "memory://":
        return MemoryBudget(**options)
    raise ValueError(f"Unsupported AutoSync budget URL: {url!r}")
