"""A shop's day in figures, read from the mirror by the database: each figure is an aggregate
over indexed columns (never a loop over rows), in the shop's time zone, and comes with the
words that define it, because shop software disagrees on what "car count" or "revenue" means.

Every function costs a constant number of queries, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, Lower
from django.utils import timezone

from portal.booking.models import Booking
from portal.mirror.models import (
    OPEN_STATUSES,
    STATUS_ORDER,
    Appointment,
    Customer,
    LineItem,
    Part,
    Payment,
    ResourceState,
    ShopNotice,
    Vehicle,
    WorkOrder,
    WorkOrderStatus,
)
from portal.shops.models import Connection, Shop
from portal.ui.statuses import badge

from . import sql
from .models import STUCK_STATUSES, StuckThreshold

#: What each figure counts, shown beside it.
DEFINITIONS = {
    "appointments": (
        "Appointments starting today in AutoSync, cancelled ones left out, plus online "
        "bookings not in AutoSync yet. Online: booked by a customer through this portal."
    ),
    "cars": (
        "Different vehicles with a work order opened today. A car with two work orders "
        "counts once; an appointment counts only once its work order is opened."
    ),
    "open": "Work orders not invoiced yet, by their status in AutoSync now.",
    "revenue": (
        "Payments that succeeded in the period, by the time they were taken, less the "
        "refunds made in the period. AutoSync marks a payment refunded without saying when: "
        "a refund counts from when the portal first saw it (within minutes), or, for a "
        "payment already refunded when the portal first saw it, on the day it was taken. "
        "Payments in any other status are left out. Weeks start on Monday."
    ),
    "average": (
        "Work orders completed this month (completed or invoiced): their totals, tax "
        "included, divided by how many there are."
    ),
    "stuck": (
        "Time in status: since the work order got its current status, which is the earlier "
        "of when the portal first saw that status and when AutoSync last changed the work "
        "order (a car already waiting when the shop connected counts from its last change); "
        "since it was opened if neither is known. Stuck: longer than the shop's limit for "
        "that status."
    ),
}
#: A payment's statuses: money taken, and money taken then given back (AutoSync keeps the
#: payment and marks it). Any other status is not money taken.
SUCCEEDED = "succeeded"
REFUNDED = "refunded"
#: A day before any work order: "no earlier status seen".
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Calendar:
    """The shop's local today, week (from Monday) and month, as UTC instants."""

    zone: ZoneInfo
    now: datetime
    today: date
    day_start: datetime
    day_end: datetime
    week_start: datetime
    month_start: datetime

    def start_of(self, day: date) -> datetime:
        return local_midnight(day, self.zone)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local `day` begins in `zone` (its midnight, in UTC)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def calendar(shop: Shop, now: datetime | None = None) -> Calendar:
    now = now or timezone.now()
    zone = shop.zone
    today = now.astimezone(zone).date()
    return Calendar(
        zone=zone,
        now=now,
        today=today,
        day_start=local_midnight(today, zone),
        day_end=local_midnight(today + timedelta(days=1), zone),
        week_start=local_midnight(today - timedelta(days=today.weekday()), zone),
        month_start=local_midnight(today.replace(day=1), zone),
    )


# --- Money --------------------------------------------------------------------------------


def takings(shop: Shop) -> QuerySet[Payment]:
    """The shop's payments that count as money taken: succeeded, or refunded since (the refund
    is counted apart, when it happened). A payment refunded before the mirror saw it taken
    (no `refunded_at`) is left out: taken and given back, it nets out on the day it was taken,
    the closest the portal can tell."""
    return (
        Payment.objects.of(shop)
        .live()
        .filter(Q(status=SUCCEEDED) | Q(status=REFUNDED, refunded_at__isnull=False))
    )


def refunds(shop: Shop) -> QuerySet[Payment]:
    """The shop's payments refunded since the mirror saw them taken."""
    return Payment.objects.of(shop).live().filter(status=REFUNDED, refunded_at__isnull=False)


@dataclass(frozen=True)
class Revenue:
    today: Decimal
    week: Decimal
    month: Decimal
    per_day: list[tuple[date, Decimal]]  # the last DAYS local days, today last


