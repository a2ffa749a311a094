"""The connection and sync health page of a shop (what it shows: health.py). Its figures
refresh themselves while it is open, as the overview's do: htmx asks for its live part every
REFRESH_SECONDS with the tag of what it shows, and the answer is 204, rendering nothing, until
the tag changes. The tag is `health.version` (one query), the connection's state and the
overview's time bucket.

The live part is the records, the budget and the webhooks; the alerts, the connection's
state and the badge in the heading come with it, swapped out of band. The forms (reconnect,
sync now) stay outside it, so that a refresh never takes a button from under a click or the
keyboard focus; "sync now"'s progress bars keep their own poll (the mirror's, every 2 s
while a sync runs)."""

from __future__ import annotations

import time

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from portal.http import StaffRequest
from portal.shops.access import shop_member
from portal.shops.models import Membership

from . import health, polls
from .views import REFRESH_BUCKET, REFRESH_SECONDS, SEEN_HEADER, signed_out_poll


def health_tag(membership: Membership) -> str:
    """The tag of the health page's figures now (one query)."""
    shop = membership.shop
    link = shop.connection
    return polls.tag_of(
        health.version(shop),
        int(time.time() // REFRESH_BUCKET),
        shop.health,
        (link.status_reason, link.status_changed_at) if link else None,
    )


@signed_out_poll
@shop_member()
@require_GET
@vary_on_headers("HX-Request", SEEN_HEADER)
def health_page(request: StaffRequest, membership: Membership) -> HttpResponse:
    """The page; to htmx, its live part (and the pieces that come with it), or 204."""
    shop = membership.shop
    # The tag first: a change while the figures are read is shown by the next refresh.
    tag = health_tag(membership)
    live = bool(request.htmx)
    if live and (unchanged := polls.unchanged(request, tag)):
        return unchanged
    context = {
        "tag": tag,
        "refresh_seconds": REFRESH_SECONDS,
        "seen_header": SEEN_HEADER,
        **health.live_figures(shop, timezone.now()),
    }
    if live:
        context |= {"shop": shop, "membership": membership, "alerts": health.alerts_for(shop)}
        page = render(request, "dashboard/manage/health.html#poll", {**context, "oob": True})
        return polls.tagged(page, tag)
    context |= {**health.frame(membership, "health"), "running": health.sync_running(shop)}
    return render(request, "dashboard/manage/health.html", context)
