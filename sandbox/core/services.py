"""The one way AutoSync's records change. The API, the admin and the simulator all call these
functions, so validation, totals and webhook events are computed in one place, inside the same
transaction as the change (the webhook outbox)."""

import re
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from sandbox.webhooks.outbox import record_event

from . import representations as rep
from .models import (
    Appointment,
    Customer,
    Employee,
    Inspection,
    Job,
    LineItem,
    Part,
    Payment,
    Shop,
    Vehicle,
    WorkOrder,
)
from .money import MAX_MONEY, cents
from .vin import is_valid_format

TOO_MUCH = f"The 'line_items' would bring the work order's total past {MAX_MONEY}."
MAX_TEXT = 255
OPEN_STATUSES = (
    WorkOrder.Status.DRAFT,
    WorkOrder.Status.IN_PROGRESS,
    WorkOrder.Status.WAITING_PARTS,
    WorkOrder.Status.COMPLETED,
)


class Invalid(Exception):
    """A change AutoSync refuses; `field` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --- validation helpers ----------------------------------------------------------------------


def _text(field: str, value, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(field, f"The '{field}' field is required.")
    if len(value) > MAX_TEXT:
        raise Invalid(field, f"The '{field}' field must be at most {MAX_TEXT} characters.")
    return value


def _email(value) -> str:
    value = _text("email", value)
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise Invalid("email", "The 'email' field must be a valid email address.") from None
    return value


def _vin(value) -> str:
    value = _text("vin", value).upper()
    if value and not is_valid_format(value):
        raise Invalid(
            "vin", "The 'vin' field must be 17 characters of A-Z and 0-9, without I, O or Q."
        )
    return value


def _year(value: int) -> int:
    latest = timezone.now().year + 1
    if not 1900 <= value <= latest:
        raise Invalid("year", f"The 'year' field must be between 1900 and {latest}.")
    return value


def _non_negative(field: str, value):
    if value is not None and value < 0:
        raise Invalid(field, f"The '{field}' field must not be negative.")
    return value


def _customer_of(shop: Shop, customer_id: int, field: str = "customer_id") -> Customer:
    customer = Customer.objects.filter(shop=shop, pk=customer_id).first()
    if customer is None:
        raise Invalid(field, f"The '{field}' field does not name a customer of this shop.")
    return customer


def _vehicle_of(customer: Customer, vehicle_id: int) -> Vehicle:
    vehicle = Vehicle.objects.filter(shop_id=customer.shop_id, pk=vehicle_id).first()
    if vehicle is None:
        raise Invalid("vehicle_id", "The 'vehicle_id' field does not name a vehicle of this shop.")
    if vehicle.customer_id != customer.id:
        raise Invalid("vehicle_id", "The 'vehicle_id' field names a vehicle of another customer.")
    return vehicle


def _technician_of(shop: Shop, technician_id: int) -> Employee:
    tech = Employee.objects.filter(shop=shop, pk=technician_id).first()
    if tech is None:
        raise Invalid(
            "technician_id", "The 'technician_id' field does not name an employee of this shop."
        )
    if tech.role != Employee.Role.TECHNICIAN or tech.status != Employee.Status.ACTIVE:
        raise Invalid("technician_id", "The 'technician_id' field must name an active technician.")
    return tech


ADDRESS_FIELDS = ("street", "city", "state", "zip")
CUSTOMER_FIELDS = ("first_name", "last_name", "email", "phone", "is_business", "address")


def _apply_customer_fields(customer: Customer, fields: dict) -> None:
    for name in ("first_name", "last_name"):
        if name in fields:
            setattr(customer, name, _text(name, fields[name], required=True))
    if "email" in fields:
        customer.email = _email(fields["email"])
    if "phone" in fields:
        customer.phone = _text("phone", fields["phone"])
        customer.phone_digits = re.sub(r"\D", "", customer.phone)
    if "is_business" in fields:
        customer.is_business = bool(fields["is_business"])
    address = fields.get("address") or {}
    for name in ADDRESS_FIELDS:
        if name in address:
            setattr(customer, name, _text(f"address.{name}", address[name]))


# --- customers and vehicles -------------------------------------------------------------------


@transaction.atomic
def create_customer(shop: Shop, **fields) -> Customer:
    """Create a customer; `fields` as the API's body (`address` a dict)."""
    for name in ("first_name", "last_name"):
        fields.setdefault(name, "")
    customer = Customer(shop=shop)
    _apply_customer_fields(customer, fields)
    customer.save()
    record_event(shop, "customer.created", rep.customer(customer))
    return customer


@transaction.atomic
def update_customer(customer: Customer, **fields) -> Customer:
    """Change only the fields given. AutoSync has no `customer.updated` event."""
    _apply_customer_fields(customer, fields)
    customer.save()
    return customer


