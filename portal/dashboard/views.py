"""The shop at a glance (the overview) and the work-order board, for the shop's staff.

Both pages refresh themselves while open: htmx asks for the page's live part every
REFRESH_SECONDS, sending the tag of what it shows (`X-Dashboard-Seen`). The tag is computed
from one small query (`figures.version`), the page's own address and a time bucket; when it
has not changed the answer is 204 (htmx keeps the page as it is) without rendering anything.
A client that revalidates with the tag as an ETag (`If-None-Match`) gets 304 the same way.

The live part is rendered once per tag and kept in the cache under it (`live_part`): every
member who opens or refreshes the page while the tag holds gets the same HTML without a
figure being computed again, and a change of the mirror changes the tag, so it is never
shown stale.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from babel.numbers import get_currency_symbol
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import to_locale
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from portal.accounts import passes
from portal.http import StaffRequest
from portal.mirror.models import OPEN_STATUSES
from portal.mirror.queries import shop_freshness
from portal.shops.access import shop_member
from portal.shops.models import Membership
from portal.ui.statuses import badge
from portal.ui.templatetags.ui import money

from . import charts, figures, health, polls
from .models import thresholds_for
from .polls import SEEN_HEADER

REFRESH_SECONDS = 20
#: What the tag does not see (the clock moving time in status on, a change AutoSync reports
#: without an `updated_at`) shows at the latest after this many seconds.
REFRESH_BUCKET = 300
#: The poll pass's scope (portal.accounts.passes): what it names is the shop's id.
POLL_SCOPE = "dashboard.shop"
PER_PAGE = 25


def refresh_tag(request: HttpRequest, shop_id: int) -> str:
    """The tag of what this address shows now (one query; kept on the request). It needs no
    more than the shop's id: the poll pass asks for it before the session is read."""
    tag = getattr(request, "_dashboard_tag", None)
    if tag is None:
        query = sorted((key, request.GET.getlist(key)) for key in request.GET)
        tag = polls.tag_of(
            figures.version(shop_id), int(time.time() // REFRESH_BUCKET), request.path, query
        )
        request._dashboard_tag = tag
    return tag


def _still_shown(request: HttpRequest, named: object, **kwargs) -> bool:
    """Whether the refresh shows what is current: the poll pass's check (portal.accounts.
    passes), before the session is read, for a pass given with this shop's page. The tag's
    time bucket sends a refresh the normal way (the session, the membership) every
    REFRESH_BUCKET seconds at the latest."""
    shop_id = kwargs.get("shop_id")
    if named != shop_id or request.headers.get("HX-Request") != "true":
        return False
    seen = request.headers.get(SEEN_HEADER)
    return bool(seen) and seen == refresh_tag(request, shop_id)


def poll_pass(request: StaffRequest, membership: Membership) -> dict:
    """The page's poll pass, for an element around its live part (its header is inherited)."""
    return {
        "poll_pass": passes.issue(request, POLL_SCOPE, membership.shop_id),
        "poll_pass_header": passes.HEADER,
    }


def _unchanged(request: StaffRequest, membership: Membership) -> HttpResponse | None:
    """204 to htmx when the live part it shows is current; 304 to a revalidating client."""
    return polls.unchanged(request, refresh_tag(request, membership.shop_id))


def live_part(
    request: StaffRequest,
    membership: Membership,
    template: str,
    context: Callable[[], dict],
) -> SafeString:
    """The page's live part (`template`, a partial) as it is now: from the cache under the
    page's tag, else rendered from `context()` and kept there until the tag's time bucket
    ends. The tag covers the shop, its data, the address and the query: the part shows only
    the shop's data, the same to each of its members."""
    tag = refresh_tag(request, membership.shop_id)
    key = f"dashboard:live:{tag}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(template, context(), request)
        cache.set(key, html, REFRESH_BUCKET)
    return SafeString(html)


def _live(html: str, tag: str) -> HttpResponse:
    return polls.tagged(HttpResponse(html), tag)


def signed_out_poll(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A poll after the session ended (signed out elsewhere, idle or too old) takes the whole
    page to the sign-in, and back to it after, rather than swapping the sign-in page into the
    part being refreshed (htmx follows HX-Redirect)."""

    @wraps(view)
    def wrapped(request: StaffRequest, *args, **kwargs) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:
            back = request.htmx.current_url_abs_path or request.path
            sign_in = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
            return HttpResponse(status=204, headers={"HX-Redirect": sign_in})
        return view(request, *args, **kwargs)

    return wrapped


def _switcher(request: StaffRequest, membership: Membership) -> list[tuple[int, str]]:
    """The other shops the user is a member of (one query), for the shop switcher."""
    return list(
        Membership.objects.filter(user=request.user)
        .exclude(pk=membership.pk)
        .order_by("shop__name")
        .values_list("shop_id", "shop__name")
    )


@passes.answers_unchanged(POLL_SCOPE, _still_shown)
@signed_out_poll
@shop_member()
@require_GET
@vary_on_headers("HX-Request", SEEN_HEADER)
def overview(request: StaffRequest, membership: Membership) -> HttpResponse:
    """The shop's day: figures, stuck work orders, parts, charts, schedule, payments, team."""
    live = bool(request.htmx)
    if live and (unchanged := _unchanged(request, membership)):
        return unchanged
    tag = refresh_tag(request, membership.shop_id)
    part = live_part(
        request,
        membership,
        "dashboard/overview.html#live",
        lambda: _overview_context(membership, tag),
    )
    if live:
        return _live(part, tag)
    context = {
        "shop": membership.shop,
        "membership": membership,
        "live": part,
        "other_shops": _switcher(request, membership),
        **poll_pass(request, membership),
    }
    return render(request, "dashboard/overview.html", context)


def _overview_context(membership: Membership, tag: str) -> dict:
    shop = membership.shop
    cal = figures.calendar(shop)
    thresholds = thresholds_for(shop)
    statuses = figures.open_by_status(shop, cal, thresholds)
    revenue = figures.revenue(shop, cal)
    return {
        "shop": shop,
        "tag": tag,
        "refresh_seconds": REFRESH_SECONDS,
        "seen_header": SEEN_HEADER,
        "cal": cal,
        "definitions": figures.DEFINITIONS,
        "appointments": figures.appointments_today(shop, cal),
        "cars": figures.cars_today(shop, cal),
        "revenue": revenue,
        "average": figures.average_repair_order(shop, cal),
        "statuses": statuses,
        "open_total": sum(count.count for count in statuses),
        "stuck_total": sum(count.stuck for count in statuses),
        "stuck": figures.stuck_work_orders(shop, thresholds),
        "parts": figures.low_parts(shop),
        "charts": _charts(shop, cal, revenue, statuses),
        "schedule": figures.by_day(figures.schedule(shop, cal), shop),
        "payments": figures.recent_payments(shop),
        "technicians": figures.technicians(shop),
        "freshness": shop_freshness(shop),
        "alerts": health.alerts_for(shop),
    }


def _charts(
    shop, cal: figures.Calendar, revenue: figures.Revenue, statuses: list[figures.StatusCount]
) -> list[charts.Chart]:
    """The overview's three charts, each with its summary in words."""
    symbol = get_currency_symbol(shop.currency, locale=to_locale(settings.LANGUAGE_CODE))
    days = revenue.per_day
    daily = [
        charts.Bar(
            label=f"{day:%A} {day.day} {day:%B}",
            short=str(day.day) if n % 5 == 4 or n == len(days) - 1 else "",
            value=amount,
            text=money(amount, shop.currency),
        )
        for n, (day, amount) in enumerate(days)
    ]
    best_day, best = max(days, key=lambda item: item[1])
    total = sum((amount for _, amount in days), start=Decimal(0))
    if total:
        revenue_summary = (
            f"{money(total, shop.currency)} in 30 days; the best day was {best_day:%A} "
            f"{best_day.day} {best_day:%B} with {money(best, shop.currency)}."
        )
    else:
        revenue_summary = "No payment in the last 30 days."
    by_status = [
        charts.Bar(
            label=badge(count.status).label,
            short=_abbreviation(count.status),
            value=count.count,
            text=f"{count.count} work order{'s' if count.count != 1 else ''}",
        )
        for count in statuses
    ]
    weeks = figures.cars_per_week(shop, cal)
    cars = [
        charts.Bar(
            label=f"Week of {week:%B} {week.day}",
            short=f"{week:%b} {week.day}" if n % 2 == len(weeks) % 2 else "",
            value=count,
            text=f"{count} car{'s' if count != 1 else ''}",
        )
        for n, (week, count) in enumerate(weeks)
    ]
    return [
        charts.bar_chart(
            "Revenue per day, last 30 days",
            daily,
            summary=revenue_summary,
            column="Revenue",
            category="Day",
            tick_text=charts.compact_money(symbol),
        ),
        charts.bar_chart(
            "Open work orders by status",
            by_status,
            summary=", ".join(f"{bar.label}: {bar.value}" for bar in by_status) + ".",
            column="Work orders",
            category="Status",
        ),
        charts.bar_chart(
            "Car count per week",
            cars,
            summary=", ".join(f"{bar.label}: {bar.value}" for bar in cars[-2:]) + ".",
            column="Cars",
            category="Week",
        ),
    ]


def _abbreviation(status: str) -> str:
    return {"draft": "Draft", "in_progress": "In bay", "waiting_parts": "Parts"}.get(
        status, badge(status).label
    )


@passes.answers_unchanged(POLL_SCOPE, _still_shown)
@signed_out_poll
@shop_member()
@require_GET
@vary_on_headers("HX-Request", SEEN_HEADER)
def work_board(request: StaffRequest, membership: Membership) -> HttpResponse:
    """The open work orders by status, longest waiting first: search, a status, stuck only,
    pages of PER_PAGE. htmx swaps the board alone (search, paging, refresh), the alerts at
    its top with it."""
    live = bool(request.htmx)
    if live and (unchanged := _unchanged(request, membership)):
        return unchanged
    tag = refresh_tag(request, membership.shop_id)
    search = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    status = status if status in OPEN_STATUSES else ""
    stuck_only = request.GET.get("stuck") == "1"
    shop = membership.shop

    def board_context() -> dict:
        thresholds = thresholds_for(shop)
        orders = figures.board(
            shop, search=search, status=status, stuck=thresholds if stuck_only else None
        )
        page = Paginator(orders, PER_PAGE).get_page(request.GET.get("page"))
        return {
            "shop": shop,
            "tag": tag,
            "refresh_seconds": REFRESH_SECONDS,
            "seen_header": SEEN_HEADER,
            "page": page,
            "rows": figures.board_rows(shop, list(page.object_list), thresholds),
            "search": search,
            "status": status,
            "stuck_only": stuck_only,
            "definitions": figures.DEFINITIONS,
            "alerts": health.alerts_for(shop),
        }

    part = live_part(request, membership, "dashboard/board.html#board", board_context)
    if live:
        return _live(part, tag)
    context = {
        "shop": shop,
        "membership": membership,
        "board": part,
        "search": search,
        "status": status,
        "stuck_only": stuck_only,
        "statuses": [(name, badge(name).label) for name in OPEN_STATUSES],
        "other_shops": _switcher(request, membership),
        **poll_pass(request, membership),
    }
    return render(request, "dashboard/board.html", context)
