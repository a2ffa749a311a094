"""Mirror rows built directly, for page tests that need no sandbox.

Each function makes one saved row of a shop with plausible values, any field overridable by
keyword; remote ids come from one counter, so rows never collide on (shop, remote_id). The
rows look as the sync would have left them: confirmed now, not removed. Integration tests
keep filling the mirror from the live sandbox instead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from portal.mirror.models import (
    Appointment,
    Customer,
    Employee,
    Job,
    LineItem,
    Part,
    Payment,
    Vehicle,
    WorkOrder,
    WorkOrderStatus,
)
from portal.shops.models import Shop

_remote_ids = itertools.count(700_000)


def _mirrored(shop: Shop, defaults: dict, fields: dict) -> dict:
    """A mirrored row's columns: the clock and a fresh remote id, then defaults, then fields."""
    now = timezone.now()
    return {
        "shop": shop,
        "remote_id": next(_remote_ids),
        "observed_at": now,
        "confirmed_at": now,
        **defaults,
        **fields,
    }


def customer(shop: Shop, **fields) -> Customer:
    defaults = {
        "first_name": "Dana",
        "last_name": "Driver",
        "email": "dana@example.com",
        "phone": "+15555550100",
        "remote_created_at": timezone.now(),
    }
    return Customer.objects.create(**_mirrored(shop, defaults, fields))


def vehicle(shop: Shop, owner: Customer | None = None, **fields) -> Vehicle:
    defaults = {
        "customer_remote_id": owner.remote_id if owner else None,
        "year": 2019,
        "make": "Honda",
        "model": "Civic",
        "vin": "1HGCM82633A004352",
        "license_plate": "7ABC123",
        "mileage": 42000,
    }
    return Vehicle.objects.create(**_mirrored(shop, defaults, fields))


def work_order(
    shop: Shop,
    owner: Customer | None = None,
    car: Vehicle | None = None,
    *,
    status: str = "in_progress",
    history: tuple[str, ...] | None = None,
    jobs: int = 1,
    lines_per_job: int = 2,
    **fields,
) -> WorkOrder:
    """A work order with its detail: `jobs` jobs of `lines_per_job` line items at 50.00 each,
    totals that add up, and a status history ending in `status` (`history` to choose it),
    one minute apart."""
    line_price = Decimal("50.00")
    subtotal = line_price * jobs * lines_per_job
    tax = (subtotal * Decimal("0.08")).quantize(Decimal("0.01"))
    now = timezone.now()
    defaults = {
        "number": f"WO-{next(_remote_ids)}",
        "status": status,
        "customer_remote_id": owner.remote_id if owner else None,
        "customer_name": owner.name if owner else "",
        "vehicle_remote_id": car.remote_id if car else None,
        "subtotal": subtotal,
        "tax": tax,
        "total": subtotal + tax,
        "amount_paid": Decimal("0.00"),
        "balance_due": subtotal + tax,
        "remote_created_at": now,
        "detail_observed_at": now,
    }
    order = WorkOrder.objects.create(**_mirrored(shop, defaults, fields))
    for position in range(jobs):
        job = Job.objects.create(
            shop=shop,
            remote_id=next(_remote_ids),
            work_order=order,
            name=f"Job {position + 1}",
            subtotal=line_price * lines_per_job,
            position=position,
        )
        LineItem.objects.bulk_create(
            LineItem(
                shop=shop,
                remote_id=next(_remote_ids),
                job=job,
                type="labor" if line % 2 == 0 else "part",
                description=f"Line {line + 1} of job {position + 1}",
                quantity=Decimal("1.00"),
                unit_price=line_price,
                total=line_price,
                position=line,
            )
            for line in range(lines_per_job)
        )
    statuses = history or _history_to(status)
    start = now - timedelta(minutes=len(statuses))
    WorkOrderStatus.objects.bulk_create(
        WorkOrderStatus(work_order=order, status=name, seen_at=start + timedelta(minutes=n))
        for n, name in enumerate(statuses)
    )
    return order


def _history_to(status: str) -> tuple[str, ...]:
    """The usual way to `status`: draft, in progress, ... up to it."""
    usual = ("draft", "in_progress", "completed", "invoiced")
    return usual[: usual.index(status) + 1] if status in usual else ("draft", status)


def appointment(
    shop: Shop,
    start: datetime,
    minutes: int = 60,
    owner: Customer | None = None,
    car: Vehicle | None = None,
    **fields,
) -> Appointment:
    defaults = {
        "customer_remote_id": owner.remote_id if owner else None,
        "vehicle_remote_id": car.remote_id if car else None,
        "start_time": start,
        "end_time": start + timedelta(minutes=minutes),
        "status": "scheduled",
        "remote_created_at": timezone.now(),
    }
    return Appointment.objects.create(**_mirrored(shop, defaults, fields))


def payment(shop: Shop, order: WorkOrder, **fields) -> Payment:
    defaults = {
        "work_order_remote_id": order.remote_id,
        "customer_remote_id": order.customer_remote_id,
        "amount": order.total,
        "method": "card",
        "status": "succeeded",
        "remote_created_at": timezone.now(),
    }
    return Payment.objects.create(**_mirrored(shop, defaults, fields))


def part(shop: Shop, **fields) -> Part:
    defaults = {
        "part_number": f"P-{next(_remote_ids)}",
        "name": "Oil filter",
        "quantity": 12,
        "cost": Decimal("4.50"),
        "price": Decimal("9.99"),
        "reorder_threshold": 5,
    }
    return Part.objects.create(**_mirrored(shop, defaults, fields))


def employee(shop: Shop, **fields) -> Employee:
    defaults = {
        "first_name": "Sam",
        "last_name": "Wrench",
        "name": "Sam W.",
        "email": "sam@example.com",
        "role": "technician",
        "status": "active",
    }
    return Employee.objects.create(**_mirrored(shop, defaults, fields))


@dataclass
class VehicleOwner:
    """A person known to shops by one email: their customer record at each shop, each with
    one vehicle."""

    email: str
    customers: list[Customer]
    vehicles: list[Vehicle]


@dataclass
class Owners:
    """The vehicle owners of the test cast."""

    #: A customer of the cast's shop only.
    one_shop: VehicleOwner
    #: A customer of the cast's shop and of another team's shop, under the same email.
    two_shops: VehicleOwner
    #: A customer of another team's shop only: sees nothing of the cast's shop.
    stranger: VehicleOwner


def vehicle_owner(email: str, first_name: str, *shops: Shop) -> VehicleOwner:
    customers = [customer(shop, email=email, first_name=first_name) for shop in shops]
    vehicles = [vehicle(c.shop, c) for c in customers]
    return VehicleOwner(email, customers, vehicles)


# --- Portal bookings, for the staff dashboard's inbox (branch dash-manage) --------------------


def portal_booking(
    shop: Shop, start: datetime, state: str = "requested", minutes: int = 30, **fields
):
    """A booking as `portal.booking.services.book` records it, in `state`, without the guard:
    the tests that need the guard go through the service functions."""
    from portal.booking.models import Booking

    booking = Booking(
        shop=shop,
        state=state,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        name=fields.pop("name", "Olive Owner"),
        email=fields.pop("email", "olive@example.com"),
        phone=fields.pop("phone", "+13125550143"),
        vehicle_year=fields.pop("vehicle_year", 2019),
        vehicle_make=fields.pop("vehicle_make", "Honda"),
        vehicle_model=fields.pop("vehicle_model", "Civic"),
        **fields,
    )
    booking.issue_manage_token()
    booking.save()
    return booking
