"""Query-string parameters of list endpoints: paging and typed filters.

A value that is not of the parameter's type answers 400; a well-formed value outside the
allowed range or set answers 422. Both name the parameter."""

import re
from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest

from .envelope import invalid
from .values import MAX_ID, parse_datetime, text_problem

INTEGER_RE = re.compile(r"^-?\d{1,18}$")
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


def text(request: HttpRequest, name: str) -> str | None:
    value = request.GET.get(name)
    if value is None:
        return None
    problem = text_problem(value)
    if problem:
        raise invalid(name, f"The '{name}' parameter {problem}.", status=400)
    return value


def integer(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name)
    if value is None:
        return None
    if not INTEGER_RE.match(value):
        raise invalid(name, f"The '{name}' parameter must be an integer.", status=400)
    return int(value)


def record_id(request: HttpRequest, name: str) -> int | None:
    value = integer(request, name)
    if value is not None and not 1 <= value <= MAX_ID:
        raise invalid(name, f"The '{name}' parameter must be a positive integer id.")
    return value


def boolean(request: HttpRequest, name: str) -> bool | None:
    value = request.GET.get(name)
    if value is None:
        return None
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise invalid(name, f"The '{name}' parameter must be true or false.", status=400)
    return lowered == "true"


def moment(request: HttpRequest, name: str) -> datetime | None:
    value = request.GET.get(name)
    if value is None:
        return None
    parsed = parse_datetime(value, allow_date=True)
    if parsed is None:
        raise invalid(
            name,
            f"The '{name}' parameter must be an ISO 8601 date (2024-03-14) or date-time "
            "(2024-03-14T09:15:00Z).",
            status=400,
        )
    return parsed


def choice(request: HttpRequest, name: str, allowed: Iterable[str]) -> str | None:
    value = text(request, name)
    allowed = list(allowed)
    if value is not None and value not in allowed:
        raise invalid(name, f"The '{name}' parameter must be one of {', '.join(allowed)}.")
    return value


def page_of(request: HttpRequest, queryset: QuerySet) -> tuple[list, dict]:
    """One page of `queryset` ordered by id, and its pagination block. Three queries: the
    count, the page's ids and its rows (neither for a page past the end)."""
    page = integer(request, "page")
    per_page = integer(request, "per_page")
    page = 1 if page is None else page
    per_page = DEFAULT_PER_PAGE if per_page is None else per_page
    if page < 1:
        raise invalid("page", "The 'page' parameter must be 1 or more.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise invalid("per_page", f"The 'per_page' parameter must be between 1 and {MAX_PER_PAGE}.")
    total = queryset.count()
    offset = (page - 1) * per_page
    # The page's ids first, then the rows with their joins: joining every row the offset skips
    # made deep pages of work orders several times slower (benchmarks/sandbox_lists.py).
    ids = (
        list(queryset.order_by("id").values_list("id", flat=True)[offset : offset + per_page])
        if offset < total
        else []
    )
    rows = list(queryset.filter(id__in=ids).order_by("id")) if ids else []
    return rows, {"page": page, "per_page": per_page, "total": total}
