"""The public booking pages: a shop's page, the five steps of booking a visit, the
confirmation, and "manage this booking" (docs/booking.md, "The pages").

The steps keep what was entered in the session (`visit.py`). Each works as a plain form; htmx
boosts them (a step posts and the next one is swapped in) and loads a day's free times in
place. The one POST that books is a plain form, throttled per IP address and per email."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache, wraps
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.dateformat import time_format
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from portal.http import VehicleOwnerRequest
from portal.mirror.models import Vehicle
from portal.mirror.queries import customers_by_email, vehicles_of
from portal.shops.models import Shop

from . import forms, services
from .availability import closed_reason, public_shops, settings_of
from .cache import remembered
from .models import Booking, BookingSettings, ChangeRequest, OpeningHours, Service
from .slots import free_times
from .visit import BOOKED_KEY, STEPS, Visit

#: Booking attempts allowed per IP address (a shop's customers may share one) and per email.
PER_IP, PER_EMAIL = "20/h", "5/h"

STEP_LABELS = {
    "what": "What needs doing",
    "vehicle": "Your vehicle",
    "when": "When",
    "who": "Your details",
    "review": "Check and book",
}
FORMS = {"what": forms.WhatForm, "vehicle": forms.VehicleForm, "who": forms.WhoForm}


def _shop(slug: str) -> Shop:
    """The shop of `slug` (404 if none), with all that `closed_reason` reads: one query."""
    return get_object_or_404(public_shops(), slug=slug)


FlowView = Callable[..., HttpResponse]


def flow_step(step: str) -> Callable[[FlowView], FlowView]:
    """A step of the flow (GET shows it, POST submits it): the view gets the shop found by its
    slug (404 if none), its settings and the visit so far. A shop that takes no bookings now
    sends the owner to its page, which says why; a step opened before the steps it needs
    sends them to the first of those."""

    def decorator(view: FlowView) -> FlowView:
        @require_http_methods(["GET", "POST"])
        @wraps(view)
        def wrapped(request: VehicleOwnerRequest, slug: str) -> HttpResponse:
            shop = _shop(slug)
            settings = settings_of(shop)
            if closed_reason(shop, settings):
                return redirect("booking:shop", shop.slug)
            visit = Visit.of(request, shop)
            if missing := visit.first_missing(step):
                return redirect(_step_url(shop, missing))
            return view(request, shop, settings, visit)

        return wrapped

    return decorator


def _step_url(shop: Shop, step: str) -> str:
    return reverse(f"booking:{step}", args=[shop.slug])


def _render_step(request, shop, visit, step: str, context: dict, status: int = 200):
    steps = [(s, STEP_LABELS[s], _step_url(shop, s), s in visit.data) for s in STEPS]
    context = {"shop": shop, "step": step, "title": STEP_LABELS[step], "steps": steps, **context}
    return render(request, f"booking/{step}.html", context, status=status)


def _next_step(shop: Shop, visit: Visit) -> HttpResponse:
    """The first step still to do; the review when all are done (a change made from the
    review goes back to it)."""
    return redirect(_step_url(shop, visit.first_missing("review") or "review"))


def _services(shop: Shop, ids) -> list[Service]:
    return list(Service.objects.filter(shop=shop, pk__in=ids))


def _visit_minutes(shop: Shop, settings: BookingSettings, ids: list[int]) -> int:
    """How long a visit for the services `ids` lasts, for a page that lists times (kept
    under the shop's calendar version: the services and settings are part of it)."""
    ids = sorted(set(ids))
    return remembered(
        shop, ("visit minutes", *ids), lambda: settings.visit_minutes(_services(shop, ids))
    )


def time_choices(shop: Shop, times: list[datetime], style: str = "g:i A") -> list[tuple[str, str]]:
    """(instant in ISO 8601, "9:30 AM") for each time, in the shop's zone; on the day clocks
    go back, the hour that happens twice says which it is ("1:30 AM EDT", "1:30 AM EST"),
    from `tzname` (Django's "T" format is blank for an ambiguous time)."""
    clocks = [_clock(start, shop.zone, style) for start in times]
    labels = [label for _, label, _ in clocks]
    return [
        (value, label + (f" {zone}" if labels.count(label) > 1 else ""))
        for value, label, zone in clocks
    ]


@lru_cache(maxsize=4096)
def _clock(start: datetime, zone: ZoneInfo, style: str) -> tuple[str, str, str]:
    """An instant in ISO 8601, its wall-clock time in `zone` in `style`, and the zone's name
    then ("EST"): the same for ever (the portal speaks one language, USE_I18N is off), so
    worked out once per process rather than on every list."""
    local = start.astimezone(zone)
    return start.isoformat(), date_format(local, style), local.tzname() or ""


# --- The shop's public page --------------------------------------------------------------------


@require_GET
def shop_page(request: VehicleOwnerRequest, slug: str) -> HttpResponse:
    shop = _shop(slug)
    settings = settings_of(shop)
    context = {
        "shop": shop,
        "settings": settings,
        "reason": closed_reason(shop, settings),
        "hours": remembered(shop, ("opening hours",), lambda: _opening_hours(shop)),
    }
    return render(request, "booking/shop.html", context)


def _opening_hours(shop: Shop) -> list[tuple[str, str]]:
    """("Monday", "8:00 AM to 12:00 PM, 1:00 PM to 5:00 PM") for each day of the week, in
    the shop's local time; "Closed" for a day without hours."""
    periods: dict[int, list[str]] = {}
    for weekday, opens, closes in OpeningHours.objects.filter(shop=shop).values_list(
        "weekday", "opens", "closes"
    ):
        words = f"{time_format(opens, 'g:i A')} to {time_format(closes, 'g:i A')}"
        periods.setdefault(weekday, []).append(words)
    return [
        (day.label.title(), ", ".join(periods.get(day, [])) or "Closed")
        for day in OpeningHours.Weekday
    ]


# --- The steps ---------------------------------------------------------------------------------


def _form_step(request: VehicleOwnerRequest, shop: Shop, visit: Visit, step: str, /, **options):
    """Steps 1, 2 and 4: a form (given `options`) whose cleaned data the visit keeps."""
    posted = request.POST if request.method == "POST" else None  # an empty POST is bound too
    options.setdefault("initial", visit.data.get(step))
    form = FORMS[step](posted, **options)
    if posted is not None:
        if form.is_valid():
            visit.data[step] = form.stored()
            visit.save(request)
            return _next_step(shop, visit)
        return _render_step(request, shop, visit, step, {"form": form}, status=422)
    return _render_step(request, shop, visit, step, {"form": form})


@flow_step("what")
def what(request: VehicleOwnerRequest, shop, settings, visit) -> HttpResponse:
    return _form_step(request, shop, visit, "what", shop=shop)


@flow_step("vehicle")
def vehicle(request: VehicleOwnerRequest, shop, settings, visit) -> HttpResponse:
    """Step 2: an owner signed in picks one of their vehicles at this shop, or types in
    another; anyone else types in theirs."""
    return _form_step(request, shop, visit, "vehicle", vehicles=_owner_vehicles(request, shop))


def _owner_vehicles(request: VehicleOwnerRequest, shop: Shop) -> list[Vehicle]:
    """The signed-in owner's vehicles at this shop that a booking can name (year, make and
    model known); none for anyone else. One query, only for an owner signed in."""
    if not request.owner.is_authenticated:
        return []
    vehicles = vehicles_of(request.owner.email).filter(shop=shop)
    return [car for car in vehicles if car.year and car.make and car.model]


@flow_step("who")
def who(request: VehicleOwnerRequest, shop, settings, visit) -> HttpResponse:
    """Step 4; for an owner signed in, filled in the first time with their email and the
    name and phone the shop has for them."""
    if "who" not in visit.data and request.owner.is_authenticated:
        known = customers_by_email(request.owner.email).filter(shop=shop).order_by("pk").first()
        initial = {"email": request.owner.email}
        if known is not None:
            initial |= {"name": known.name, "phone": known.phone}
        return _form_step(request, shop, visit, "who", initial=initial)
    return _form_step(request, shop, visit, "who")


def _times_part(shop, settings, day_form, minutes: int, service_ids, chosen: str | None) -> dict:
    """What the free-times part of the "when" step shows: the day picker, and the day's free
    times once it is a day that can be booked, each as (value, label, its input's id, whether
    it is the one `chosen`)."""
    times = []
    if day_form.is_valid():
        day = day_form.cleaned_data["day"]
        free = free_times(shop, day, minutes, settings=settings, listing=True)
        times = [
            (value, label, f"id_start_{n}", value == chosen)
            for n, (value, label) in enumerate(time_choices(shop, free))
        ]
    return {"shop": shop, "day_form": day_form, "times": times, "service_ids": service_ids}


@flow_step("when")
def when(request: VehicleOwnerRequest, shop, settings, visit) -> HttpResponse:
    """Step 3: a day (GET `?day=`, which lists its free times), then a time (POST)."""
    service_ids = visit.data["what"]["services"]
    minutes = settings.visit_minutes(_services(shop, service_ids))
    chosen = visit.data.get("when", {}).get("start")
    day = request.GET.get("day") or (_local_day(shop, chosen) if chosen else "")
    form, status = None, 200
    if request.method == "POST":
        form = forms.TimeForm(request.POST, shop=shop, settings=settings, minutes=minutes)
        if form.is_valid():
            visit.data["when"] = form.stored()
            visit.save(request)
            return _next_step(shop, visit)
        chosen, day, status = request.POST.get("start"), request.POST.get("day") or day, 422
    day_form = forms.DayForm({"day": day} if day else None, shop=shop, settings=settings)
    context = _times_part(shop, settings, day_form, minutes, service_ids, chosen) | {"form": form}
    return _render_step(request, shop, visit, "when", context, status=status)


def _local_day(shop: Shop, instant: str) -> str:
    return datetime.fromisoformat(instant).astimezone(shop.zone).date().isoformat()


@require_GET
def times(request: VehicleOwnerRequest, slug: str) -> HttpResponse:
    """The free times of `?day=` for a visit of `?services=` (ids, repeated), as the part of
    the "when" step that htmx swaps in; 422 with the day's error when the day is not one
    that can be booked. It reads nothing from the session: the URL says it all."""
    shop = _shop(slug)
    settings = settings_of(shop)
    if closed_reason(shop, settings):
        raise Http404
    service_ids = [int(id) for id in request.GET.getlist("services") if id.isdigit()]
    minutes = _visit_minutes(shop, settings, service_ids)
    day_form = forms.DayForm(request.GET, shop=shop, settings=settings)
    context = _times_part(shop, settings, day_form, minutes, service_ids, chosen=None)
    status = 200 if day_form.is_valid() else 422
    return render(request, "booking/when.html#times", context, status=status)


@flow_step("review")
def review(request: VehicleOwnerRequest, shop, settings, visit) -> HttpResponse:
    """Step 5: everything at a glance, and the button that books."""
    data = visit.data
    chosen = _services(shop, data["what"]["services"])
    start = datetime.fromisoformat(data["when"]["start"])
    context = {"data": data, "services": chosen, "start": start, "form": forms.ConfirmForm()}
    if request.method == "GET":
        return _render_step(request, shop, visit, "review", context)
    if _throttled(request, data["who"]["email"]):
        return render(request, "booking/rate_limited.html", {"shop": shop}, status=429)
    form = context["form"] = forms.ConfirmForm(request.POST)
    if not form.is_valid():
        return _render_step(request, shop, visit, "review", context, status=422)
    try:
        booked = services.book(
            shop,
            start,
            chosen,
            services.CustomerDetails(**data["who"]),
            services.VehicleDetails(**data["vehicle"]),
            data["what"]["notes"],
        )
    except services.SlotTaken as taken:
        context["nearest"] = time_choices(shop, taken.nearest, "l j F, g:i A")
        return _render_step(request, shop, visit, "review", context, status=409)
    Visit.forget(request)
    request.session[BOOKED_KEY] = {"booking": booked.booking.pk, "token": booked.manage_token}
    return redirect("booking:booked", shop.slug)


def _throttled(request: VehicleOwnerRequest, email: str) -> bool:
    """Whether this booking attempt is one too many from its IP address or for its email
    (both are counted, on Django's cache, by django-ratelimit)."""
    by_ip = is_ratelimited(
        request, group="booking-ip", key="ip", rate=PER_IP, method="POST", increment=True
    )
    by_email = is_ratelimited(
        request,
        group="booking-email",
        key=lambda group, request: email,
        rate=PER_EMAIL,
        method="POST",
        increment=True,
    )
    return by_ip or by_email


# --- After booking -----------------------------------------------------------------------------


@require_GET
def booked(request: VehicleOwnerRequest, slug: str) -> HttpResponse:
    """The confirmation, with the link to manage the booking (its secret is shown here and
    in the email, nowhere else)."""
    shop = _shop(slug)
    last = request.session.get(BOOKED_KEY) or {}
    booking = (
        Booking.objects.filter(shop=shop, pk=last.get("booking"))
        .prefetch_related("services")
        .first()
    )
    if booking is None:
        return redirect("booking:shop", shop.slug)
    manage_url = reverse("booking:manage", args=[last["token"]])
    context = {"shop": shop, "booking": booking, "manage_url": manage_url}
    return render(request, "booking/booked.html", context)


@require_http_methods(["GET", "POST"])
def manage(request: VehicleOwnerRequest, token: str) -> HttpResponse:
    """The booking's state now, and a request to change or cancel it (staff handle it)."""
    booking = (
        Booking.objects.managed_by(token)
        .select_related("shop")
        .prefetch_related("services")
        .first()
    )
    if booking is None:
        raise Http404
    pending = booking.change_requests.filter(outcome=ChangeRequest.Outcome.PENDING).first()
    open_to_change = booking.state in Booking.HOLDING and pending is None
    posted = request.POST if request.method == "POST" else None
    form = forms.ChangeRequestForm(posted) if open_to_change else None
    if request.method == "POST":
        if form is None:
            messages.info(request, "There is nothing to change: see the booking below.")
            return redirect(request.path)
        if form.is_valid():
            form.instance.booking = booking
            try:
                with transaction.atomic():
                    form.save()
            except IntegrityError:  # the same request, sent twice at once: one is kept
                pass
            messages.success(request, "Sent. The shop will answer you by email.")
            return redirect(request.path)
    context = {"shop": booking.shop, "booking": booking, "pending": pending, "form": form}
    status = 422 if form is not None and form.errors else 200
    return render(request, "booking/manage.html", context, status=status)
