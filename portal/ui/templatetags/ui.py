"""`{% load ui %}`: the filters and tags every page shares (their markup: templates/includes/)."""

from __future__ import annotations

import datetime
import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency, get_currency_precision
from django import template
from django.conf import settings
from django.core.paginator import Page
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import to_locale

from portal.ui import statuses

register = template.Library()


@register.filter
def ago(when: datetime.datetime | None) -> str:
    """`{{ when|ago }}`: "just now" or "5 minutes ago". Django's timesince says "0 minutes"
    for the last minute; people say "just now"."""
    if when is None:
        return ""
    if timezone.now() - when < datetime.timedelta(minutes=1):
        return "just now"
    return f"{timesince(when)} ago"


@register.filter
def money(amount: Decimal | float | int | str | None, currency: str) -> str:
    """`{{ work_order.total|money:shop.currency }}`: "$1,166.40", "-$5.00", "¥1,000".

    Rounded half up to the currency's own minor unit (shops round a half cent up; Babel alone
    would round it to even); a float from a payload is read as the decimal it prints as."""
    if amount is None or amount == "":
        return ""
    unit, locale = _money_format(currency, settings.LANGUAGE_CODE)
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        rounded = value.quantize(unit, rounding=ROUND_HALF_UP) + 0  # + 0: -0.00 is 0.00
    except (InvalidOperation, ValueError):
        # Not an amount (a malformed payload, a value past Decimal's precision): shown as
        # nothing rather than failing the page or the email around it.
        return ""
    return format_currency(rounded, currency, locale=locale)


@functools.lru_cache(maxsize=64)
def _money_format(currency: str, language_code: str) -> tuple[Decimal, Locale]:
    """The currency's minor unit and the parsed Babel locale, once per currency and language:
    parsing them again for every amount on a page was a good part of its rendering time."""
    unit = Decimal(1).scaleb(-get_currency_precision(currency))
    return unit, Locale.parse(to_locale(language_code))


@register.inclusion_tag("includes/status_badge.html")
def status_badge(status: str, kind: str = "work_order") -> dict:
    """`{% status_badge work_order.status %}`, `{% status_badge payment.status "payment" %}`:
    the status in words, in its colour."""
    return {"badge": statuses.badge(status, kind)}


@register.simple_tag(takes_context=True)
def aria_current(context: template.Context, *view_names: str) -> SafeString:
    """`<a href="…"{% aria_current "shops:list" %}>`: marks the link to the page being shown,
    known by its resolved view name (the name `{% url %}` takes)."""
    match = getattr(context.get("request"), "resolver_match", None)
    if match is not None and match.view_name in view_names:
        return SafeString(' aria-current="page"')
    return SafeString("")


@register.inclusion_tag("includes/pagination.html", takes_context=True)
def pagination(context: template.Context, page: Page, target: str) -> dict:
    """`{% pagination page_obj "#work-orders" %}`: links to the pages around this one. Each is
    a real link (the page works without JavaScript); with htmx it fetches the same address,
    swaps `target` (the element the view renders alone for an htmx request) and pushes the
    address, so Back and a reload show the same page."""
    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    return {
        "request": context["request"],
        "page": page,
        "numbers": list(numbers),
        "ellipsis": page.paginator.ELLIPSIS,
        "target": target,
    }
