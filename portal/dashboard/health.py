"""Connection and sync health of a shop: what its page shows, the "sync now" button, and the
alerts the shop's dashboard pages show at the top when something is wrong (`alerts_for`). The
page itself, whose figures refresh themselves, is health_page.py's (it needs the overview's
refresh, and views.py imports this module for the alerts).

Everything is read from the mirror's books (portal.mirror.books, queries): a constant number of
queries, whatever the number of records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.db import connection
from django.db.models import Exists, Max, Subquery, Sum
from django.db.models.functions import TruncHour
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.autosync.budget import DEFAULT_LIMIT
from portal.booking.models import OpeningHours
from portal.http import StaffRequest
from portal.mirror import books, queries
from portal.mirror.models import (
    RequestCount,
    ResourceState,
    SyncRun,
    WebhookEvent,
    WebhookRefusal,
)
from portal.mirror.progress import LABELS
from portal.mirror.resources import REGISTRY
from portal.mirror.tasks import request_sync
from portal.shops.access import shop_member
from portal.shops.models import Connection, Membership, Shop

from . import sql
from .waiting import open_count

#: No webhook for this long while the shop is open: AutoSync may have stopped sending them.
QUIET_WEBHOOKS = timedelta(hours=2)
#: The API budget chart covers this many hours, up to the current one.
BUDGET_HOURS = 24


@dataclass(frozen=True)
class Alert:
    """Something wrong, in words a service writer understands, and where to fix it."""

    tone: str  # "bad" (act now) or "warn" (worth knowing)
    message: str
    link: str = ""
    link_label: str = ""


def alerts_for(shop: Shop, *, now: datetime | None = None) -> list[Alert]:
    """What is wrong with the shop's link to AutoSync, most urgent first (load the shop with
    its connection). Costs at most four queries."""
    now = now or timezone.now()
    shop_page = reverse("shops:detail", args=[shop.pk])
    health_page = reverse("dashboard:health", args=[shop.pk])
    health = shop.health
    if health == Connection.Status.NEEDS_RECONNECTING:
        return [
            Alert(
                "bad",
                "AutoSync no longer accepts this shop's connection, so nothing here is updated "
                "and online bookings are paused. An owner needs to reconnect it.",
                shop_page,
                "Reconnect",
            )
        ]
    if health != Connection.Status.CONNECTED:
        return [
            Alert(
                "bad",
                "This shop is not connected to AutoSync: nothing here is updated.",
                shop_page,
                "See the connection",
            )
        ]
    alerts = []
    states = list(ResourceState.objects.filter(shop=shop))
    failing = [
        LABELS.get(s.resource, s.resource).lower()
        for s in states
        if s.last_error
        and s.last_error_at
        and (s.last_success_at is None or s.last_error_at > s.last_success_at)
    ]
    if failing:
        alerts.append(
            Alert(
                "bad",
                f"Updates from AutoSync are failing ({', '.join(failing)}): what you see may be "
                "out of date.",
                health_page,
                "See what went wrong",
            )
        )
    done = {s.resource for s in states if s.completed_at}
    arriving = [LABELS[name].lower() for name in REGISTRY if name not in done]
    if arriving:
        alerts.append(
            Alert(
                "warn",
                f"Still arriving from AutoSync: {', '.join(arriving)}. Figures are incomplete "
                "until then.",
                reverse("mirror:shop-sync", args=[shop.pk]),
                "See the progress",
            )
        )
    open_now, last = _open_and_newest_webhook(shop, now)
    if open_now and (last is None or now - last > QUIET_WEBHOOKS):
        alerts.append(
            Alert(
                "warn",
                "No live update from AutoSync for over two hours while the shop is open: "
                "changes reach the portal only with the regular sync, every few minutes.",
                health_page,
                "See the connection",
            )
        )
    return alerts


def _open_and_newest_webhook(shop: Shop, now: datetime) -> tuple[bool, datetime | None]:
    """Whether `now` falls in one of the shop's weekly opening periods (its local time), and
    when its newest webhook arrived: one query whatever the hour, so that a page's cost does
    not depend on whether the shop is open."""
    local = now.astimezone(shop.zone)
    periods = OpeningHours.objects.filter(
        shop=shop, weekday=local.weekday(), opens__lte=local.time(), closes__gt=local.time()
    )
    newest = WebhookEvent.objects.filter(shop_remote_id=shop.remote_id).order_by("-received_at")
    row = (
        Shop.objects.filter(pk=shop.pk)
        .annotate(open_now=Exists(periods), newest=Subquery(newest.values("received_at")[:1]))
        .values_list("open_now", "newest")
        .get()
    )
    return row[0], row[1]


def last_webhook_at(shop: Shop) -> datetime | None:
    return WebhookEvent.objects.filter(shop_remote_id=shop.remote_id).aggregate(
        at=Max("received_at")
    )["at"]


def budget_by_hour(shop: Shop, now: datetime) -> list[dict]:
    """Requests sent to AutoSync for the shop per hour over the last day (oldest first, every
    hour present): summed by the database from the per-minute books."""
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    first = this_hour - timedelta(hours=BUDGET_HOURS - 1)
    spent = {
        row["hour"]: row["total"]
        for row in RequestCount.objects.filter(shop=shop, minute__gte=first)
        .annotate(hour=TruncHour("minute"))
        .values("hour")
        .annotate(total=Sum("count"))
    }
    # TruncHour answers in the current time zone; the keys are compared as instants.
    spent = {hour.astimezone(this_hour.tzinfo): total for hour, total in spent.items()}
    return [
        {"hour": first + timedelta(hours=n), "count": spent.get(first + timedelta(hours=n), 0)}
        for n in range(BUDGET_HOURS)
    ]


def budget_chart(hours: list[dict], width: int = 480, height: int = 120) -> dict:
    """Bar geometry for the SVG chart (server-rendered, no script): one bar an hour, scaled to
    the busiest hour (at least 10 requests, so a quiet day does not look busy)."""
    top = max([10, *(h["count"] for h in hours)])
    step = width / len(hours)
    bars = [
        {
            **h,
            "x": round(n * step + 1, 1),
            "width": round(step - 2, 1),
            "height": round(h["count"] / top * (height - 20), 1),
            "y": round(height - h["count"] / top * (height - 20), 1),
        }
        for n, h in enumerate(hours)
    ]
    return {"bars": bars, "width": width, "height": height, "top": top}


def frame(membership: Membership, tab: str, waiting: int | None = None) -> dict:
    """What every page of the shop's dashboard shows around its content: the tabs (with the
    inbox's count, `waiting` when the page knows it already) and the alerts."""
    shop = membership.shop
    return {
        "shop": shop,
        "membership": membership,
        "tab": tab,
        "open_count": open_count(shop) if waiting is None else waiting,
        "alerts": alerts_for(shop),
    }