#: How many days the revenue chart shows.
DAYS = 30


def revenue(shop: Shop, cal: Calendar) -> Revenue:
    """Money taken less money refunded, today, this week, this month and on each of the last
    DAYS days, zero when none: two queries (takings by when they were taken, refunds by when
    the mirror saw them), each a sum per period over an index of the payments' times."""
    dates = [cal.today - timedelta(days=DAYS - 1 - n) for n in range(DAYS)]
    starts = sorted({cal.month_start, *(cal.start_of(day) for day in dates)})
    taken = _per_period(
        takings(shop), "remote_created_at", starts, cal.day_end, total=Sum("amount")
    )
    returned = _per_period(refunds(shop), "refunded_at", starts, cal.day_end, total=Sum("amount"))
    net = {
        start: (plus or Decimal(0)) - (minus or Decimal(0))
        for start, plus, minus in zip(starts, taken, returned, strict=True)
    }

    def since(moment: datetime) -> Decimal:
        return sum((amount for start, amount in net.items() if start >= moment), Decimal(0))

    return Revenue(
        today=net[cal.day_start],
        week=since(cal.week_start),
        month=since(cal.month_start),
        per_day=[(day, net[cal.start_of(day)]) for day in dates],
    )


@dataclass(frozen=True)
class AverageOrder:
    amount: Decimal | None  # None: nothing completed yet this month
    count: int


def average_repair_order(shop: Shop, cal: Calendar) -> AverageOrder:
    """The average total of the work orders completed this month (one query)."""
    result = (
        WorkOrder.objects.of(shop)
        .live()
        .filter(
            completed_at__gte=cal.month_start,
            completed_at__lt=cal.day_end,
            status__in=("completed", "invoiced"),
        )
        .aggregate(amount=Avg("total"), count=Count("pk"))
    )
    amount = result["amount"]
    if amount is not None:
        amount = Decimal(amount).quantize(Decimal("0.01"))
    return AverageOrder(amount, result["count"])


def _per_period(rows: QuerySet, field: str, starts: list[datetime], end: datetime, total):
    """`total` (an aggregate) of `rows` in each period from one start to the next (the last up
    to `end`), None for a period without rows: one query, grouped by period. The boundaries
    are the shop's local midnights, computed here: the database converts no time zone per row
    (SQLite would call Python for each), and a day of a daylight saving change is the 23 or 25
    hours it really is."""
    period = Case(
        *(When(**{f"{field}__lt": bound}, then=Value(n)) for n, bound in enumerate(starts[1:])),
        default=Value(len(starts) - 1),
        output_field=IntegerField(),
    )
    totals = dict(
        rows.filter(**{f"{field}__gte": starts[0], f"{field}__lt": end})
        .annotate(period=period)
        .values("period")
        .annotate(total=total)
        .order_by()
        .values_list("period", "total")
    )
    return [totals.get(n) for n in range(len(starts))]


def recent_payments(shop: Shop, limit: int = 8) -> list[Payment]:
    """The latest payments, with the customer's name and the work order's number."""
    customer = Customer.objects.filter(
        shop=OuterRef("shop"), remote_id=OuterRef("customer_remote_id")
    )
    order = WorkOrder.objects.filter(
        shop=OuterRef("shop"), remote_id=OuterRef("work_order_remote_id")
    )
    return list(
        Payment.objects.of(shop)
        .live()
        .filter(remote_created_at__isnull=False)
        .annotate(
            first_name=Subquery(customer.values("first_name")[:1]),
            last_name=Subquery(customer.values("last_name")[:1]),
            work_order_number=Subquery(order.values("number")[:1]),
        )
        .order_by("-remote_created_at", "-pk")[:limit]
    )


# --- Cars and appointments ------------------------------------------------------------------


def cars_today(shop: Shop, cal: Calendar) -> int:
    """Different vehicles with a work order opened today (one query on the opening index)."""
    return (
        WorkOrder.objects.of(shop)
        .live()
        .filter(remote_created_at__gte=cal.day_start, remote_created_at__lt=cal.day_end)
        .aggregate(n=Count("vehicle_remote_id", distinct=True))["n"]
    )


