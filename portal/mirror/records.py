"""AutoSync's JSON forms as mirror rows, and the functions that apply them (never regressing)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction

from . import models as m
from .upsert import upsert

log = logging.getLogger(__name__)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as AutoSync writes it (`…Z`), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return Decimal("0.00")


def text(value: Any, limit: int = 255) -> str:
    return "" if value is None else str(value)[:limit]


def integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def nested_id(value: Any) -> int | None:
    return integer(value.get("id")) if isinstance(value, dict) else None


def customer(d: dict) -> dict:
    return {
        "first_name": text(d.get("first_name")),
        "last_name": text(d.get("last_name")),
        "email": text(d.get("email")),
        "phone": text(d.get("phone"), 64),
        "is_business": bool(d.get("is_business")),
        "remote_created_at": parse_time(d.get("created_at")),
    }


def vehicle(d: dict) -> dict:
    return {
        "customer_remote_id": integer(d.get("customer_id")),
        "year": integer(d.get("year")),
        "make": text(d.get("make")),
        "model": text(d.get("model")),
        "vin": text(d.get("vin"), 32),
        "license_plate": text(d.get("license_plate"), 32),
        "mileage": integer(d.get("mileage")),
    }


def work_order(d: dict) -> dict:
    customer_ = d.get("customer") if isinstance(d.get("customer"), dict) else {}
    technician = d.get("technician") if isinstance(d.get("technician"), dict) else {}
    return {
        "number": text(d.get("work_order_number"), 64),
        "status": text(d.get("status"), 32),
        "customer_remote_id": nested_id(customer_),
        "customer_name": text(customer_.get("name")),
        "vehicle_remote_id": nested_id(d.get("vehicle")),
        "technician_remote_id": nested_id(technician),
        "technician_name": text(technician.get("name")),
        "subtotal": money(d.get("subtotal")),
        "tax": money(d.get("tax")),
        "total": money(d.get("total")),
        "notes": text(d.get("notes"), 100_000),
        "remote_created_at": parse_time(d.get("created_at")),
        "completed_at": parse_time(d.get("completed_at")),
    }


def appointment(d: dict) -> dict:
    return {
        "customer_remote_id": integer(d.get("customer_id")),
        "vehicle_remote_id": integer(d.get("vehicle_id")),
        "start_time": parse_time(d.get("start_time")),
        "end_time": parse_time(d.get("end_time")),
        "notes": text(d.get("notes"), 100_000),
        "status": text(d.get("status"), 32),
        "remote_created_at": parse_time(d.get("created_at")),
    }


def payment(d: dict) -> dict:
    return {
        "work_order_remote_id": integer(d.get("workorder_id")),
        "customer_remote_id": integer(d.get("customer_id")),
        "amount": money(d.get("amount")),
        "method": text(d.get("method"), 32),
        "status": text(d.get("status"), 32),
        "remote_created_at": parse_time(d.get("created_at")),
    }


def part(d: dict) -> dict:
    return {
        "part_number": text(d.get("part_number"), 64),
        "name": text(d.get("name")),
        "quantity": integer(d.get("quantity")) or 0,
        "cost": money(d.get("cost")),
        "price": money(d.get("price")),
        "reorder_threshold": integer(d.get("reorder_threshold")),
    }


def employee(d: dict) -> dict:
    return {
        "first_name": text(d.get("first_name")),
        "last_name": text(d.get("last_name")),
        "name": text(d.get("name")),
        "email": text(d.get("email")),
        "role": text(d.get("role"), 32),
        "status": text(d.get("status"), 32),
    }


@dataclass(frozen=True)
class Kind:
    """How one resource is mirrored: its model and how a JSON record becomes columns."""

    model: type[m.MirroredRecord]
    columns: Callable[[dict], dict]


KINDS: dict[str, Kind] = {
    "customers": Kind(m.Customer, customer),
    "vehicles": Kind(m.Vehicle, vehicle),
    "workorders": Kind(m.WorkOrder, work_order),
    "appointments": Kind(m.Appointment, appointment),
    "payments": Kind(m.Payment, payment),
    "inventory": Kind(m.Part, part),
    "employees": Kind(m.Employee, employee),
}

#: The list form's keys: what a list or a webhook payload keeps of a work order's detail.
DETAIL_ONLY = ("jobs", "payments", "amount_paid", "balance_due")


def apply(resource: str, shop_id: int, items: list[dict], observed_at: datetime) -> int:
    """Upsert list-form records of `resource` seen at `observed_at`; rows written."""
    kind = KINDS[resource]
    rows = []
    for item in items:
        remote_id = integer(item.get("id")) if isinstance(item, dict) else None
        if remote_id is None:
            log.warning("AutoSync sent a %s record without an id; skipped", resource)
            continue
        payload = {k: v for k, v in item.items() if k not in DETAIL_ONLY}
        columns = kind.columns(item)
        rows.append(
            {
                "shop_id": shop_id,
                "remote_id": remote_id,
                "payload": payload,
                "observed_at": observed_at,
                "remote_updated_at": parse_time(item.get("updated_at")),
                **columns,
            }
        )
    if not rows:
        return 0
    names = list(rows[0].keys() - {"shop_id", "remote_id", "observed_at", "remote_updated_at"})
    if resource == "workorders":
        return _apply_work_orders(shop_id, rows, names)
    return upsert(kind.model, rows, names)


def _apply_work_orders(shop_id: int, rows: list[dict], names: list[str]) -> int:
    """Upsert, then note in the history each status that became current and is new."""
    ids = [r["remote_id"] for r in rows]
    with transaction.atomic():
        written = upsert(m.WorkOrder, rows, names)
        latest = _latest_statuses(shop_id, ids)
        stored = {
            remote_id: (pk, status)
            for remote_id, pk, status in m.WorkOrder.objects.filter(
                shop_id=shop_id, remote_id__in=ids
            ).values_list("remote_id", "pk", "status")
        }
        history = [
            m.WorkOrderStatus(
                work_order_id=stored[r["remote_id"]][0],
                status=r["status"],
                seen_at=r["observed_at"],
            )
            for r in rows
            # A write refused as older left another status in place: nothing was seen anew.
            if stored[r["remote_id"]][1] == r["status"]
            and latest.get(r["remote_id"]) != r["status"]
        ]
        m.WorkOrderStatus.objects.bulk_create(history, ignore_conflicts=True)
    return written


def _latest_statuses(shop_id: int, remote_ids: list[int]) -> dict[int, str]:
    latest: dict[int, str] = {}
    entries = (
        m.WorkOrderStatus.objects.filter(
            work_order__shop_id=shop_id, work_order__remote_id__in=remote_ids
        )
        .order_by("seen_at", "id")
        .values_list("work_order__remote_id", "status")
    )
    for remote_id, status in entries:
        latest[remote_id] = status
    return latest


def note_status(shop_id: int, work_order_remote_id: int, status: str, seen_at: datetime) -> None:
    """Record a status a webhook reported at its time, even when newer state is mirrored."""
    work_order_pk = (
        m.WorkOrder.objects.filter(shop_id=shop_id, remote_id=work_order_remote_id)
        .values_list("pk", flat=True)
        .first()
    )
    if work_order_pk and status:
        m.WorkOrderStatus.objects.bulk_create(
            [m.WorkOrderStatus(work_order_id=work_order_pk, status=status, seen_at=seen_at)],
            ignore_conflicts=True,
        )


def apply_work_order_detail(shop_id: int, detail: dict, observed_at: datetime) -> bool:
    """Mirror a work order's detail (jobs, line items, payments) if it is the newest seen."""
    remote_id = integer(detail.get("id"))
    if remote_id is None:
        return False
    apply("workorders", shop_id, [detail], observed_at)
    payments = [p for p in detail.get("payments") or [] if isinstance(p, dict)]
    if payments:
        apply("payments", shop_id, payments, observed_at)
    with transaction.atomic():
        order = (
            m.WorkOrder.objects.select_for_update()
            .filter(shop_id=shop_id, remote_id=remote_id)
            .first()
        )
        if order is None or (order.detail_observed_at and order.detail_observed_at > observed_at):
            return False  # a newer detail is already mirrored
        order.amount_paid = money(detail.get("amount_paid")) if "amount_paid" in detail else None
        order.balance_due = money(detail.get("balance_due")) if "balance_due" in detail else None
        order.detail_observed_at = observed_at
        order.save(update_fields=["amount_paid", "balance_due", "detail_observed_at"])
        _replace_jobs(order, detail.get("jobs") or [])
    return True


