"""Lists page by page: the Page of one answer, and iterators over every page or record."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page of a list. `total` is None when AutoSync sends no pagination for the list."""

    items: list[dict[str, Any]]
    page: int
    per_page: int
    total: int | None

    @property
    def has_next(self) -> bool:
        if self.total is None:
            return len(self.items) >= self.per_page
        return bool(self.items) and self.page * self.per_page < self.total


def iter_pages(
    method: Callable[..., Page], *args: Any, per_page: int = 100, **filters: Any
) -> Iterator[Page]:
    """Every page of a list method, in order: `iter_pages(client.list_customers, shop_id)`."""
    number = 1
    while True:
        page = method(*args, page=number, per_page=per_page, **filters)
        yield page
        if not page.has_next:
            return
        number += 1


def iter_all(
    method: Callable[..., Page], *args: Any, per_page: int = 100, **filters: Any
) -> Iterator[dict]:
    """Every record of a list method, each once (lists are ordered by id)."""
    seen: set = set()
    for page in iter_pages(method, *args, per_page=per_page, **filters):
        for item in page.items:
            # AutoSync's records are objects with an id; anything else is the caller's to
            # judge (never a crash here on an unhashable id).
            key = item.get("id") if isinstance(item, dict) else None
            if not isinstance(key, int | str) or key not in seen:
                seen.add(key if isinstance(key, int | str) else None)
                yield item
