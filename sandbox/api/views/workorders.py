"""Work orders and their jobs."""

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse

from sandbox.core import representations as rep
from sandbox.core import services
from sandbox.core.models import Job, LineItem, Payment, Shop, WorkOrder

from .. import query
from ..bodies import (
    MAX_LINE_ITEMS,
    MAX_QUANTITY,
    ArrayOf,
    Body,
    Decimal2,
    Id,
    Object,
    Text,
)
from ..envelope import ok, ok_page
from .base import needs, one

NEW_WORK_ORDER = Body(
    {
        "customer_id": Id(required=True),
        "vehicle_id": Id(required=True),
        "technician_id": Id(nullable=True),
        "notes": Text(nullable=True),
    }
)
WORK_ORDER_CHANGES = Body(
    {"status": Text(), "technician_id": Id(nullable=True), "notes": Text(nullable=True)}
)
LINE_ITEM = Object(
    {
        "type": Text(required=True),
        "description": Text(required=True),
        "quantity": Decimal2(required=True, exclusive_minimum=True, maximum=MAX_QUANTITY),
        "unit_price": Decimal2(required=True),
        "part_id": Id(nullable=True),
    }
)
NEW_JOB = Body(
    {
        "name": Text(required=True),
        "line_items": ArrayOf(LINE_ITEM, max_items=MAX_LINE_ITEMS, nullable=True),
    }
)


def work_orders(shop: Shop) -> QuerySet:
    """The shop's work orders with what their list form shows."""
    return WorkOrder.objects.filter(shop=shop).select_related("customer", "vehicle", "technician")


def jobs_with_lines() -> QuerySet:
    return Job.objects.order_by("id").prefetch_related(
        Prefetch("line_items", queryset=LineItem.objects.order_by("id"))
    )


def detail(shop: Shop, work_order_id: int) -> WorkOrder:
    """One work order with everything its detail form shows, in four queries."""
    return one(
        work_orders(shop).prefetch_related(
            Prefetch("jobs", queryset=jobs_with_lines()),
            Prefetch("payments", queryset=Payment.objects.order_by("id")),
        ),
        "work order",
        pk=work_order_id,
    )


@needs("workorders:read")
def list_work_orders(request: HttpRequest, shop: Shop) -> HttpResponse:
    found = work_orders(shop)
    status = query.choice(request, "status", WorkOrder.Status.values)
    if status is not None:
        found = found.filter(status=status)
    for name in ("customer_id", "vehicle_id", "technician_id"):
        value = query.record_id(request, name)
        if value is not None:
            found = found.filter(**{name: value})
    created_after = query.moment(request, "created_after")
    if created_after is not None:
        found = found.filter(created_at__gt=created_after)
    rows, pagination = query.page_of(request, found)
    return ok_page([rep.work_order(w) for w in rows], **pagination)


@needs("workorders:read")
def get_work_order(request: HttpRequest, shop: Shop, work_order_id: int) -> HttpResponse:
    return ok(rep.work_order_detail(detail(shop, work_order_id)))


@needs("workorders:write")
def create_work_order(request: HttpRequest, shop: Shop) -> HttpResponse:
    created = services.create_work_order(shop, **NEW_WORK_ORDER.parse(request))
    return ok(rep.work_order_detail(detail(shop, created.id)), status=201)


@needs("workorders:write")
def update_work_order(request: HttpRequest, shop: Shop, work_order_id: int) -> HttpResponse:
    work_order = one(shop.work_orders, "work order", pk=work_order_id)
    services.update_work_order(work_order, **WORK_ORDER_CHANGES.parse(request))
    return ok(rep.work_order_detail(detail(shop, work_order_id)))


# --- jobs -------------------------------------------------------------------------------------


@needs("workorders:read")
def list_jobs(request: HttpRequest, shop: Shop, work_order_id: int) -> HttpResponse:
    work_order = one(shop.work_orders, "work order", pk=work_order_id)
    rows, pagination = query.page_of(request, jobs_with_lines().filter(work_order=work_order))
    return ok_page([rep.job(j) for j in rows], **pagination)


@needs("workorders:write")
def create_job(request: HttpRequest, shop: Shop, work_order_id: int) -> HttpResponse:
    work_order = one(shop.work_orders, "work order", pk=work_order_id)
    fields = NEW_JOB.parse(request)
    job = services.add_job(work_order, **fields)
    return ok(rep.job(jobs_with_lines().get(pk=job.pk)), status=201)
