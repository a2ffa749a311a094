"""AutoSync's JSON forms as mirror rows, and the functions that apply them (never regressing)."""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F

from portal.autosync.text import clean

from . import models as m
from .resources import REGISTRY
from .upsert import upsert

log = logging.getLogger(__name__)


#: A payment's status once AutoSync refunded it (it keeps the payment and marks it).
REFUNDED = "refunded"
#: Column bounds: a value outside them cannot be stored, so its record is skipped.
BIG = 2**63 - 1  # BigIntegerField (ids)
MONEY_LIMIT = Decimal(10) ** 10  # DecimalField(max_digits=12, decimal_places=2)
CENT = Decimal("0.01")
#: Times a shop's records can carry. Outside them a time is a mistake, and arithmetic on it
#: (the incremental sync's `created_after` overlap) could overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)
#: Deeper JSON than this is not a record AutoSync sends (its deepest is a detail's line items).
MAX_DEPTH = 12
#: Control characters (C0, DEL, C1) and lone surrogates (which no database encodes).


class Unmappable(ValueError):
    """A record's field cannot be stored as the mirror's column: the record is skipped."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Skip:
    """One record left out, and why (what staff and the logs are told)."""

    resource: str
    remote_id: Any
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.resource} #{self.remote_id}: {self.field} {self.reason}"[:255]


@dataclass
class Applied:
    written: int = 0
    skipped: list[Skip] = dataclasses.field(default_factory=list)


def payload(value: Any, path: str = "", depth: int = 0) -> Any:
    """A JSON value fit for a JSONField on any database: strings cleaned, no NaN or infinity
    (PostgreSQL's jsonb refuses them), bounded depth; Unmappable names the culprit."""
    if depth > MAX_DEPTH:
        raise Unmappable(path or "record", f"is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return clean(value, multiline=True)
    if isinstance(value, float) and not math.isfinite(value):
        raise Unmappable(path or "record", f"is {value!r}")
    if isinstance(value, dict):
        return {
            clean(str(k)): payload(v, f"{path}.{k}" if path else str(k), depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [payload(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    return value


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as AutoSync writes it (`…Z`), or None (lenient: for comparisons)."""
    try:
        return _time(value)
    except Unmappable:
        return None


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Unmappable("", f"is not a time: {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None or not EARLIEST <= parsed <= LATEST:
        raise Unmappable("", f"is not a time in range: {value[:40]!r}")
    return parsed


def money(value: Any) -> Decimal | None:
    """An amount to the cent, or None when it cannot be read (never a made-up zero)."""
    try:
        return _money(value)
    except Unmappable:
        return None


def _money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Unmappable("", f"is not an amount: {type(value).__name__}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
        if not amount.is_finite():
            raise Unmappable("", f"is not an amount: {str(value)[:40]!r}")
        amount = amount.quantize(CENT)
    except (InvalidOperation, ValueError):
        raise Unmappable("", f"is not an amount: {str(value)[:40]!r}") from None
    if abs(amount) >= MONEY_LIMIT:
        raise Unmappable("", "has too many digits for an amount")
    return amount


def integer(value: Any) -> int | None:
    """A JSON integer (not a bool) within a BigIntegerField, else None (lenient)."""
    if isinstance(value, int) and not isinstance(value, bool) and -BIG <= value <= BIG:
        return value
    return None


def nested_id(value: Any) -> int | None:
    return integer(value.get("id")) if isinstance(value, dict) else None


class Fields:
    """Strict reads of one record's fields: each raises Unmappable naming the field."""

    def __init__(self, data: dict, prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def _fail(self, name: str, error: Unmappable) -> Unmappable:
        return Unmappable(self.prefix + name, error.reason)

    def text(self, name: str, limit: int = 255, *, multiline: bool = False) -> str:
        value = self.data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise Unmappable(self.prefix + name, f"is not text: {type(value).__name__}")
        return clean(str(value), multiline=multiline)[:limit]

    def money(self, name: str, *, optional: bool = False) -> Decimal | None:
        value = self.data.get(name)
        if value is None:
            if optional:
                return None
            raise Unmappable(self.prefix + name, "is missing (an amount is never assumed zero)")
        try:
            return _money(value)
        except Unmappable as error:
            raise self._fail(name, error) from None

    def time(self, name: str) -> datetime | None:
        try:
            return _time(self.data.get(name))
        except Unmappable as error:
            raise self._fail(name, error) from None

    def integer(self, name: str, limit: int = BIG) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise Unmappable(self.prefix + name, f"is not an integer: {type(value).__name__}")
        if not -limit <= value <= limit:
            raise Unmappable(self.prefix + name, "is out of range")
        return value

    def boolean(self, name: str) -> bool:
        value = self.data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise Unmappable(self.prefix + name, f"is not true or false: {type(value).__name__}")
        return value

    def object(self, name: str) -> Fields:
        value = self.data.get(name)
        if value is None:
            return Fields({}, f"{self.prefix}{name}.")
        if not isinstance(value, dict):
            raise Unmappable(self.prefix + name, f"is not an object: {type(value).__name__}")
        return Fields(value, f"{self.prefix}{name}.")

    def records(self, name: str) -> list[Fields]:
        """A list of records (a detail's jobs, a job's line items), each with an id."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise Unmappable(self.prefix + name, f"is not a list: {type(value).__name__}")
        found = []
        for index, item in enumerate(value):
            where = f"{self.prefix}{name}[{index}]"
            if not isinstance(item, dict):
                raise Unmappable(where, f"is not an object: {type(item).__name__}")
            entry = Fields(item, where + ".")
            if entry.integer("id") is None:
                raise Unmappable(where + ".id", "is missing")
            found.append(entry)
        return found


#: The list form's keys: what a list or a webhook payload keeps of a work order's detail.
DETAIL_ONLY = ("jobs", "payments", "amount_paid", "balance_due")


def row(resource: str, item: Any) -> tuple[dict | None, Skip | None]:
    """One list-form record as the mirror's row (without shop and clock), or why it cannot be."""
    remote_id = item.get("id") if isinstance(item, dict) else None
    shown = remote_id if isinstance(remote_id, int) else clean(repr(remote_id))[:40]
    try:
        if not isinstance(item, dict):
            raise Unmappable("record", f"is not an object: {type(item).__name__}")
        fields = Fields(item)
        remote_id = fields.integer("id")
        if remote_id is None:
            raise Unmappable("id", "is missing")
        return {
            "remote_id": remote_id,
            "payload": payload({k: v for k, v in item.items() if k not in DETAIL_ONLY}),
            "remote_updated_at": fields.time("updated_at"),
            **REGISTRY[resource].read(fields),
        }, None
    except Unmappable as error:
        return None, Skip(resource, shown, error.field, error.reason)


def apply(resource: str, shop_id: int, items: list, observed_at: datetime) -> Applied:
    """Upsert list-form records of `resource` seen at `observed_at`. A record that cannot be
    mirrored is skipped (logged, and counted on the resource's state); the rest are written."""
    model = REGISTRY[resource].model
    rows, result = [], Applied()
    for item in items:
        mapped, skip = row(resource, item)
        if skip is not None:
            result.skipped.append(skip)
        else:
            rows.append({"shop_id": shop_id, "observed_at": observed_at, **mapped})
    note_skips(shop_id, result.skipped)
    if not rows:
        return result
    names = list(rows[0].keys() - {"shop_id", "remote_id", "observed_at", "remote_updated_at"})
    ids = [r["remote_id"] for r in rows]
    live = model.objects.of(shop_id).live()
    before = set(live.filter(remote_id__in=ids).values_list("remote_id", flat=True))
    if resource == "workorders":
        result.written = _apply_work_orders(shop_id, rows, names)
    elif resource == "payments":
        result.written = _apply_payments(shop_id, rows, names)
    else:
        result.written = upsert(model, rows, names)
    if len(before) < len(set(ids)):
        # Records new to the mirror (a webhook's, or one created since the last list) are
        # new at AutoSync too: keep its last known total in step, or the books would show
        # more mirrored than AutoSync has until the next full listing corrects the total.
        added = live.filter(remote_id__in=set(ids) - before).count()
        if added:
            m.ResourceState.objects.filter(
                shop_id=shop_id, resource=resource, remote_total__isnull=False
            ).update(remote_total=F("remote_total") + added)
    return result


def note_skips(shop_id: int, skipped: list[Skip]) -> None:
    """Warn about each skipped record (resource, id, field: never its content) and count them
    on the resource's state, where the sync page shows them."""
    if not skipped:
        return
    for skip in skipped:
        log.warning("Skipped an AutoSync record of shop %s: %s", shop_id, skip)
    by_resource: dict[str, list[Skip]] = {}
    for skip in skipped:
        by_resource.setdefault(skip.resource, []).append(skip)
    for resource, skips in by_resource.items():
        state, _ = m.ResourceState.objects.get_or_create(shop_id=shop_id, resource=resource)
        m.ResourceState.objects.filter(pk=state.pk).update(
            skipped=F("skipped") + len(skips), last_skipped=str(skips[-1])
        )


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


def _apply_payments(shop_id: int, rows: list[dict], names: list[str]) -> int:
    """Upsert, then note when a payment seen taken is first seen refunded: AutoSync marks a
    refund without saying when, and revenue takes a refund off the day it happened."""
    ids = [r["remote_id"] for r in rows]
    payments = m.Payment.objects.filter(shop_id=shop_id, remote_id__in=ids)
    with transaction.atomic():
        taken = set(payments.exclude(status=REFUNDED).values_list("remote_id", flat=True))
        written = upsert(m.Payment, rows, names)
        refunded = [r["remote_id"] for r in rows if r["remote_id"] in taken]
        if refunded:
            # A write refused as older left the payment as it was (not refunded).
            payments.filter(
                remote_id__in=refunded, status=REFUNDED, refunded_at__isnull=True
            ).update(refunded_at=rows[0]["observed_at"])
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
    status = clean(status)[:32]
    if work_order_pk and status:
        m.WorkOrderStatus.objects.bulk_create(
            [m.WorkOrderStatus(work_order_id=work_order_pk, status=status, seen_at=seen_at)],
            ignore_conflicts=True,
        )


def apply_work_order_detail(shop_id: int, detail: Any, observed_at: datetime) -> Applied:
    """Mirror a work order's detail (jobs, line items, payments) if it is the newest seen.
    The whole detail is read first: one that cannot be mirrored changes nothing."""
    try:
        fields = Fields(detail if isinstance(detail, dict) else {})
        jobs = _jobs(fields)
        amount_paid = fields.money("amount_paid", optional=True)
        balance_due = fields.money("balance_due", optional=True)
    except Unmappable as error:
        remote_id = detail.get("id") if isinstance(detail, dict) else None
        skip = Skip("workorders", remote_id, error.field, error.reason)
        note_skips(shop_id, [skip])
        return Applied(skipped=[skip])
    result = apply("workorders", shop_id, [detail], observed_at)
    if result.skipped:
        return result
    remote_id = fields.integer("id")
    payments = detail.get("payments")
    if isinstance(payments, list) and payments:
        result.skipped += apply("payments", shop_id, payments, observed_at).skipped
    with transaction.atomic():
        order = (
            m.WorkOrder.objects.select_for_update()
            .filter(shop_id=shop_id, remote_id=remote_id)
            .first()
        )
        if order is None or (order.detail_observed_at and order.detail_observed_at > observed_at):
            return result  # a newer detail is already mirrored
        order.amount_paid = amount_paid
        order.balance_due = balance_due
        order.detail_observed_at = observed_at
        order.save(update_fields=["amount_paid", "balance_due", "detail_observed_at"])
        _replace_jobs(order, jobs)
        result.written += 1
    return result


def _jobs(detail: Fields) -> list[tuple[int, dict, list[tuple[int, dict]]]]:
    """The detail's jobs and their line items as column values, read strictly."""
    jobs = []
    for job in detail.records("jobs"):
        lines = [
            (
                line.integer("id"),
                {
                    "type": line.text("type", 16),
                    "description": line.text("description"),
                    "quantity": line.money("quantity"),
                    "unit_price": line.money("unit_price"),
                    "total": line.money("total"),
                    "part_remote_id": line.integer("part_id"),
                },
            )
            for line in job.records("line_items")
        ]
        values = {"name": job.text("name"), "subtotal": job.money("subtotal")}
        jobs.append((job.integer("id"), values, lines))
    return jobs


def _replace_jobs(order: m.WorkOrder, jobs: list) -> None:
    shop_id = order.shop_id
    keep_jobs, keep_lines = [], []
    for position, (job_id, values, lines) in enumerate(jobs):
        row_, _ = _upsert_child(
            m.Job, shop_id, job_id, {"work_order": order, "position": position, **values}
        )
        keep_jobs.append(row_.pk)
        for line_position, (line_id, line_values) in enumerate(lines):
            line_row, _ = _upsert_child(
                m.LineItem,
                shop_id,
                line_id,
                {"job": row_, "position": line_position, **line_values},
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
