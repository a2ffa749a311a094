"""The vehicle owner's garage: an overview, their vehicles, appointments, work orders (with a
live status) and payments, across every shop they are a customer of (docs/garage.md).

Every view is behind `owner_required` and reads only through the owner's verified email
(`portal.garage.pages`, `portal.mirror.queries`): an id that is not theirs is a 404, whoever
else's it is. Pages read the mirror and never wait on AutoSync.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from portal.accounts import passes
from portal.accounts.owners import owner_required
from portal.booking.forms import ChangeRequestForm
from portal.http import VehicleOwnerRequest
from portal.mirror import queries
from portal.shops.models import Shop

from . import pages, rendered

#: The owner's navigation (templates/includes/nav_owner.html): view name, label.
OWNER_LINKS = (
    ("garage:home", "Overview"),
    ("garage:vehicles", "Vehicles"),
    ("garage:appointments", "Appointments"),
    ("garage:work-orders", "Work orders"),
    ("garage:payments", "Payments"),
)


@cache
def _link_addresses(prefix: str) -> tuple[str, ...]:
    return tuple(reverse(name) for name, _ in OWNER_LINKS)


def owner_links(request: HttpRequest) -> list[tuple[str, str, bool]]:
    """The owner's navigation for this page: address, label, and whether it is this page's
    (the addresses reversed once per process: seven `{% url %}` cost a page a tenth of its
    time)."""
    match = request.resolver_match
    shown = match.view_name if match else None
    addresses = _link_addresses(get_script_prefix())
    return [
        (address, label, name == shown)
        for address, (name, label) in zip(addresses, OWNER_LINKS, strict=True)
    ]


PER_PAGE = 20
#: How often an open work order's page asks whether it changed (the issue asks for 10 s).
POLL_SECONDS = 5
#: The poll pass's scope (portal.accounts.passes): it names the owner's email and the work
#: order (shop, AutoSync id) whose page gave it.
POLL_SCOPE = "garage.work-order"


def _render(request: VehicleOwnerRequest, template: str, context: dict, status: int = 200):
    return render(
        request, template, {"owner_links": owner_links(request), **context}, status=status
    )


@owner_required
@require_GET
def home(request: VehicleOwnerRequest) -> HttpResponse:
    """At a glance: vehicles, upcoming visits, open work orders, recent payments, each with
    its shop, and how fresh each shop's records are."""
    email = request.owner.email
    vehicles = pages.vehicles_by_key(email)
    upcoming, _ = pages.split_visits(pages.visits_of(email, vehicles))
    context = {
        "shops": pages.shops_of(email),
        "vehicles": list(vehicles.values()),
        "upcoming": upcoming[:5],
        "work_orders": list(queries.work_orders_of(email).open()[:10]),
        "payments": list(pages.payment_rows(email)[:5]),
    }
    return _render(request, "garage/home.html", context)


@owner_required
@require_GET
def vehicles(request: VehicleOwnerRequest) -> HttpResponse:
    """Each vehicle with its visits: the work orders (latest first) and the appointments."""
    email = request.owner.email
    by_key = pages.vehicles_by_key(email)
    visits = {key: {"work_orders": [], "upcoming": [], "past": []} for key in by_key}
    for order in queries.work_orders_of(email):
        if (key := (order.shop_id, order.vehicle_remote_id)) in visits:
            visits[key]["work_orders"].append(order)
    for visit in pages.visits_of(email, by_key):
        if visit.vehicle_key in visits:
            visits[visit.vehicle_key]["upcoming" if visit.upcoming else "past"].append(visit)
    for found in visits.values():
        found["past"].reverse()  # the latest first
    rows = [(vehicle, visits[key]) for key, vehicle in by_key.items()]
    context = {"shops": pages.shops_of(email), "rows": rows}
    return _render(request, "garage/vehicles.html", context)


