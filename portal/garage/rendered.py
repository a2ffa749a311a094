"""Rendered parts of a work order's page, kept in this process under the owner's validator
(`pages.live_of`): a repeat view or poll of a work order that did not change is not rendered
again.

A part is found only under the validator it was rendered for, which is made from the owner's
email and everything the part shows: a change anywhere makes a new key, so a part is never
shown stale, nor to another owner. The one thing the part shows that the validator cannot
hold is time passing: "updated 5 minutes ago", "2 h so far". Each part keeps the moments those
count from and is rendered again when a whole minute more has passed since any of them (those
texts change only then). Kept per process, at most `MAX_PARTS`, least recently used dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from django.utils import timezone

MAX_PARTS = 500


@dataclass(frozen=True)
class Part:
    """What was rendered (named strings: the page's title and body, or the live part), and the
    moments its time texts count from, with the whole minutes passed since each then."""

    texts: dict[str, str]
    since: tuple[datetime, ...]
    minutes: tuple[int, ...]


def _minutes(since: tuple[datetime, ...], now: datetime) -> tuple[int, ...]:
    return tuple(int((now - moment).total_seconds() // 60) for moment in since)


_parts: OrderedDict[str, Part] = OrderedDict()
_lock = Lock()


def part(
    key: str, render: Callable[[], tuple[dict[str, str], tuple[datetime, ...]]]
) -> dict[str, str]:
    """The texts kept under `key` while their time texts still read the same, else those of
    `render()` (which returns the texts and the moments they count from), kept."""
    now = timezone.now()
    with _lock:
        found = _parts.get(key)
        if found is not None:
            _parts.move_to_end(key)
    if found is not None and _minutes(found.since, now) == found.minutes:
        return found.texts
    texts, since = render()
    with _lock:
        _parts[key] = Part(texts, since, _minutes(since, now))
        _parts.move_to_end(key)
        while len(_parts) > MAX_PARTS:
            _parts.popitem(last=False)
    return texts


def forget() -> None:
    """Drop every part (for tests)."""
    with _lock:
        _parts.clear()
