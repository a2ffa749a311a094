"""Confirming an instant booking at AutoSync: find or create the customer, find or create the
vehicle, create the appointment (docs/booking.md, "Confirming at AutoSync").

Each remote id is kept on the booking as soon as it is known, so an attempt that stops half way
(AutoSync down, a worker killed) is resumed by the next one and never repeats a step that
succeeded. The appointment, the one record that must never be made twice, is also marked as
sent before its POST: an attempt that finds it marked looks for it before sending it again.
Every record made or found enters the mirror at once.
"""

from __future__ import annotations

import re

import phonenumbers
from django.db import transaction
from django.utils import timezone

from portal.autosync import lookups
from portal.autosync.client import LOOKBACK, AutoSyncClient
from portal.autosync.pages import iter_all
from portal.mirror import records
from portal.shops.tokens import client_for

from .models import Booking


def confirm(booking: Booking) -> bool:
    """Make `booking`'s appointment at AutoSync and mark the booking confirmed; whether this
    call confirmed it (False when it was no longer pending: nothing is sent then).

    Uses the interactive client (the window's reserve, so a booking never waits behind a
    sync) without waiting for the budget in the worker: AutoSync's errors, `BudgetExhausted`
    included, reach the caller (the task), which tries again later."""
    booking = Booking.objects.select_related("shop").get(pk=booking.pk)
    if booking.state != Booking.State.PENDING:
        return False
    shop = booking.shop
    api = client_for(shop, priority="interactive", budget_timeout=0)
    if booking.customer_remote_id is None:
        seen = timezone.now()
        customer = find_customer(api, shop.remote_id, booking) or api.create_customer(
            shop.remote_id, **_customer_fields(booking)
        )
        _keep(booking, "customers", customer, seen, customer_remote_id=customer["id"])
    if booking.vehicle_remote_id is None:
        seen = timezone.now()
        vehicle = find_vehicle(api, shop.remote_id, booking) or api.create_vehicle(
            shop.remote_id, customer_id=booking.customer_remote_id, **_vehicle_fields(booking)
        )
        _keep(booking, "vehicles", vehicle, seen, vehicle_remote_id=vehicle["id"])
    seen = timezone.now()
    appointment = _appointment(api, booking)
    with transaction.atomic():
        # The appointment enters the mirror with its id on the booking, in one transaction:
        # free_times never counts the visit twice, nor misses it.
        records.apply("appointments", shop.pk, [appointment], seen)
        now = timezone.now()
        return bool(
            Booking.objects.filter(pk=booking.pk, state=Booking.State.PENDING).update(
                appointment_remote_id=appointment["id"],
                state=Booking.State.CONFIRMED,
                confirmed_at=now,
                failure="",
                updated_at=now,
            )
        )


def appointment_notes(booking: Booking) -> str:
    """What the shop reads on the appointment: the services, the owner's words, and where it
    came from (which also makes the appointment recognisable when an attempt looks for it)."""
    lines = [f"Booked online through the customer portal (booking {booking.pk})."]
    services = ", ".join(service.name for service in booking.services.all())
    lines.append(f"Services: {services or 'none chosen'}")
    vehicle = f"{booking.vehicle_year} {booking.vehicle_make} {booking.vehicle_model}"
    lines.append(f"Vehicle: {vehicle}")
    if booking.notes:
        lines += ["Owner's notes:", booking.notes]
    return "\n".join(lines)


def find_customer(api: AutoSyncClient, shop_id: int, booking: Booking) -> dict | None:
    """The shop's customer this owner already is, so the shop gets no duplicate: the one with
    the same email; else one with the same phone number, unless its record names another
    email and another person (a household sharing a phone is several customers).
    The oldest record wins when there are several."""
    email = booking.email.casefold()
    by_email = [
        c
        for c in iter_all(api.list_customers, shop_id, search=booking.email)
        if (c.get("email") or "").casefold() == email
    ]
    if by_email:
        return min(by_email, key=lambda c: c["id"])
    number = phonenumbers.parse(booking.phone)
    by_phone = [
        c
        for c in iter_all(api.list_customers, shop_id, search=str(number.national_number))
        if _same_number(c.get("phone"), number)
        and (not c.get("email") or _name(c) == " ".join(booking.name.split()).casefold())
    ]
    return min(by_phone, key=lambda c: c["id"], default=None)


