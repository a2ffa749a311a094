"""The emails of a booking (HTML and text, templates/booking/email/), the calendar invitation
the confirmation carries, and the manage link every owner's email ends with.

Times are shown in the shop's time zone: each email is rendered with it active.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.mirror.models import Appointment, Customer, Vehicle
from portal.shops.models import MANAGERS, Membership, Shop

from .models import Booking, ChangeRequest


def manage_link(token: str) -> str:
    """The owner's "manage this booking" page, as an absolute link."""
    return settings.PORTAL_BASE_URL + reverse("booking:manage", args=[token])


def send_received(booking: Booking) -> None:
    """To the owner, while AutoSync has not confirmed yet: received, confirming."""
    _to_owner(booking, "received", f"Booking received: confirming with {booking.shop.name}")


def send_requested(booking: Booking) -> None:
    """To the owner of a request-mode booking: the shop will answer."""
    _to_owner(booking, "requested", f"Your visit request to {booking.shop.name}")


def send_confirmed(booking: Booking) -> None:
    """To the owner, with the visit as a calendar invitation."""
    _to_owner(
        booking,
        "confirmed",
        f"Confirmed: your visit to {booking.shop.name}",
        attachment=("visit.ics", invitation(booking), "text/calendar; method=PUBLISH"),
    )


def send_reminder(booking: Booking) -> None:
    """To the owner, the day before the visit."""
    _to_owner(booking, "reminder", f"Reminder: your visit to {booking.shop.name} tomorrow")


def send_declined(booking: Booking) -> None:
    """To the owner: the shop declined the request (or could not take a failed booking), in
    the shop's words when staff wrote some."""
    _to_owner(booking, "declined", f"Your visit to {booking.shop.name}: the shop cannot take it")


def send_answered(booking: Booking) -> None:
    """To the owner: the shop's answer to their latest change or cancel request."""
    change = booking.change_requests.exclude(outcome=ChangeRequest.Outcome.PENDING).first()
    if change is None:
        return
    subject = f"{booking.shop.name} answered your request: {change.get_outcome_display().lower()}"
    link = manage_link(booking.manage_token)
    _send(booking, "answered", subject, [booking.email], manage_link=link, change=change)


def send_appointment_answered(change: ChangeRequest) -> None:
    """To the owner who asked (`change.email`, the email they signed in with): the shop's
    answer to their request about an appointment the shop made by phone. The same email as a
    booking's answer, with the appointment as the mirror has it (when it still does) and a
    link to the visit's page in their garage."""
    shop = change.shop
    appointment = Appointment.objects.filter(
        shop=shop, remote_id=change.appointment_remote_id
    ).first()
    customer = vehicle = None
    if appointment is not None:
        customer = Customer.objects.filter(
            shop=shop, remote_id=appointment.customer_remote_id
        ).first()
        vehicle = Vehicle.objects.filter(shop=shop, remote_id=appointment.vehicle_remote_id).first()
    link = settings.PORTAL_BASE_URL + reverse(
        "garage:appointment", args=[shop.pk, change.appointment_remote_id]
    )
    context = {
        "shop": shop,
        "change": change,
        "name": customer.first_name if customer else "",
        "appointment": appointment,
        "vehicle": vehicle,
        "visit_link": link,
    }
    subject = f"{shop.name} answered your request: {change.get_outcome_display().lower()}"
    _render_and_send(shop, "answered", subject, [change.email], context)


def send_failed(booking: Booking) -> None:
    """To the shop's owners and managers: a booking AutoSync would not take. The owner of the
    vehicle is waiting for the shop's call."""
    recipients = sorted(
        set(
            Membership.objects.filter(shop_id=booking.shop_id, role__in=MANAGERS).values_list(
                "user__email", flat=True
            )
        )
    )
    if recipients:
        _send(booking, "failed", "A booking could not be confirmed in AutoSync", recipients)


def invitation(booking: Booking) -> bytes:
    """The visit as an iCalendar file (RFC 5545) that calendar apps import: times in UTC, a
    UID stable per booking (a later invitation updates the same event rather than add one)."""
    shop = booking.shop
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//AutoSync customer portal//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"booking-{booking.pk}@{urlsplit(settings.PORTAL_BASE_URL).hostname}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"Visit to {shop.name}")
    if shop.address:
        event.add("location", shop.address)
    services = ", ".join(service.name for service in booking.services.all())
    link = manage_link(booking.manage_token)
    event.add(
        "description",
        f"{booking.vehicle_year} {booking.vehicle_make} {booking.vehicle_model}: "
        f"{services or 'a visit'}.\nChange or cancel: {link}",
    )
    event.add("url", link)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def _to_owner(booking: Booking, name: str, subject: str, attachment=None) -> None:
    link = manage_link(booking.manage_token)
    _send(booking, name, subject, [booking.email], attachment, manage_link=link)


def _send(
    booking: Booking, name: str, subject: str, to: list[str], attachment=None, **extra
) -> None:
    context = {
        "booking": booking,
        "name": booking.name,
        "shop": booking.shop,
        "services": list(booking.services.all()),
        **extra,
    }
    _render_and_send(booking.shop, name, subject, to, context, attachment)


def _render_and_send(
    shop: Shop, name: str, subject: str, to: list[str], context: dict, attachment=None
) -> None:
    with timezone.override(shop.zone):
        text = render_to_string(f"booking/email/{name}.txt", context)
        html = render_to_string(f"booking/email/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, to=to)
    message.attach_alternative(html, "text/html")
    if attachment:
        message.attach(*attachment)
    message.send()
