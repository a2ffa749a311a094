"""Appointments, payments, inventory and employees."""

from django.http import HttpRequest, HttpResponse

from sandbox.core import representations as rep
from sandbox.core import services
from sandbox.core.models import Appointment, Employee, Part, Payment, Shop

from .. import query
from ..bodies import Body, DateTime, Decimal2, Id, Integer, Text
from ..envelope import ok, ok_page
from .base import needs, one

NEW_APPOINTMENT = Body(
    {
        "customer_id": Id(required=True),
        "vehicle_id": Id(nullable=True),
        "start_time": DateTime(required=True),
        "end_time": DateTime(nullable=True),
        "notes": Text(nullable=True),
    }
)
STOCK_CHANGES = Body({"quantity": Integer(), "cost": Decimal2(), "price": Decimal2()})


@needs("appointments:read")
def list_appointments(request: HttpRequest, shop: Shop) -> HttpResponse:
    rows, pagination = query.page_of(request, Appointment.objects.filter(shop=shop))
    return ok_page([rep.appointment(a) for a in rows], **pagination)


@needs("appointments:write")
def create_appointment(request: HttpRequest, shop: Shop) -> HttpResponse:
    appointment = services.create_appointment(shop, **NEW_APPOINTMENT.parse(request))
    return ok(rep.appointment(appointment), status=201)


@needs("payments:read")
def list_payments(request: HttpRequest, shop: Shop) -> HttpResponse:
    rows, pagination = query.page_of(request, Payment.objects.filter(shop=shop))
    return ok_page([rep.payment(p) for p in rows], **pagination)


@needs("payments:read")
def get_payment(request: HttpRequest, shop: Shop, payment_id: int) -> HttpResponse:
    return ok(rep.payment(one(shop.payments, "payment", pk=payment_id)))


@needs("inventory:read")
def list_parts(request: HttpRequest, shop: Shop) -> HttpResponse:
    rows, pagination = query.page_of(request, Part.objects.filter(shop=shop))
    return ok_page([rep.part(p) for p in rows], **pagination)


@needs("inventory:write")
def update_stock(request: HttpRequest, shop: Shop, part_id: int) -> HttpResponse:
    part = one(shop.parts, "part", pk=part_id)
    return ok(rep.part(services.update_part(part, **STOCK_CHANGES.parse(request))))


@needs("employees:read")
def list_employees(request: HttpRequest, shop: Shop) -> HttpResponse:
    employees = Employee.objects.filter(shop=shop)
    role = query.choice(request, "role", Employee.Role.values)
    if role is not None:
        employees = employees.filter(role=role)
    status = query.choice(request, "status", Employee.Status.values)
    if status is not None:
        employees = employees.filter(status=status)
    rows, pagination = query.page_of(request, employees)
    return ok_page([rep.employee(e) for e in rows], **pagination)
