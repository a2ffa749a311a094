"""The portal's URLs as the resolver knows them, so that tests can cover every page and a
new one cannot be forgotten."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver


def named_routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    """(namespaced name, full route) of every named URL."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_routes(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name, route


def arguments(route: str) -> list[str]:
    """The names of a route's arguments: `shops/<int:shop_id>/` -> ["shop_id"]."""
    return re.findall(r"<(?:\w+:)?(\w+)>", route)