VEHICLE_FIELDS = ("customer_id", "year", "make", "model", "vin", "license_plate", "mileage")


@transaction.atomic
def create_vehicle(
    shop: Shop,
    *,
    customer_id: int,
    year: int,
    make: str,
    model: str,
    vin: str = "",
    license_plate: str = "",
    mileage: int | None = None,
) -> Vehicle:
    vehicle = Vehicle(
        shop=shop,
        customer=_customer_of(shop, customer_id),
        year=_year(year),
        make=_text("make", make, required=True),
        model=_text("model", model, required=True),
        vin=_vin(vin),
        license_plate=_text("license_plate", license_plate).upper(),
        mileage=_non_negative("mileage", mileage),
    )
    vehicle.save()
    return vehicle


@transaction.atomic
def update_vehicle(vehicle: Vehicle, **fields) -> Vehicle:
    if "customer_id" in fields:
        vehicle.customer = _customer_of(vehicle.shop, fields["customer_id"])
    if "year" in fields:
        vehicle.year = _year(fields["year"])
    for name in ("make", "model"):
        if name in fields:
            setattr(vehicle, name, _text(name, fields[name], required=True))
    if "vin" in fields:
        vehicle.vin = _vin(fields["vin"])
    if "license_plate" in fields:
        vehicle.license_plate = _text("license_plate", fields["license_plate"]).upper()
    if "mileage" in fields:
        vehicle.mileage = _non_negative("mileage", fields["mileage"])
    vehicle.save()
    return vehicle


# --- employees --------------------------------------------------------------------------------


@transaction.atomic
def create_employee(
    shop: Shop,
    *,
    first_name: str,
    last_name: str,
    role: str,
    email: str = "",
    status: str = Employee.Status.ACTIVE,
) -> Employee:
    if role not in Employee.Role.values:
        raise Invalid("role", f"The 'role' field must be one of {', '.join(Employee.Role.values)}.")
    if status not in Employee.Status.values:
        raise Invalid("status", "The 'status' field must be active or inactive.")
    return Employee.objects.create(
        shop=shop,
        first_name=_text("first_name", first_name, required=True),
        last_name=_text("last_name", last_name, required=True),
        email=_email(email),
        role=role,
        status=status,
    )


@transaction.atomic
def save_employee(employee: Employee) -> Employee:
    """Validate and save an employee edited in place (the admin)."""
    _text("first_name", employee.first_name, required=True)
    _text("last_name", employee.last_name, required=True)
    employee.email = _email(employee.email)
    employee.save()
    return employee


# --- work orders ------------------------------------------------------------------------------


def _emit_work_order(work_order: WorkOrder, *events: str) -> None:
    fresh = WorkOrder.objects.select_related("customer", "vehicle", "technician").get(
        pk=work_order.pk
    )
    data = rep.work_order(fresh)
    for event in events:
        record_event(fresh.shop, event, data)


@transaction.atomic
def create_work_order(
    shop: Shop,
    *,
    customer_id: int,
    vehicle_id: int,
    technician_id: int | None = None,
    notes: str = "",
) -> WorkOrder:
    customer = _customer_of(shop, customer_id)
    vehicle = _vehicle_of(customer, vehicle_id)
    technician = _technician_of(shop, technician_id) if technician_id is not None else None
    Shop.objects.filter(pk=shop.pk).update(last_work_order_number=F("last_work_order_number") + 1)
    number = Shop.objects.values_list("last_work_order_number", flat=True).get(pk=shop.pk)
    work_order = WorkOrder.objects.create(
        shop=shop,
        number=str(number),
        customer=customer,
        vehicle=vehicle,
        technician=technician,
        notes=notes or "",
    )
    _emit_work_order(work_order, "workorder.created")
    return work_order


