"""What the public pages compute from a shop's calendar, kept under the calendar's version.

`CalendarVersion` changes with every row the free times read, in the transaction that writes
it (the database's triggers see to it), so a result kept under one version is the result
for that version: a page never shows a list older than the version it read with the shop. A
result computed from rows newer than that version is fresher, never staler: the version is
read first, with the shop (`availability.public_shops`), and the rows after it.

Each process keeps its own results (the `booking` cache, in memory: no round trip, and a
version never needs telling to another process). Time passing is not in the version: what is
kept does not depend on the hour (`slots.free_times` applies the notice and the horizon to
it on every call). Booking never reads from here: `services.book` decides on the rows
themselves, under the day's lock."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches
from django.db import connection

from portal.shops.models import Shop

_MISSING = object()
T = TypeVar("T")


def remembered(shop: Shop, what: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave for the same `what` since the shop's calendar last
    changed. Computed every time for a shop not read by `public_shops` (no version), one
    whose calendar was never written (nothing to key on), and inside a transaction, whose
    own writes the version shows only once they are committed."""
    version = getattr(shop, "calendar_version", None)
    if version is None or connection.in_atomic_block:
        return compute()
    digest = hashlib.blake2b(repr((shop.timezone, what)).encode(), digest_size=16).hexdigest()
    key = f"{shop.pk}:{version}:{digest}"
    cache = caches["booking"]
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value)
    return value