def find_vehicle(api: AutoSyncClient, shop_id: int, booking: Booking) -> dict | None:
    """The customer's vehicle this booking is for: the one with its VIN; else the one with its
    plate and no other VIN; else, when the owner gave neither, the same year, make and model."""
    vehicles = list(iter_all(api.list_vehicles, shop_id, customer_id=booking.customer_remote_id))
    vin, plate = booking.vin.upper(), _plate(booking.license_plate)
    matches = [v for v in vehicles if vin and (v.get("vin") or "").upper() == vin]
    if not matches and plate:
        matches = [
            v
            for v in vehicles
            if _plate(v.get("license_plate")) == plate and (v.get("vin") or "").upper() in ("", vin)
        ]
    if not matches and not vin and not plate:
        wanted = _model_of(booking.vehicle_year, booking.vehicle_make, booking.vehicle_model)
        matches = [
            v for v in vehicles if _model_of(v.get("year"), v.get("make"), v.get("model")) == wanted
        ]
    return min(matches, key=lambda v: v["id"], default=None)


def _appointment(api: AutoSyncClient, booking: Booking) -> dict:
    """The booking's appointment: created once. The client already looks for it after an
    ambiguous failure of its own POST; an attempt that finds the POST was sent before (by an
    attempt that then stopped) looks for it too before sending it again."""
    shop_id = booking.shop.remote_id
    fields = {
        "customer_id": booking.customer_remote_id,
        "vehicle_id": booking.vehicle_remote_id,
        "start_time": booking.starts_at,
        "end_time": booking.ends_at,
        "notes": appointment_notes(booking),
    }
    if booking.appointment_sent_at is not None:
        since = booking.appointment_sent_at - LOOKBACK
        found = lookups.find_appointment(api, shop_id, fields, since)
        if found is not None:
            return found
    # Committed before the POST (outside any transaction): the first sending is what a later
    # attempt looks back from.
    now = timezone.now()
    Booking.objects.filter(pk=booking.pk, appointment_sent_at__isnull=True).update(
        appointment_sent_at=now, updated_at=now
    )
    return api.create_appointment(shop_id, **fields)


def _keep(booking: Booking, resource: str, record: dict, seen, **ids) -> None:
    """Keep a remote id on the booking, and the record in the mirror, as soon as it is known."""
    with transaction.atomic():
        records.apply(resource, booking.shop_id, [record], seen)
        Booking.objects.filter(pk=booking.pk).update(**ids, updated_at=timezone.now())
    for name, value in ids.items():
        setattr(booking, name, value)


def _customer_fields(booking: Booking) -> dict:
    first, _, last = booking.name.strip().rpartition(" ")
    # AutoSync needs both names; a single name is both (staff can correct it).
    return {
        "first_name": first or last,
        "last_name": last,
        "email": booking.email,
        "phone": booking.phone,
    }


def _vehicle_fields(booking: Booking) -> dict:
    return {
        "year": booking.vehicle_year,
        "make": booking.vehicle_make,
        "model": booking.vehicle_model,
        "vin": booking.vin or None,
        "license_plate": booking.license_plate or None,
    }


def _same_number(phone: str | None, number: phonenumbers.PhoneNumber) -> bool:
    """A phone as the shop typed it ("(312) 555-0143") is the owner's number."""
    try:
        theirs = phonenumbers.parse(phone or "", phonenumbers.region_code_for_number(number))
    except phonenumbers.NumberParseException:
        return False
    return theirs.country_code == number.country_code and (
        theirs.national_number == number.national_number
    )


def _name(customer: dict) -> str:
    names = (customer.get("first_name"), customer.get("last_name"))
    return " ".join(name for name in names if name).casefold()


def _model_of(year, make, model) -> tuple:
    return year, (make or "").strip().casefold(), (model or "").strip().casefold()


def _plate(value: str | None) -> str:
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())