def cars_per_week(shop: Shop, cal: Calendar, weeks: int = 8) -> list[tuple[date, int]]:
    """The car count of each of the last `weeks` weeks (Monday to Sunday), this one included."""
    monday = cal.week_start.astimezone(shop.zone).date()
    mondays = [monday - timedelta(weeks=weeks - 1 - n) for n in range(weeks)]
    counts = _per_period(
        WorkOrder.objects.of(shop).live(),
        "remote_created_at",
        [cal.start_of(day) for day in mondays],
        cal.day_end,
        total=Count("vehicle_remote_id", distinct=True),
    )
    return [(monday, count or 0) for monday, count in zip(mondays, counts, strict=True)]


def _booked_online(shop: Shop):
    """An appointment that a portal booking created (found by its AutoSync appointment id)."""
    return Exists(Booking.objects.filter(shop=shop, appointment_remote_id=OuterRef("remote_id")))


def _waiting_bookings(shop: Shop) -> QuerySet[Booking]:
    """Portal bookings holding their time whose appointment is not in the mirror (yet)."""
    mirrored = (
        Appointment.objects.of(shop).live().filter(remote_id=OuterRef("appointment_remote_id"))
    )
    return Booking.objects.filter(shop=shop, state__in=Booking.HOLDING).exclude(Exists(mirrored))


@dataclass(frozen=True)
class AppointmentCount:
    total: int
    online: int


def appointments_today(shop: Shop, cal: Calendar) -> AppointmentCount:
    """Today's appointments and how many were booked online (two queries)."""
    mirrored = (
        Appointment.objects.of(shop)
        .live()
        .filter(start_time__gte=cal.day_start, start_time__lt=cal.day_end)
        .exclude(status="cancelled")
        .aggregate(total=Count("pk"), online=Count("pk", filter=_booked_online(shop)))
    )
    waiting = (
        _waiting_bookings(shop)
        .filter(starts_at__gte=cal.day_start, starts_at__lt=cal.day_end)
        .count()
    )
    return AppointmentCount(mirrored["total"] + waiting, mirrored["online"] + waiting)


@dataclass(frozen=True)
class Visit:
    """One line of the schedule: a mirrored appointment, or a portal booking on its way."""

    starts_at: datetime
    ends_at: datetime | None
    customer: str
    vehicle: str
    online: bool
    pending: str  # why a portal booking is not in AutoSync yet ("" for an appointment)
    notes: str


def schedule(shop: Shop, cal: Calendar, days: int = 3, limit: int = 50) -> list[Visit]:
    """Appointments and portal bookings not in AutoSync yet, from today for `days` days, in
    order (two queries, the first `limit` of each: a busy shop's next fifty visits are as far
    ahead as a glance goes)."""
    end = cal.start_of(cal.today + timedelta(days=days))
    customer = Customer.objects.filter(shop=shop, remote_id=OuterRef("customer_remote_id"))
    car = Vehicle.objects.filter(shop=shop, remote_id=OuterRef("vehicle_remote_id"))
    appointments = (
        Appointment.objects.of(shop)
        .live()
        .filter(start_time__gte=cal.day_start, start_time__lt=end)
        .exclude(status="cancelled")
        .annotate(
            online=_booked_online(shop),
            first_name=Subquery(customer.values("first_name")[:1]),
            last_name=Subquery(customer.values("last_name")[:1]),
            year=Subquery(car.values("year")[:1]),
            make=Subquery(car.values("make")[:1]),
            model=Subquery(car.values("model")[:1]),
        )
        .order_by("start_time", "pk")[:limit]
    )
    visits = [
        Visit(
            starts_at=a.start_time,
            ends_at=a.end_time,
            customer=f"{a.first_name or ''} {a.last_name or ''}".strip(),
            vehicle=" ".join(str(part) for part in (a.year, a.make, a.model) if part),
            online=a.online,
            pending="",
            notes=a.notes,
        )
        for a in appointments
    ]
    bookings = (
        _waiting_bookings(shop)
        .filter(starts_at__gte=cal.day_start, starts_at__lt=end)
        .order_by("starts_at", "pk")[:limit]
    )
    visits += [
        Visit(
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            customer=b.name,
            vehicle=f"{b.vehicle_year} {b.vehicle_make} {b.vehicle_model}",
            online=True,
            pending=b.get_state_display(),
            notes=b.notes,
        )
        for b in bookings
    ]
    return sorted(visits, key=lambda visit: visit.starts_at)