@transaction.atomic
def update_work_order(work_order: WorkOrder, **fields) -> WorkOrder:
    """Change `status`, `technician_id` (None unassigns) and/or `notes`. A change emits
    `workorder.updated` (and `workorder.completed` when it completes); no change, no event."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    before = (work_order.status, work_order.technician_id, work_order.notes)
    events = ["workorder.updated"]
    if "status" in fields:
        status = fields["status"]
        if status not in WorkOrder.Status.values:
            raise Invalid(
                "status", f"The 'status' field must be one of {', '.join(WorkOrder.Status.values)}."
            )
        if status == WorkOrder.Status.COMPLETED and work_order.status != status:
            work_order.completed_at = timezone.now()
            events.append("workorder.completed")
        work_order.status = status
    if "technician_id" in fields:
        tech_id = fields["technician_id"]
        work_order.technician = (
            None if tech_id is None else _technician_of(work_order.shop, tech_id)
        )
    if "notes" in fields:
        work_order.notes = fields["notes"] or ""
    if (work_order.status, work_order.technician_id, work_order.notes) != before:
        work_order.save()
        _emit_work_order(work_order, *events)
    return work_order


def _recompute_totals(work_order: WorkOrder) -> None:
    """Job subtotals, then the work order's subtotal, tax and total (half-up to cents). One
    aggregate reads every job's lines; only the jobs whose subtotal moved are written."""
    sums = dict(
        LineItem.objects.filter(job__work_order=work_order)
        .values_list("job_id")
        .annotate(s=Sum("total"))
        .order_by()
    )
    subtotal = sum(sums.values(), Decimal("0"))
    work_order.subtotal = cents(subtotal)
    work_order.tax = cents(subtotal * work_order.shop.tax_rate)
    work_order.total = work_order.subtotal + work_order.tax
    # Checked before anything is written: no job subtotal can exceed the work order's total.
    if work_order.total > MAX_MONEY:
        raise Invalid("line_items", TOO_MUCH)
    for job in work_order.jobs.all():
        job_subtotal = sums.get(job.id) or Decimal("0")
        if job.subtotal != job_subtotal:
            job.subtotal = job_subtotal
            job.save(update_fields=["subtotal"])
    paid = work_order.payments.filter(status=Payment.Status.SUCCEEDED).aggregate(s=Sum("amount"))
    work_order.amount_paid = paid["s"] or Decimal("0")
    work_order.save()


def _line_item(
    job: Job,
    *,
    type: str,
    description: str,
    quantity,
    unit_price,
    part_id: int | None = None,
    field: str = "line_items",
) -> LineItem:
    if type not in LineItem.Type.values:
        raise Invalid(f"{field}.type", f"The '{field}.type' field must be labor, part or fee.")
    quantity = cents(Decimal(str(quantity)))
    unit_price = cents(Decimal(str(unit_price)))
    if quantity <= 0:
        raise Invalid(f"{field}.quantity", f"The '{field}.quantity' field must be positive.")
    if unit_price < 0:
        raise Invalid(
            f"{field}.unit_price", f"The '{field}.unit_price' field must not be negative."
        )
    if cents(quantity * unit_price) > MAX_MONEY:
        raise Invalid("line_items", TOO_MUCH)
    part = None
    if part_id is not None:
        part = Part.objects.filter(shop_id=job.work_order.shop_id, pk=part_id).first()
        if part is None:
            raise Invalid(f"{field}.part_id", f"The '{field}.part_id' field does not name a part.")
    return LineItem.objects.create(
        job=job,
        type=type,
        description=_text(f"{field}.description", description, required=True),
        quantity=quantity,
        unit_price=unit_price,
        total=cents(quantity * unit_price),
        part=part,
    )


@transaction.atomic
def add_job(work_order: WorkOrder, *, name: str, line_items: list[dict] | None = None) -> Job:
    """Add a job with its line items (dicts of `type, description, quantity, unit_price`)."""
    work_order = WorkOrder.objects.select_for_update().select_related("shop").get(pk=work_order.pk)
    job = Job.objects.create(work_order=work_order, name=_text("name", name, required=True))
    for index, item in enumerate(line_items or []):
        _line_item(job, field=f"line_items[{index}]", **item)
    _recompute_totals(work_order)
    _emit_work_order(work_order, "workorder.updated")
    return job


@transaction.atomic
def add_line_item(job: Job, **item) -> LineItem:
    line = _line_item(job, **item)
    work_order = (
        WorkOrder.objects.select_for_update().select_related("shop").get(pk=job.work_order_id)
    )
    _recompute_totals(work_order)
    _emit_work_order(work_order, "workorder.updated")
    return line


@transaction.atomic
def save_line_item(line: LineItem) -> LineItem:
    """Validate and save a line item edited in place (the admin), then recompute the totals."""
    if line.quantity is None or line.quantity <= 0:
        raise Invalid("quantity", "The 'quantity' field must be positive.")
    if line.unit_price is None or line.unit_price < 0:
        raise Invalid("unit_price", "The 'unit_price' field must not be negative.")
    line.total = cents(line.quantity * line.unit_price)
    line.save()
    work_order = WorkOrder.objects.select_related("shop").get(pk=line.job.work_order_id)
    _recompute_totals(work_order)
    _emit_work_order(work_order, "workorder.updated")
    return line


@transaction.atomic
def delete_line_item(line: LineItem) -> None:
    work_order = WorkOrder.objects.select_related("shop").get(pk=line.job.work_order_id)
    line.delete()
    _recompute_totals(work_order)
    _emit_work_order(work_order, "workorder.updated")


