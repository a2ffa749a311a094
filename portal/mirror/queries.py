"""Reads of the mirror that pages need, across models: what a vehicle owner has in every shop,
a work order with everything its page shows, and how fresh a row or a shop is.

Every function here costs a constant number of queries, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, Max, OuterRef, Prefetch, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from portal.shops.models import Connection, Shop

from .models import (
    Appointment,
    Customer,
    Job,
    MirroredQuerySet,
    MirroredRecord,
    Payment,
    ResourceState,
    Vehicle,
    WorkOrder,
    WorkOrderStatus,
)


@dataclass(frozen=True)
class Freshness:
    """When AutoSync last confirmed what a page shows, and whether the mirror is paused (the
    shop's connection needs reconnecting, or the shop is no longer granted or connected):
    then nothing is refreshed and the page says so."""

    confirmed_at: datetime | None  # None: never confirmed yet
    paused: bool

    @property
    def age(self) -> timedelta | None:
        if self.confirmed_at is None:
            return None
        return max(timedelta(0), timezone.now() - self.confirmed_at)


def freshness(row: MirroredRecord) -> Freshness:
    """A row's freshness (load it with `select_related("shop__connection")`)."""
    return Freshness(row.confirmed_at, paused=not row.shop.is_syncable)


def shop_freshness(shop: Shop) -> Freshness:
    """A shop's freshness: its latest sync that succeeded, which confirmed (set
    `confirmed_at` of) every row it listed, read from the books instead of every table."""
    latest = ResourceState.objects.filter(shop=shop).aggregate(at=Max("last_success_at"))["at"]
    return Freshness(latest, paused=not shop.is_syncable)


def shops_in_use() -> QuerySet[Shop]:
    """Shops whose mirror pages show: granted, connected or paused until a reconnect (a
    disconnected shop's personal data is gone; what the portal itself keeps of its customers,
    such as bookings, is shown only for these shops too)."""
    return Shop.objects.filter(
        granted=True,
        connection__status__in=(Connection.Status.CONNECTED, Connection.Status.NEEDS_RECONNECTING),
    )


def customers_by_email(email: str) -> MirroredQuerySet:
    """The live customers with this email (any case) in every shop in use: one person may be a
    customer of several shops. An empty email finds nobody."""
    email = email.strip().lower()
    if not email:
        return Customer.objects.none()
    return (
        Customer.objects.live()
        .filter(shop__in=shops_in_use())
        .alias(email_lower=Lower("email"))
        .filter(email_lower=email)  # served by the mirror_customer_email_ci index
    )


def _of_customers(model: type[MirroredRecord], email: str) -> MirroredQuerySet:
    owners = customers_by_email(email).filter(
        shop=OuterRef("shop"), remote_id=OuterRef("customer_remote_id")
    )
    return model.objects.live().filter(Exists(owners)).select_related("shop__connection")


def vehicles_of(email: str) -> MirroredQuerySet:
    """The vehicles of the customers with this email, in every shop."""
    return _of_customers(Vehicle, email).order_by("shop__name", "year", "make", "model", "pk")


def work_orders_of(email: str) -> MirroredQuerySet:
    """The work orders of the customers with this email, newest first, in every shop."""
    return _of_customers(WorkOrder, email).order_by("-remote_created_at", "-pk")


def appointments_of(email: str) -> MirroredQuerySet:
    """The appointments of the customers with this email (those the shop booked by phone, and
    the portal's bookings once confirmed), in every shop, by start time."""
    return _of_customers(Appointment, email).order_by("start_time", "pk")


def payments_of(email: str) -> MirroredQuerySet:
    """The payments of the customers with this email, newest first, in every shop."""
    return _of_customers(Payment, email).order_by("-remote_created_at", "-pk")


@dataclass(frozen=True)
class WorkOrderPage:
    """Everything a work order's page shows."""

    work_order: WorkOrder
    jobs: list[Job]  # each with its line_items prefetched
    payments: list[Payment]
    history: list[WorkOrderStatus]
    freshness: Freshness


def work_order_page(work_orders: QuerySet[WorkOrder], remote_id: int) -> WorkOrderPage | None:
    """The work order `remote_id` among `work_orders` (what the viewer may see: a shop's,
    `WorkOrder.objects.of(shop)`, or a vehicle owner's, `work_orders_of(email)`), or None.

    Six queries: the work order, its jobs, their line items, its payments, its status history,
    and `want()`, which asks the open poll for a fresh detail while someone is looking."""
    work_order = (
        work_orders.live()
        .filter(remote_id=remote_id)
        .select_related("shop__connection")
        .prefetch_related(
            Prefetch("jobs", queryset=Job.objects.prefetch_related("line_items")),
            "statuses",
        )
        .first()
    )
    if work_order is None:
        return None
    payments = list(
        Payment.objects.of(work_order.shop_id)
        .live()
        .filter(work_order_remote_id=work_order.remote_id)
        .order_by("remote_created_at", "pk")
    )
    work_order.want()
    return WorkOrderPage(
        work_order=work_order,
        jobs=list(work_order.jobs.all()),
        payments=payments,
        history=work_order.status_history(),
        freshness=freshness(work_order),
    )