def live_figures(shop: Shop, now: datetime) -> dict:
    """What the health page shows that moves while it is open (its live part): the freshness,
    each resource's books, the API budget per hour, the webhooks of the last day."""
    status = books.status_of(shop)
    completed = dict(
        ResourceState.objects.filter(shop=shop, completed_at__isnull=False).values_list(
            "resource", "completed_at"
        )
    )
    resources = [
        {"label": LABELS.get(name, name), "completed_at": completed.get(name), **book}
        for name, book in status.items()
    ]
    hours = budget_by_hour(shop, now)
    since = now - timedelta(hours=24)
    return {
        "freshness": queries.shop_freshness(shop),
        "resources": resources,
        "hours": hours,
        "chart": budget_chart(hours),
        "spent_today": sum(h["count"] for h in hours),
        "limit_per_minute": DEFAULT_LIMIT,
        "webhooks_received": WebhookEvent.objects.filter(
            shop_remote_id=shop.remote_id, received_at__gte=since
        ).count(),
        "webhooks_refused": books.refusals_since(shop, since),
        "last_webhook_at": last_webhook_at(shop),
    }


def sync_running(shop: Shop) -> bool:
    return SyncRun.objects.filter(
        shop=shop, status__in=(SyncRun.Status.PENDING, SyncRun.Status.RUNNING)
    ).exists()


#: What moves the health page's figures, in one query: the books of each resource (a sync's
#: success, problem, completeness, skipped records, AutoSync's totals; no `updated_at` there,
#: so one aggregate of each column the page reads), the newest webhook (the end of the
#: `mirror_event_shop` index), and the refusals of the last day (a handful of hourly rows).
#: Written out like figures._VERSION_SQL: every open health page asks for it every 20 s.
_VERSION_SQL = """
SELECT books.*,
  (SELECT received_at FROM {event} WHERE shop_remote_id = %(remote)s
     ORDER BY received_at DESC LIMIT 1) AS newest_event,
  (SELECT SUM(count) FROM {refusal} WHERE shop_remote_id = %(remote)s
     AND hour >= %(since)s) AS refused
FROM (
  SELECT MAX(last_success_at) AS succeeded, MAX(last_error_at) AS failed,
    COUNT(completed_at) AS complete, MAX(completed_at) AS completed, SUM(skipped) AS skipped,
    SUM(remote_total) AS totals, COUNT(*) AS resources
  FROM {state} WHERE shop_id = %(shop)s
) AS books
"""


def version(shop: Shop, now: datetime | None = None) -> tuple:
    """A cheap fingerprint of the health page's figures (`_VERSION_SQL`, one query). What it
    does not see shows with the dashboard's time bucket (views.REFRESH_BUCKET): records
    mirrored and requests counted while a sync runs (its success moves the books), webhooks
    and requests leaving the last 24 hours, opening hours (the "no webhook" alert). The
    connection's state is the shop's (loaded with the membership): the caller adds it."""
    since = (now or timezone.now()) - timedelta(hours=24)
    hour = WebhookRefusal._meta.get_field("hour")
    params = {
        "shop": shop.pk,
        "remote": shop.remote_id,
        "since": hour.get_db_prep_value(since, connection, prepared=False),
    }
    return sql.one_row(
        _VERSION_SQL, params, state=ResourceState, event=WebhookEvent, refusal=WebhookRefusal
    )


@shop_member()
@require_POST
def sync_now(request: StaffRequest, membership: Membership) -> HttpResponse:
    """Ask for a sync now (the mirror's `request_sync`: a sync already running is joined, not
    doubled), then show its progress on the health page."""
    shop = membership.shop
    if not shop.is_syncable:
        messages.error(request, "This shop cannot sync until its connection is fixed.")
    else:
        request_sync(shop.pk, SyncRun.Mode.INCREMENTAL)
        messages.success(request, "Sync started: the bars below follow it.")
    return redirect(reverse("dashboard:health", args=[shop.pk]) + "#sync")
