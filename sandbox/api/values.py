"""Parsing the scalar values the API accepts, in bodies and query strings alike."""

import re
from datetime import UTC, date, datetime, time

# Ids are 64-bit integers in the database; the API takes up to 18 digits (paths, query strings
# and bodies alike), far beyond any id it hands out, and refuses longer numbers.
MAX_ID = 10**18 - 1
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored (as "must …"), or None. PostgreSQL refuses NUL
    characters and no database stores lone surrogates, which JSON escapes can produce."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode"
    return None


def parse_datetime(value: str, *, allow_date: bool) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text, or None when it is not one.

    A date-time without an offset is UTC (the API speaks UTC everywhere). When `allow_date`
    is true a bare date is accepted too, meaning midnight UTC of that day."""
    if text_problem(value) or len(value) > 64:
        return None
    try:
        if allow_date and DATE_RE.match(value):
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        if "T" not in value and " " not in value:
            return None  # a date alone is not a date-time
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # An offset carries the first or last day of year 1 or 9999 out of range in UTC:
        # the earliest or latest moment there is.
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)
