"""The garage's emails (HTML and text, templates/garage/email/): the sign-in link and code, and
the notifications, each with a one-click unsubscribe (RFC 8058) from its kind.

A notification is rendered in its shop's time zone, like the booking's emails."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.mirror.models import Customer, Vehicle, WorkOrder

from .models import Notification

Kind = Notification.Kind


def absolute(view_name: str, *args, token: str = "") -> str:
    """A page of the portal as a link; a secret goes in its query as `token`, which access
    logs redact (a path would be logged as is)."""
    url = settings.PORTAL_BASE_URL + reverse(view_name, args=args)
    return f"{url}?{urlencode({'token': token})}" if token else url


def send_sign_in(email: str, token: str, code: str, minutes: int) -> None:
    """The link and the code of a sign-in request (the only place either is ever written),
    good for `minutes`."""
    context = {
        "link": absolute("garage:sign-in-link", token=token),
        "code": code,
        "minutes": minutes,
    }
    _send("sign_in", "Sign in to see your car's repairs", email, context)


def send_notification(
    notification: Notification, customer: Customer, email: str, unsubscribe_token: str
) -> None:
    """One notification to the owner, with what the mirror knows of its work order and
    vehicle, a link to the garage, and the way to stop this kind of email."""
    shop = notification.shop
    work_order = (
        WorkOrder.objects.filter(shop=shop, remote_id=notification.work_order_remote_id).first()
        if notification.work_order_remote_id is not None
        else None
    )
    vehicle = (
        Vehicle.objects.filter(shop=shop, remote_id=work_order.vehicle_remote_id).first()
        if work_order is not None and work_order.vehicle_remote_id is not None
        else None
    )
    car = (
        " ".join(str(p) for p in (vehicle.year, vehicle.make, vehicle.model) if p)
        if vehicle
        else ""
    )
    unsubscribe = absolute("garage:unsubscribe", token=unsubscribe_token)
    context = {
        "notification": notification,
        "details": notification.details,
        "shop": shop,
        "customer": customer,
        "work_order": work_order,
        "car": car,
        "garage": _page(notification),
        "preferences": absolute("garage:preferences"),
        "unsubscribe": unsubscribe,
    }
    subject = {
        Kind.READY: f"Your {car or 'vehicle'} is ready for pickup at {shop.name}",
        Kind.INSPECTION: f"Inspection report from {shop.name}",
        Kind.PAYMENT: f"Payment received by {shop.name}",
    }[notification.kind]
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    with timezone.override(shop.zone):
        _send(notification.kind, subject, email, context, headers)


def _page(notification: Notification) -> str:
    """Where the email leads: the work order (ready, inspection), else the payments."""
    if notification.kind != Kind.PAYMENT and notification.work_order_remote_id is not None:
        return absolute(
            "garage:work-order", notification.shop_id, notification.work_order_remote_id
        )
    return absolute("garage:payments")


def _send(name: str, subject: str, to: str, context: dict, headers: dict | None = None) -> None:
    text = render_to_string(f"garage/email/{name}.txt", context)
    html = render_to_string(f"garage/email/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    message.send()