def by_day(visits: list[Visit], shop: Shop) -> list[tuple[date, list[Visit]]]:
    """The schedule grouped by the shop's local day, in order."""
    days: dict[date, list[Visit]] = {}
    for visit in visits:
        days.setdefault(visit.starts_at.astimezone(shop.zone).date(), []).append(visit)
    return list(days.items())


# --- Work orders: status, time in status, the board -----------------------------------------


def with_time_in_status(work_orders: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """Annotate `since`: when the current status began, as far as the portal can tell.

    The portal saw it begin at the first sighting of the current status after the last
    sighting of any other (a webhook may repeat the status a work order already had: the
    repeat does not restart the clock; seen in the same instant as the other, it counts from
    then). It began no later than AutoSync's last change of the work order (`updated_at`)
    either, which is earlier for a car that was already waiting when the shop connected:
    its first sighting is the first sync. So `since` is the earlier of the two, whichever
    is known, else when the work order was opened."""
    statuses = WorkOrderStatus.objects.filter(work_order=OuterRef("pk"))
    left_other = (
        statuses.exclude(status=OuterRef("status")).order_by("-seen_at").values("seen_at")[:1]
    )
    entered = (
        WorkOrderStatus.objects.filter(
            work_order=OuterRef("pk"),
            status=OuterRef("status"),
            seen_at__gte=Coalesce(OuterRef("left_other_at"), Value(_EPOCH)),
        )
        .order_by("seen_at")
        .values("seen_at")[:1]
    )
    fallback = ("remote_created_at", "observed_at")
    return (
        work_orders.annotate(left_other_at=Subquery(left_other))
        .annotate(entered_at=Subquery(entered))
        .annotate(
            # Least() of a NULL is NULL on SQLite: each side falls back on the other.
            since=Least(
                Coalesce("entered_at", "remote_updated_at", *fallback),
                Coalesce("remote_updated_at", "entered_at", *fallback),
                output_field=DateTimeField(),
            )
        )
    )


def _stuck(thresholds: dict[str, timedelta], now: datetime) -> Q:
    """Work orders (annotated with `since`) in a status longer than the shop allows."""
    stuck = Q(pk__in=[])
    for status, limit in thresholds.items():
        stuck |= Q(status=status, since__lt=now - limit)
    return stuck


@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int
    stuck: int


def open_by_status(
    shop: Shop, cal: Calendar, thresholds: dict[str, timedelta]
) -> list[StatusCount]:
    """Open work orders per status in workflow order, and how many of each are stuck (one
    query on the status index)."""
    rows = (
        with_time_in_status(WorkOrder.objects.of(shop).live().open())
        .values("status")
        .annotate(count=Count("pk"), stuck=Count("pk", filter=_stuck(thresholds, cal.now)))
        .order_by()
    )
    counts = {row["status"]: (row["count"], row["stuck"]) for row in rows}
    return [StatusCount(status, *counts.get(status, (0, 0))) for status in OPEN_STATUSES]


@dataclass
class BoardRow:
    work_order: WorkOrder
    vehicle: Vehicle | None
    in_status: timedelta
    limit: timedelta | None  # the shop's threshold for the status, if it has one

    @property
    def stuck(self) -> bool:
        return self.limit is not None and self.in_status > self.limit

    @property
    def status_label(self) -> str:
        return badge(self.work_order.status).label

    @property
    def in_status_text(self) -> str:
        return duration(self.in_status)

    @property
    def limit_text(self) -> str:
        return duration(self.limit) if self.limit is not None else ""


def duration(span: timedelta) -> str:
    """A time in status as people say it: "12 min", "5 h 20 min", "3 days 4 h"."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def board(
    shop: Shop, *, search: str = "", status: str = "", stuck: dict[str, timedelta] | None = None
) -> QuerySet[WorkOrder]:
    """The open work orders matching `search` (number, customer, vehicle, plate or VIN) and
    `status` (and stuck past the `stuck` thresholds, when given), in workflow order, the
    longest in their status first."""
    orders = WorkOrder.objects.of(shop).live().open()
    if status in OPEN_STATUSES:
        orders = orders.filter(status=status)
    search = search.strip()[:100]
    if search:
        cars = (
            Vehicle.objects.of(shop)
            .live()
            .filter(
                Q(license_plate__icontains=search)
                | Q(vin__icontains=search)
                | Q(make__icontains=search)
                | Q(model__icontains=search)
            )
        )
        orders = orders.filter(
            Q(number__icontains=search)
            | Q(customer_name__icontains=search)
            | Q(vehicle_remote_id__in=cars.values("remote_id"))
        )
    orders = with_time_in_status(orders)
    if stuck is not None:
        orders = orders.filter(_stuck(stuck, timezone.now()))
    step = Case(
        *(When(status=name, then=Value(n)) for n, name in enumerate(STATUS_ORDER)),
        default=Value(99),
        output_field=IntegerField(),
    )
    return orders.alias(step=step).order_by("step", "since", "pk")


def board_rows(
    shop: Shop, orders: list[WorkOrder], thresholds: dict[str, timedelta]
) -> list[BoardRow]:
    """A page of the board: each work order with its vehicle (one query) and time in status."""
    ids = {order.vehicle_remote_id for order in orders if order.vehicle_remote_id}
    cars = {car.remote_id: car for car in Vehicle.objects.of(shop).filter(remote_id__in=ids)}
    now = timezone.now()
    return [
        BoardRow(
            work_order=order,
            vehicle=cars.get(order.vehicle_remote_id),
            in_status=max(timedelta(0), now - order.since),
            limit=thresholds.get(order.status),
        )
        for order in orders
    ]


def stuck_work_orders(
    shop: Shop, thresholds: dict[str, timedelta], limit: int = 6
) -> list[BoardRow]:
    """The stuck work orders longest in their status, for the overview (two queries)."""
    orders = list(board(shop, stuck=thresholds).order_by("since")[:limit])
    return board_rows(shop, orders, thresholds)


@dataclass(frozen=True)
class TechnicianWork:
    name: str
    counts: dict[str, int]  # active status -> work orders

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def technicians(shop: Shop) -> list[TechnicianWork]:
    """Each technician's active work orders per status (one query); unassigned ones last."""
    rows = (
        WorkOrder.objects.of(shop)
        .live()
        .active()
        .values("technician_remote_id", "technician_name", "status")
        .annotate(n=Count("pk"))
        .order_by("technician_name", "technician_remote_id")
    )
    work: dict[tuple, TechnicianWork] = {}
    for row in rows:
        key = (row["technician_remote_id"], row["technician_name"])
        name = row["technician_name"] or ("Unassigned" if key[0] is None else "Technician")
        entry = work.setdefault(key, TechnicianWork(name, {}))
        entry.counts[row["status"]] = entry.counts.get(row["status"], 0) + row["n"]
    return sorted(work.values(), key=lambda tech: (tech.name == "Unassigned", tech.name))


# --- Parts -------------------------------------------------------------------------------------


@dataclass
class LowPart:
    part: Part
    waiting: list[WorkOrder]  # work orders waiting for parts with a line for this part

    @property
    def out(self) -> bool:
        return self.part.quantity <= 0


def low_parts(shop: Shop, limit: int = 20) -> list[LowPart]:
    """Parts below their reorder threshold, emptiest first, each with the work orders waiting
    for parts that have a line for it (two queries).

    A line names its part by AutoSync's part id; a line without one (typed in by hand) is
    matched by its description equal to the part's name, in any case. `low_since` is the
    latest `inventory.low_stock` event of the part, if one arrived."""
    notices = ShopNotice.objects.filter(
        shop=shop, kind=ShopNotice.Kind.LOW_STOCK, remote_id=OuterRef("remote_id")
    ).order_by("-occurred_at")
    parts = list(
        Part.objects.of(shop)
        .live()
        .filter(reorder_threshold__isnull=False, quantity__lt=F("reorder_threshold"))
        .annotate(low_since=Subquery(notices.values("occurred_at")[:1]))
        .order_by("quantity", "name", "pk")[:limit]
    )
    if not parts:
        return []
    by_id = {part.remote_id: LowPart(part, []) for part in parts}
    by_name = {part.name.lower(): by_id[part.remote_id] for part in parts if part.name}
    lines = (
        LineItem.objects.filter(
            shop=shop,
            job__work_order__status="waiting_parts",
            job__work_order__removed_at__isnull=True,
        )
        .alias(name=Lower("description"))
        .filter(
            Q(part_remote_id__in=list(by_id))
            | Q(part_remote_id__isnull=True, name__in=list(by_name))
        )
        .select_related("job__work_order")
        .order_by("job__work_order__number", "pk")
    )
    for line in lines:
        low = by_id.get(line.part_remote_id) or by_name.get(line.description.lower())
        order = line.job.work_order
        if low is not None and all(seen.pk != order.pk for seen in low.waiting):
            low.waiting.append(order)
    return list(by_id.values())


# --- What changed ------------------------------------------------------------------------------

#: What the dashboard shows changes one of these, each read from the end of an index or a
#: unique key of the shop's rows. A work order changes its AutoSync `updated_at` (and a new
#: one has the highest id), a part its `updated_at`, a portal booking its own `updated_at`.
#: AutoSync sends payments and appointments without an `updated_at`: a refund or a
#: cancellation shows as a newer sighting (`observed_at`, which every write moves on). Then
#: the shop's stuck thresholds, and its sync's books (a resource failing, or done arriving,
#: changes the alerts at the top). Last, the shop's time zone and the health of its
#: connection (`Shop.health`), which the pages show too.
_VERSION_SQL = """
SELECT
  (SELECT remote_id FROM {work_order} WHERE shop_id = %(shop)s
     ORDER BY remote_id DESC LIMIT 1),
  (SELECT remote_updated_at FROM {work_order} WHERE shop_id = %(shop)s
     AND remote_updated_at IS NOT NULL ORDER BY remote_updated_at DESC LIMIT 1),
  (SELECT observed_at FROM {payment} WHERE shop_id = %(shop)s
     ORDER BY observed_at DESC LIMIT 1),
  (SELECT observed_at FROM {appointment} WHERE shop_id = %(shop)s
     ORDER BY observed_at DESC LIMIT 1),
  (SELECT remote_updated_at FROM {part} WHERE shop_id = %(shop)s
     AND remote_updated_at IS NOT NULL ORDER BY remote_updated_at DESC LIMIT 1),
  (SELECT updated_at FROM {booking} WHERE shop_id = %(shop)s
     ORDER BY updated_at DESC LIMIT 1),
  (SELECT hours FROM {threshold} WHERE shop_id = %(shop)s AND status = %(draft)s),
  (SELECT hours FROM {threshold} WHERE shop_id = %(shop)s AND status = %(in_progress)s),
  (SELECT hours FROM {threshold} WHERE shop_id = %(shop)s AND status = %(waiting_parts)s),
  (SELECT MAX(last_error_at) FROM {resource_state} WHERE shop_id = %(shop)s),
  (SELECT COUNT(completed_at) FROM {resource_state} WHERE shop_id = %(shop)s),
  (SELECT timezone FROM {shop} WHERE id = %(shop)s),
  (SELECT granted FROM {shop} WHERE id = %(shop)s),
  (SELECT c.status FROM {connection} c JOIN {shop} s ON s.connection_id = c.id
     WHERE s.id = %(shop)s)
"""


def version(shop_id: int) -> tuple:
    """A cheap fingerprint of what the dashboard shows (_VERSION_SQL: one query, each part an
    index's end). What changes without any of these moving (the clock, which moves time in
    status on; a record AutoSync no longer has) shows with the dashboard's time bucket
    (views.REFRESH_BUCKET). The SQL is written out because the ORM took longer to build this
    query than the database to answer it, on the refresh every open dashboard sends."""
    params = {"shop": shop_id, **{status: status for status in STUCK_STATUSES}}
    return sql.one_row(
        _VERSION_SQL,
        params,
        work_order=WorkOrder,
        payment=Payment,
        appointment=Appointment,
        part=Part,
        booking=Booking,
        threshold=StuckThreshold,
        resource_state=ResourceState,
        shop=Shop,
        connection=Connection,
    )