@owner_required
@require_GET
def appointments(request: VehicleOwnerRequest) -> HttpResponse:
    """Upcoming and past visits: the shop's appointments (booked by phone too) and the
    bookings made in the portal, with their state; each once."""
    email = request.owner.email
    upcoming, past = pages.split_visits(pages.visits_of(email, pages.vehicles_by_key(email)))
    context = {"shops": pages.shops_of(email), "upcoming": upcoming, "past": past}
    return _render(request, "garage/appointments.html", context)


@owner_required
@require_http_methods(["GET", "POST"])
def booking(request: VehicleOwnerRequest, booking_id: int) -> HttpResponse:
    """A portal booking, the answers to the owner's requests, and "change or cancel": a
    booking `ChangeRequest` for the shop's staff (AutoSync's API cannot change an
    appointment), the same one the booking's "manage" page makes."""
    visit = pages.booking_visit(request.owner.email, booking_id)
    if visit is None:
        raise Http404
    return _change_or_cancel(request, visit, "garage/booking.html", booking=visit.booking)


@owner_required
@require_http_methods(["GET", "POST"])
def appointment(request: VehicleOwnerRequest, shop_id: int, remote_id: int) -> HttpResponse:
    """An appointment the shop made (by phone, at the counter), the answers to the owner's
    requests, and "change or cancel": a `ChangeRequest` about the appointment for the shop's
    staff, answered to the owner's verified email. A portal booking's appointment is the
    booking's page."""
    email = request.owner.email
    visit = pages.appointment_visit(email, shop_id, remote_id)
    if visit is None:
        raise Http404
    if visit.booking is not None:
        return redirect("garage:booking", visit.booking.pk)
    about = {"shop": visit.shop, "appointment_remote_id": remote_id, "email": email}
    return _change_or_cancel(request, visit, "garage/appointment.html", **about)


def _change_or_cancel(
    request: VehicleOwnerRequest, visit: pages.Visit, template: str, **about
) -> HttpResponse:
    """A visit's page with its requests, and the form that asks for a change while it is open
    to one. `about` says what the request is about (the fields it is saved with)."""
    posted = request.POST if request.method == "POST" else None
    form = ChangeRequestForm(posted) if visit.can_ask_for_a_change else None
    if request.method == "POST":
        if form is None:
            messages.info(request, "There is nothing to change: see the visit below.")
            return redirect(request.path)
        if form.is_valid():
            for name, value in about.items():
                setattr(form.instance, name, value)
            try:
                with transaction.atomic():
                    form.save()
            except IntegrityError:  # the same request, sent twice at once: one is kept
                pass
            messages.success(request, "Sent. The shop will answer you here and by email.")
            return redirect(request.path)
    context = {"visit": visit, "shop": visit.shop, "booking": visit.booking, "form": form}
    status = 422 if form is not None and form.errors else 200
    return _render(request, template, context, status=status)


@owner_required
@require_GET
@vary_on_headers("HX-Request")
def work_orders(request: VehicleOwnerRequest) -> HttpResponse:
    """Every work order, latest first, a page at a time, with its status."""
    email = request.owner.email
    page = Paginator(queries.work_orders_of(email), PER_PAGE).get_page(request.GET.get("page"))
    vehicles = pages.vehicles_by_key(email)
    for order in page.object_list:
        order.vehicle_label = pages.vehicle_label(
            vehicles.get((order.shop_id, order.vehicle_remote_id))
        )
    context = {"shops": pages.shops_of(email), "page_obj": page}
    template = "garage/work_orders.html#list" if request.htmx else "garage/work_orders.html"
    return _render(request, template, context)


