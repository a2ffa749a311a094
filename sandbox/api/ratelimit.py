"""Fixed-window request budgets kept in the database, so every server process shares them."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from .models import RateCounter


@dataclass(frozen=True)
class Window:
    limit: int
    count: int
    reset: int  # Unix seconds when the window ends

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


# One statement both creates the window's row and counts the request, so processes never race
# between a read and a write. SQLite (3.35+) and PostgreSQL both speak it.
COUNT_SQL = (
    'INSERT INTO "api_ratecounter" ("key", "window_start", "count") VALUES (%s, %s, 1) '
    'ON CONFLICT ("key", "window_start") '
    'DO UPDATE SET "count" = "api_ratecounter"."count" + 1 RETURNING "count"'
)


def count_request(key: str, now: float | None = None, limit: int | None = None) -> Window:
    """Count one request against `key`'s budget (`limit`, by default the API's) in the
    current window."""
    length = settings.SANDBOX_RATE_WINDOW
    limit = settings.SANDBOX_RATE_LIMIT if limit is None else limit
    now = time.time() if now is None else now
    window_start = int(now) // length * length
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, [key, window_start])
        count = cursor.fetchone()[0]
    if count == 1:
        # The first request of a key in a new window sweeps that key's finished windows: the
        # table keeps about one row per credential, and servers configured with other window
        # lengths on the same database never lose a live row of another key.
        RateCounter.objects.filter(key=key, window_start__lt=window_start).delete()
    return Window(limit=limit, count=count, reset=window_start + length)