@transaction.atomic
def rename_job(job: Job, name: str) -> Job:
    job.name = _text("name", name, required=True)
    job.save(update_fields=["name"])
    _emit_work_order(job.work_order, "workorder.updated")
    return job


@transaction.atomic
def delete_job(job: Job) -> None:
    work_order = WorkOrder.objects.select_related("shop").get(pk=job.work_order_id)
    job.delete()
    _recompute_totals(work_order)
    _emit_work_order(work_order, "workorder.updated")


# --- payments and inspections -----------------------------------------------------------------


@transaction.atomic
def record_payment(work_order: WorkOrder, *, amount, method: str = Payment.Method.CARD) -> Payment:
    """A payment taken at the counter (the API creates none)."""
    amount = cents(Decimal(str(amount)))
    if amount <= 0:
        raise Invalid("amount", "The 'amount' field must be positive.")
    if method not in Payment.Method.values:
        raise Invalid(
            "method", f"The 'method' field must be one of {', '.join(Payment.Method.values)}."
        )
    work_order = WorkOrder.objects.select_for_update().select_related("shop").get(pk=work_order.pk)
    payment = Payment.objects.create(
        shop=work_order.shop,
        work_order=work_order,
        customer_id=work_order.customer_id,
        amount=amount,
        method=method,
    )
    _recompute_totals(work_order)
    record_event(work_order.shop, "payment.received", rep.payment(payment))
    _emit_work_order(work_order, "workorder.updated")
    return payment


@transaction.atomic
def refund_payment(payment: Payment) -> Payment:
    payment.status = Payment.Status.REFUNDED
    payment.save(update_fields=["status"])
    work_order = WorkOrder.objects.select_related("shop").get(pk=payment.work_order_id)
    _recompute_totals(work_order)
    _emit_work_order(work_order, "workorder.updated")
    return payment


@transaction.atomic
def complete_inspection(work_order: WorkOrder, *, green: int, yellow: int, red: int) -> Inspection:
    """A digital vehicle inspection is finished and sent to the customer."""
    inspection = Inspection.objects.create(
        shop_id=work_order.shop_id,
        work_order=work_order,
        green=green,
        yellow=yellow,
        red=red,
        sent_at=timezone.now(),
    )
    record_event(work_order.shop, "inspection.completed", rep.inspection(inspection))
    return inspection


# --- appointments -----------------------------------------------------------------------------


@transaction.atomic
def create_appointment(
    shop: Shop,
    *,
    customer_id: int,
    start_time: datetime,
    vehicle_id: int | None = None,
    end_time: datetime | None = None,
    notes: str = "",
) -> Appointment:
    customer = _customer_of(shop, customer_id)
    vehicle = _vehicle_of(customer, vehicle_id) if vehicle_id is not None else None
    if end_time is not None and end_time <= start_time:
        raise Invalid("end_time", "The 'end_time' field must be after 'start_time'.")
    appointment = Appointment.objects.create(
        shop=shop,
        customer=customer,
        vehicle=vehicle,
        start_time=start_time,
        end_time=end_time,
        notes=notes or "",
    )
    record_event(shop, "appointment.created", rep.appointment(appointment))
    return appointment


@transaction.atomic
def set_appointment_status(appointment: Appointment, status: str) -> Appointment:
    """Inside AutoSync only (the API has no update): the shop cancels or completes a visit."""
    if status not in Appointment.Status.values:
        raise Invalid("status", "The 'status' field must be scheduled, cancelled or completed.")
    appointment.status = status
    appointment.save(update_fields=["status"])
    return appointment


# --- inventory --------------------------------------------------------------------------------


@transaction.atomic
def update_part(part: Part, *, quantity: int | None = None, cost=None, price=None) -> Part:
    """Set stock, cost or price; `inventory.low_stock` fires when stock falls below the
    reorder threshold (on the crossing, not on every change below it)."""
    part = Part.objects.select_for_update().select_related("shop").get(pk=part.pk)
    was_low = part.quantity < part.reorder_threshold
    if quantity is not None:
        part.quantity = _non_negative("quantity", quantity)
    if cost is not None:
        part.cost = cents(Decimal(str(_non_negative("cost", cost))))
    if price is not None:
        part.price = cents(Decimal(str(_non_negative("price", price))))
    part.save()
    if not was_low and part.quantity < part.reorder_threshold:
        record_event(part.shop, "inventory.low_stock", rep.part(part))
    return part


@transaction.atomic
def consume_part(part: Part, quantity: int = 1) -> Part:
    """Take parts off the shelf for a job (the simulator and the back office)."""
    current = Part.objects.select_for_update().get(pk=part.pk).quantity
    return update_part(part, quantity=max(current - quantity, 0))