def _work_order_context(
    request: VehicleOwnerRequest, shop_id: int, remote_id: int, version: str
) -> dict:
    """What the work order's page and its live part show (7 queries, `want()` among them:
    the mirror refreshes the detail of a work order someone is looking at); 404 when it is
    not the owner's."""
    email = request.owner.email
    scope = queries.work_orders_of(email).filter(shop_id=shop_id)
    page = queries.work_order_page(scope, remote_id)
    if page is None:
        raise Http404
    return {
        "page": page,
        "work_order": page.work_order,
        "shop": page.work_order.shop,
        "steps": pages.timeline(page.history, page.work_order.is_open),
        "inspections": pages.inspections_of(page.work_order),
        "version": version,
        "poll_seconds": POLL_SECONDS,
    }


def _time_anchors(context: dict) -> tuple:
    """The moments the live part's time texts count from: when the data was confirmed ("updated
    5 minutes ago") and, while the work order is open, when its current step began ("so far")."""
    anchors = [context["page"].freshness.confirmed_at]
    if context["work_order"].is_open and context["steps"]:
        anchors.append(context["steps"][-1].seen_at)
    return tuple(anchor for anchor in anchors if anchor is not None)


def _live(request: VehicleOwnerRequest, shop_id: int, remote_id: int) -> pages.Live:
    live = pages.live_of(request.owner.email, shop_id, remote_id)
    if live is None:
        raise Http404
    return live


@owner_required
@require_GET
def work_order(request: VehicleOwnerRequest, shop_id: int, remote_id: int) -> HttpResponse:
    """A work order: its status and the timeline the portal saw, inspection reports, jobs
    and line items, totals and payments. While it is open its live part polls for changes.
    Its body is rendered once per validator and kept (`rendered.py`): a repeat view of a work
    order that did not change costs the session and one query."""
    live = _live(request, shop_id, remote_id)
    live.want()

    def render_body():
        context = _work_order_context(request, shop_id, remote_id, live.version)
        context["vehicle"] = pages.vehicle_label(pages.vehicle_of(context["work_order"]))
        order = context["work_order"]
        texts = {
            "title": f"Work order {order.number or order.remote_id}",
            "body": render_to_string("garage/work_order_body.html", context, request),
        }
        return texts, _time_anchors(context)

    texts = rendered.part(f"page:{live.version}", render_body)
    context = {**texts, "polls": live.is_open}
    if live.is_open:
        shown_to = [request.owner.email, shop_id, remote_id]
        context["poll_pass"] = passes.issue(request, POLL_SCOPE, shown_to)
        context["poll_pass_header"] = passes.HEADER
    return _render(request, "garage/work_order.html", context)


def _still_shown(request: HttpRequest, shown_to: object, *, shop_id: int, remote_id: int) -> bool:
    """Whether the version the page's poll says it shows (`?v=`) is still current: the poll
    pass's check (portal.accounts.passes), before any session is read. The pass names the
    owner and this work order (the page gave it after finding the work order theirs), so the
    query needs not ask again whose it is: any change to what the page shows, its shop's
    connection among it, sends the poll the normal way, which does."""
    shown = request.GET.get("v")
    if not shown or not isinstance(shown_to, list) or shown_to[1:] != [shop_id, remote_id]:
        return False
    live = pages.live_of(str(shown_to[0]), shop_id, remote_id, scoped=False)
    return live is not None and live.version == shown


@passes.answers_unchanged(POLL_SCOPE, _still_shown)
@require_GET
def work_order_status(request: VehicleOwnerRequest, shop_id: int, remote_id: int) -> HttpResponse:
    """The live part's poll. With the page's poll pass and nothing changed it was answered
    already, from one query (`_still_shown`); here it goes the normal way. When the owner's
    session has ended, htmx takes the whole page to the sign-in (and back to the work order
    after), rather than swapping the sign-in page into the live part."""
    if request.htmx and not request.owner.is_authenticated:
        back = urlencode({"next": reverse("garage:work-order", args=[shop_id, remote_id])})
        sign_in = f"{resolve_url(settings.OWNER_SIGN_IN_URL)}?{back}"
        return HttpResponse(status=204, headers={"HX-Redirect": sign_in})
    return _live_part(request, shop_id, remote_id)


