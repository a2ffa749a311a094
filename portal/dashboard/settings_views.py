"""A shop's settings: how it takes bookings (booking's models), its hours, closed dates and
service menu, and the text of its public booking page. Only owners and managers change them
(and see them: every view here asks `shop_member(MANAGERS)`); the team is the shops app's page.

One page shows every section; each section's form posts to its own URL, and a form with
problems comes back on the page with its messages and what was entered (422)."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal.booking.models import Booking, BookingSettings, ClosedDate, Service
from portal.http import StaffRequest
from portal.shops.access import MANAGERS, shop_member
from portal.shops.models import Membership

from . import settings_forms as f
from .health import frame


def _page(
    request: StaffRequest, membership: Membership, status: int = 200, **bound
) -> HttpResponse:
    """The settings page; `bound` holds the one form that was posted with problems."""
    shop = membership.shop
    settings = BookingSettings.for_shop(shop)
    context = {
        **frame(membership, "settings"),
        "booking_form": bound.get("booking_form") or f.BookingSettingsForm(instance=settings),
        "hours": bound.get("hours") or f.opening_hours_set(shop),
        "closed_form": bound.get("closed_form") or f.ClosedDateForm(shop=shop),
        "closed_dates": ClosedDate.objects.filter(shop=shop),
        "services": bound.get("services") or f.services_set(shop),
        "thresholds": bound.get("thresholds") or f.StuckThresholdsForm(shop=shop),
    }
    return render(request, "dashboard/manage/settings.html", context, status=status)


def _saved(membership: Membership, section: str) -> HttpResponse:
    return redirect(reverse("dashboard:settings", args=[membership.shop_id]) + f"#{section}")


@shop_member(MANAGERS)
@require_GET
def settings_page(request: StaffRequest, membership: Membership) -> HttpResponse:
    return _page(request, membership)


@shop_member(MANAGERS)
@require_POST
def booking_settings(request: StaffRequest, membership: Membership) -> HttpResponse:
    settings = BookingSettings.for_shop(membership.shop)
    form = f.BookingSettingsForm(request.POST, instance=settings)
    if not form.is_valid():
        return _page(request, membership, 422, booking_form=form)
    form.save()
    messages.success(request, "Booking settings saved.")
    return _saved(membership, "booking")


@shop_member(MANAGERS)
@require_POST
def opening_hours(request: StaffRequest, membership: Membership) -> HttpResponse:
    shop = membership.shop
    BookingSettings.for_shop(shop)  # a shop's first look gives it its default hours
    hours = f.opening_hours_set(shop, request.POST)
    if not hours.is_valid():
        return _page(request, membership, 422, hours=hours)
    with transaction.atomic():
        periods = hours.save(commit=False)
        for period in hours.deleted_objects:
            period.delete()
        for period in periods:
            period.shop = shop
            period.save()
    messages.success(request, "Opening hours saved.")
    return _saved(membership, "hours")


@shop_member(MANAGERS)
@require_POST
def closed_date_add(request: StaffRequest, membership: Membership) -> HttpResponse:
    form = f.ClosedDateForm(request.POST, shop=membership.shop)
    if not form.is_valid():
        return _page(request, membership, 422, closed_form=form)
    form.instance.shop = membership.shop
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError:  # the same day added twice at once: once is enough
        pass
    messages.success(request, f"Closed on {form.cleaned_data['date']:%A %-d %B %Y}.")
    return _saved(membership, "closed")


@shop_member(MANAGERS)
@require_POST
def closed_date_remove(
    request: StaffRequest, membership: Membership, closed_id: int
) -> HttpResponse:
    closed = get_object_or_404(ClosedDate, pk=closed_id, shop=membership.shop)
    closed.delete()
    messages.success(request, f"Open again on {closed.date:%A %-d %B %Y}.")
    return _saved(membership, "closed")


@shop_member(MANAGERS)
@require_POST
def services(request: StaffRequest, membership: Membership) -> HttpResponse:
    """The menu: edits, a new service, removals and the order, in one save. A service some
    booking names is retired (no longer offered) rather than deleted."""
    shop = membership.shop
    BookingSettings.for_shop(shop)
    menu = f.services_set(shop, request.POST)
    if not menu.is_valid():
        return _page(request, membership, 422, services=menu)
    with transaction.atomic():
        menu.save(commit=False)
        removed = [service.pk for service in menu.deleted_objects]
        booked = set(
            Booking.services.through.objects.filter(service_id__in=removed).values_list(
                "service_id", flat=True
            )
        )
        Service.objects.filter(pk__in=booked).update(offered=False)
        Service.objects.filter(pk__in=set(removed) - booked).delete()
        for position, form in enumerate(menu.ordered_forms):
            service = form.instance
            service.shop = shop
            service.position = position
            service.save()
    messages.success(request, "Service menu saved.")
    return _saved(membership, "services")


@shop_member(MANAGERS)
@require_POST
def stuck_thresholds(request: StaffRequest, membership: Membership) -> HttpResponse:
    form = f.StuckThresholdsForm(request.POST, shop=membership.shop)
    if not form.is_valid():
        return _page(request, membership, 422, thresholds=form)
    with transaction.atomic():
        form.save()
    messages.success(request, "Stuck thresholds saved.")
    return _saved(membership, "stuck")
