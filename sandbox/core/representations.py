"""Resources as AutoSync shows them in JSON: the API answers and webhook payloads share these."""

from datetime import UTC, datetime
from decimal import Decimal

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


def when(value: datetime | None) -> str | None:
    """ISO 8601 UTC with `Z`, to the second."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def money(value: Decimal) -> float:
    """A JSON number with at most two decimals (the Decimal is already rounded to cents)."""
    return float(value)


def address(obj) -> dict:
    return {"street": obj.street, "city": obj.city, "state": obj.state, "zip": obj.zip}


def shop(s: Shop) -> dict:
    return {
        "id": s.id,
        "name": s.name,
        "slug": s.slug,
        "status": s.status,
        "location_count": s.location_count,
        "created_at": when(s.created_at),
        "timezone": s.timezone,
        "phone": s.phone,
        "email": s.email,
        "address": address(s),
        "tax_rate": float(s.tax_rate),
    }


def customer(c: Customer) -> dict:
    return {
        "id": c.id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email or None,
        "phone": c.phone or None,
        "is_business": c.is_business,
        "address": address(c),
        "created_at": when(c.created_at),
        "shop_id": c.shop_id,
        "updated_at": when(c.updated_at),
    }


def vehicle(v: Vehicle) -> dict:
    return {
        "id": v.id,
        "customer_id": v.customer_id,
        "year": v.year,
        "make": v.make,
        "model": v.model,
        "vin": v.vin or None,
        "license_plate": v.license_plate or None,
        "mileage": v.mileage,
        "shop_id": v.shop_id,
        "created_at": when(v.created_at),
        "updated_at": when(v.updated_at),
    }


def employee(e: Employee) -> dict:
    return {
        "id": e.id,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "name": e.name,
        "email": e.email or None,
        "role": e.role,
        "status": e.status,
    }


def work_order(w: WorkOrder) -> dict:
    """The list form. Needs `customer`, `vehicle` and `technician` loaded (select_related)."""
    tech = w.technician
    return {
        "id": w.id,
        "work_order_number": w.number,
        "status": w.status,
        "customer": {"id": w.customer_id, "name": w.customer.name},
        "vehicle": {
            "id": w.vehicle_id,
            "year": w.vehicle.year,
            "make": w.vehicle.make,
            "model": w.vehicle.model,
        },
        "subtotal": money(w.subtotal),
        "tax": money(w.tax),
        "total": money(w.total),
        "technician": {"id": tech.id, "name": tech.short_name} if tech else None,
        "created_at": when(w.created_at),
        "notes": w.notes,
        "updated_at": when(w.updated_at),
        "completed_at": when(w.completed_at),
    }


def line_item(item: LineItem) -> dict:
    return {
        "id": item.id,
        "type": item.type,
        "description": item.description,
        "quantity": float(item.quantity),
        "unit_price": money(item.unit_price),
        "total": money(item.total),
        "part_id": item.part_id,
    }


def job(j: Job) -> dict:
    """Needs `line_items` prefetched."""
    return {
        "id": j.id,
        "name": j.name,
        "line_items": [line_item(item) for item in j.line_items.all()],
        "subtotal": money(j.subtotal),
    }


def work_order_detail(w: WorkOrder) -> dict:
    """The detail form. Needs `jobs__line_items` and `payments` prefetched."""
    return {
        **work_order(w),
        "jobs": [job(j) for j in w.jobs.all()],
        "payments": [payment(p) for p in w.payments.all()],
        "amount_paid": money(w.amount_paid),
        "balance_due": money(w.balance_due),
    }


def appointment(a: Appointment) -> dict:
    return {
        "id": a.id,
        "customer_id": a.customer_id,
        "vehicle_id": a.vehicle_id,
        "start_time": when(a.start_time),
        "end_time": when(a.end_time),
        "notes": a.notes,
        "shop_id": a.shop_id,
        "status": a.status,
        "created_at": when(a.created_at),
    }


def payment(p: Payment) -> dict:
    return {
        "id": p.id,
        "workorder_id": p.work_order_id,
        "customer_id": p.customer_id,
        "amount": money(p.amount),
        "method": p.method,
        "status": p.status,
        "created_at": when(p.created_at),
    }


def part(p: Part) -> dict:
    return {
        "id": p.id,
        "part_number": p.part_number,
        "name": p.name,
        "quantity": p.quantity,
        "cost": money(p.cost),
        "price": money(p.price),
        "reorder_threshold": p.reorder_threshold,
        "updated_at": when(p.updated_at),
    }


def inspection(i: Inspection) -> dict:
    return {
        "id": i.id,
        "workorder_id": i.work_order_id,
        "vehicle_id": i.work_order.vehicle_id,
        "customer_id": i.work_order.customer_id,
        "summary": {"green": i.green, "yellow": i.yellow, "red": i.red},
        "sent_at": when(i.sent_at),
    }