@owner_required
def _live_part(request: VehicleOwnerRequest, shop_id: int, remote_id: int) -> HttpResponse:
    """The live part's poll. Unchanged, it answers from one query and renders nothing: 204 to
    the page's poll (which sends the version it shows as `?v=`), or 304 to a request whose
    `If-None-Match` holds the current ETag. Changed, it answers the new live part (kept per
    validator, as the page's body is). 404 when the work order is not the owner's."""
    live = _live(request, shop_id, remote_id)
    etag = f'"{live.version}"'
    # Only an exact validator proves the asker was shown this work order (it is keyed to the
    # owner): Django's conditional handling would also answer `If-None-Match: *`.
    sent = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
    shown = request.GET.get("v", "")
    if shown == live.version:
        response = HttpResponse(status=204)
    elif etag in sent or f"W/{etag}" in sent:
        response = HttpResponse(status=304)
    else:
        live.want()
        status_changed = shown.split(".")[0] != live.status

        def render_live():
            context = _work_order_context(request, shop_id, remote_id, live.version)
            context["status_changed"] = status_changed
            live_part = render_to_string("garage/work_order_body.html#live", context, request)
            return {"live": live_part}, _time_anchors(context)

        key = f"live:{int(status_changed)}:{live.version}"
        response = HttpResponse(rendered.part(key, render_live)["live"])
    response["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    return response


@owner_required
@require_GET
@vary_on_headers("HX-Request")
def payments(request: VehicleOwnerRequest) -> HttpResponse:
    """Every payment across shops and vehicles, a page at a time, with what was paid per
    year and per shop, and the CSV download."""
    email = request.owner.email
    page = Paginator(pages.payment_rows(email), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "shops": pages.shops_of(email),
        "page_obj": page,
        "totals": pages.totals_of(email),
        "currency": Shop.currency,  # every shop's, until AutoSync says a shop's own
    }
    template = "garage/payments.html#list" if request.htmx else "garage/payments.html"
    return _render(request, template, context)


@owner_required
@require_GET
def receipt(request: VehicleOwnerRequest, shop_id: int, remote_id: int) -> HttpResponse:
    """One payment's receipt, laid out for printing."""
    email = request.owner.email
    payment = pages.payment_rows(email).filter(shop_id=shop_id, remote_id=remote_id).first()
    if payment is None:
        raise Http404
    order = (
        queries.work_orders_of(email)
        .filter(shop_id=shop_id, remote_id=payment.work_order_remote_id)
        .first()
    )
    context = {
        "payment": payment,
        "shop": payment.shop,
        "freshness": queries.shop_freshness(payment.shop),
        "work_order": order,
        "vehicle": pages.vehicle_label(pages.vehicle_of(order)) if order else "",
    }
    return _render(request, "garage/receipt.html", context)


class _Echo:
    """A file that hands back what is written: csv.writer's rows, streamed as they come."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    """A text cell a spreadsheet will not run as a formula (names come from shops' data)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(email: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        ["Date", "Shop", "Work order", "Amount", "Currency", "Method", "Status", "Receipt"]
    )
    for payment in pages.payment_rows(email).iterator(chunk_size=500):
        shop = payment.shop
        paid_on = payment.remote_created_at or payment.observed_at
        yield writer.writerow(
            [
                paid_on.astimezone(shop.zone).date().isoformat(),
                _cell(shop.name),
                _cell(payment.work_order_number),
                f"{payment.amount:.2f}",
                shop.currency,
                _cell(payment.method),
                _cell(payment.status),
                payment.remote_id,
            ]
        )


@owner_required
@require_GET
def payments_csv(request: VehicleOwnerRequest) -> StreamingHttpResponse:
    """Every payment as a CSV file, streamed row by row."""
    response = StreamingHttpResponse(
        _csv_lines(request.owner.email), content_type="text/csv; charset=utf-8"
    )
    today = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="payments-{today}.csv"'
    return response
