"""The portal's own slug for a shop: AutoSync's slug is unique only within one account, so
public pages key on this one, which the portal keeps unique across every shop."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.text import slugify

MAX_LENGTH = 80


def unique_slug(name: str, others: QuerySet) -> str:
    """`name` as a slug, with -2, -3… when one of `others` (shops) has it already."""
    base = slugify(name)[: MAX_LENGTH - 6].strip("-") or "shop"
    taken = set(others.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug
