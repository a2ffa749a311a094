"""The seven resources the portal mirrors, in one registry: the sync, the books, the pages
and the progress page all derive their lists from it.

Each resource says what the API calls it, what staff call it, which client method lists it,
how the incremental sync finds what is new (`created_after` where the list has that filter,
else the tail of the id-ordered list), and how a JSON record becomes the model's columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from . import models as m

if TYPE_CHECKING:
    from .records import Fields

INT_LIMIT = 2**31 - 1  # IntegerField (years, mileage, stock counts)


def customer(d: Fields) -> dict:
    return {
        "first_name": d.text("first_name"),
        "last_name": d.text("last_name"),
        "email": d.text("email"),
        "phone": d.text("phone", 64),
        "is_business": d.boolean("is_business"),
        "remote_created_at": d.time("created_at"),
    }


def vehicle(d: Fields) -> dict:
    return {
        "customer_remote_id": d.integer("customer_id"),
        "year": d.integer("year", INT_LIMIT),
        "make": d.text("make"),
        "model": d.text("model"),
        "vin": d.text("vin", 32),
        "license_plate": d.text("license_plate", 32),
        "mileage": d.integer("mileage", INT_LIMIT),
    }


def work_order(d: Fields) -> dict:
    customer_ = d.object("customer")
    technician = d.object("technician")
    return {
        "number": d.text("work_order_number", 64),
        "status": d.text("status", 32),
        "customer_remote_id": customer_.integer("id"),
        "customer_name": customer_.text("name"),
        "vehicle_remote_id": d.object("vehicle").integer("id"),
        "technician_remote_id": technician.integer("id"),
        "technician_name": technician.text("name"),
        "subtotal": d.money("subtotal"),
        "tax": d.money("tax"),
        "total": d.money("total"),
        "notes": d.text("notes", 100_000, multiline=True),
        "remote_created_at": d.time("created_at"),
        "completed_at": d.time("completed_at"),
    }


def appointment(d: Fields) -> dict:
    return {
        "customer_remote_id": d.integer("customer_id"),
        "vehicle_remote_id": d.integer("vehicle_id"),
        "start_time": d.time("start_time"),
        "end_time": d.time("end_time"),
        "notes": d.text("notes", 100_000, multiline=True),
        "status": d.text("status", 32),
        "remote_created_at": d.time("created_at"),
    }


def payment(d: Fields) -> dict:
    return {
        "work_order_remote_id": d.integer("workorder_id"),
        "customer_remote_id": d.integer("customer_id"),
        "amount": d.money("amount"),
        "method": d.text("method", 32),
        "status": d.text("status", 32),
        "remote_created_at": d.time("created_at"),
    }


def part(d: Fields) -> dict:
    return {
        "part_number": d.text("part_number", 64),
        "name": d.text("name"),
        "quantity": d.integer("quantity", INT_LIMIT) or 0,
        "cost": d.money("cost"),
        "price": d.money("price"),
        "reorder_threshold": d.integer("reorder_threshold", INT_LIMIT),
    }


def employee(d: Fields) -> dict:
    return {
        "first_name": d.text("first_name"),
        "last_name": d.text("last_name"),
        "name": d.text("name"),
        "email": d.text("email"),
        "role": d.text("role", 32),
        "status": d.text("status", 32),
    }


@dataclass(frozen=True)
class Resource:
    """How one AutoSync resource is mirrored."""

    name: str  # the API's word: the path segment, sync_status's key
    label: str  # the staff's word
    model: type[m.MirroredRecord]
    list_method: str  # the AutoSyncClient method that lists it
    #: How the incremental sync finds new records: `created_after` (the list has the filter)
    #: or `tail` (the pages past what is mirrored: lists are ordered by id).
    incremental: Literal["created_after", "tail"]
    read: Callable[[Fields], dict]  # a record's column values (raises Unmappable)


REGISTRY: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource("customers", "Customers", m.Customer, "list_customers", "created_after", customer),
        Resource("vehicles", "Vehicles", m.Vehicle, "list_vehicles", "tail", vehicle),
        Resource(
            "workorders",
            "Work orders",
            m.WorkOrder,
            "list_work_orders",
            "created_after",
            work_order,
        ),
        Resource(
            "appointments", "Appointments", m.Appointment, "list_appointments", "tail", appointment
        ),
        Resource("payments", "Payments", m.Payment, "list_payments", "tail", payment),
        Resource("inventory", "Parts", m.Part, "list_parts", "tail", part),
        Resource("employees", "Employees", m.Employee, "list_employees", "tail", employee),
    )
}
#: The resources in the API's order (sync_status's keys).
RESOURCES = tuple(REGISTRY)