def _replace_jobs(order: m.WorkOrder, jobs: list) -> None:
    shop_id = order.shop_id
    keep_jobs, keep_lines = [], []
    for position, job in enumerate(j for j in jobs if isinstance(j, dict) and integer(j.get("id"))):
        row, _ = _upsert_child(
            m.Job,
            shop_id,
            job["id"],
            {
                "work_order": order,
                "name": text(job.get("name")),
                "subtotal": money(job.get("subtotal")),
                "position": position,
            },
        )
        keep_jobs.append(row.pk)
        for line_position, line in enumerate(
            li
            for li in job.get("line_items") or []
            if isinstance(li, dict) and integer(li.get("id"))
        ):
            line_row, _ = _upsert_child(
                m.LineItem,
                shop_id,
                line["id"],
                {
                    "job": row,
                    "type": text(line.get("type"), 16),
                    "description": text(line.get("description")),
                    "quantity": money(line.get("quantity")),
                    "unit_price": money(line.get("unit_price")),
                    "total": money(line.get("total")),
                    "part_remote_id": integer(line.get("part_id")),
                    "position": line_position,
                },
            )
            keep_lines.append(line_row.pk)
    m.LineItem.objects.filter(job__work_order=order).exclude(pk__in=keep_lines).delete()
    m.Job.objects.filter(work_order=order).exclude(pk__in=keep_jobs).delete()


def _upsert_child(model: type[models.Model], shop_id: int, remote_id: int, values: dict):
    """Jobs and line items are written under their work order's row lock (no race to lose)."""
    try:
        with transaction.atomic():
            return model.objects.update_or_create(
                shop_id=shop_id, remote_id=remote_id, defaults=values
            )
    except IntegrityError:
        return model.objects.update_or_create(shop_id=shop_id, remote_id=remote_id, defaults=values)
