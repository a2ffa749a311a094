"""What the garage's pages read: an owner's records across shops, put together for a page.

Everything is scoped by the owner's verified email through `portal.mirror.queries` (their
customers' records in every shop in use) and their portal bookings at those shops. Two reads
take ids without that scope, each saying why it may: `vehicle_of` (the vehicle of a work
order already found among the owner's) and `live_version` (the poll's validator). Each
function costs a constant number of queries, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    Func,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime

from portal.booking.models import Booking, ChangeRequest
from portal.mirror import queries
from portal.mirror.models import (
    OPEN_STATUSES,
    Appointment,
    MirroredQuerySet,
    Payment,
    ResourceState,
    ShopNotice,
    Vehicle,
    WorkOrder,
    WorkOrderStatus,
)
from portal.shops.models import Shop
from portal.ui.statuses import Badge, badge

# --- The owner's shops and how fresh each is ---------------------------------------------------


@dataclass(frozen=True)
class ShopLine:
    """A shop the owner is a customer of, and when AutoSync last confirmed its records."""

    shop: Shop
    updated: datetime | None


def shops_of(email: str) -> list[ShopLine]:
    """The shops the owner is a customer of (in use), by name, each with its latest successful
    sync: two queries, however many shops."""
    shop_ids = queries.customers_by_email(email).values("shop_id")
    shops = list(
        Shop.objects.filter(pk__in=shop_ids).select_related("connection").order_by("name", "pk")
    )
    latest = dict(
        ResourceState.objects.filter(shop__in=[shop.pk for shop in shops])
        .values("shop")
        .annotate(at=Max("last_success_at"))
        .values_list("shop", "at")
    )
    return [ShopLine(shop, latest.get(shop.pk)) for shop in shops]


# --- Vehicles ----------------------------------------------------------------------------------


def vehicle_label(vehicle: Vehicle | None) -> str:
    """ "2019 Honda Civic (7ABC123)"; what is missing left out ("" for no vehicle)."""
    if vehicle is None:
        return ""
    name = " ".join(str(part) for part in (vehicle.year, vehicle.make, vehicle.model) if part)
    return f"{name} ({vehicle.license_plate})" if vehicle.license_plate else name


def vehicle_of(work_order: WorkOrder) -> Vehicle | None:
    """The vehicle of a work order already found among the owner's (one simple query)."""
    return (
        Vehicle.objects.live()
        .filter(shop_id=work_order.shop_id, remote_id=work_order.vehicle_remote_id)
        .first()
    )


def vehicles_by_key(email: str) -> dict[tuple[int, int], Vehicle]:
    """The owner's vehicles by (shop pk, AutoSync id): how work orders and appointments name
    theirs. One query."""
    return {(v.shop_id, v.remote_id): v for v in queries.vehicles_of(email)}


# --- Appointments: the shop's (phone bookings too) and the portal's bookings --------------------


@dataclass
class Visit:
    """One appointment as the owner sees it: a mirrored appointment, a portal booking, or both
    (a confirmed booking is the appointment it created: shown once)."""

    shop: Shop
    starts_at: datetime
    ends_at: datetime | None
    status: Badge
    vehicle: str = ""
    #: (shop pk, AutoSync id) of the vehicle, as `vehicles_by_key` has it.
    vehicle_key: tuple[int, int | None] | None = None
    booking: Booking | None = None
    appointment: Appointment | None = None
    #: The change requests of the booking, or of the appointment made by phone, newest first
    #: (prefetched).
    requests: list[ChangeRequest] = field(default_factory=list)

    @property
    def upcoming(self) -> bool:
        return (self.ends_at or self.starts_at) >= timezone.now()

    @property
    def pending_request(self) -> ChangeRequest | None:
        return next((r for r in self.requests if r.outcome == ChangeRequest.Outcome.PENDING), None)

    @property
    def can_ask_for_a_change(self) -> bool:
        """Whether the owner may ask the shop's staff to change or cancel it (AutoSync's API
        cannot change an appointment; the staff inbox answers), one request at a time: a
        portal booking that holds its time, or an appointment the shop made by phone that
        is still ahead and still on, and whose cancellation the shop has not already done
        (the mirror shows it cancelled once the shop did it in AutoSync)."""
        if self.pending_request is not None:
            return False
        if self.booking is not None:
            return (
                self.upcoming
                and self.booking.state in Booking.HOLDING
                and not (self.appointment and self.appointment.status == "cancelled")
            )
        return (
            self.appointment is not None
            and self.starts_at > timezone.now()
            and self.appointment.status not in CLOSED_APPOINTMENT_STATUSES
            and not any(
                r.kind == ChangeRequest.Kind.CANCEL and r.outcome == ChangeRequest.Outcome.DONE
                for r in self.requests
            )
        )


#: The statuses of an appointment that is over or off: nothing to change any more.
CLOSED_APPOINTMENT_STATUSES = ("cancelled", "completed", "no_show")


#: A portal booking's state as a badge (a confirmed one shows its appointment's status).
BOOKING_TONES = {
    Booking.State.PENDING: "info",
    Booking.State.CONFIRMED: "info",
    Booking.State.REQUESTED: "warn",
    Booking.State.DECLINED: "bad",
    Booking.State.CANCELLED: "neutral",
    Booking.State.FAILED: "bad",
}


def bookings_of(email: str) -> QuerySet[Booking]:
    """The portal bookings made with this email (any case) at the shops in use: the email is
    the one the owner proved by signing in."""
    email = email.strip().lower()
    if not email:
        return Booking.objects.none()
    return Booking.objects.filter(shop__in=queries.shops_in_use(), email__iexact=email)


def visits_of(email: str, vehicles: dict[tuple[int, int], Vehicle]) -> list[Visit]:
    """The owner's appointments and bookings, each once, by start time: three queries."""
    return _visits(bookings_of(email), queries.appointments_of(email), vehicles)


def booking_visit(email: str, booking_id: int) -> Visit | None:
    """The owner's portal booking `booking_id` as a visit (with its appointment once
    mirrored), or None when it is not theirs: five queries."""
    booking = bookings_of(email).filter(pk=booking_id).values_list("shop", "appointment_remote_id")
    if not (found := booking.first()):
        return None
    shop_id, appointment_id = found
    appointments = queries.appointments_of(email).filter(shop_id=shop_id, remote_id=appointment_id)
    visits = _visits(
        bookings_of(email).filter(pk=booking_id).prefetch_related("services"),
        appointments,
        vehicles_by_key(email),
    )
    return visits[0]


def appointment_visit(email: str, shop_id: int, remote_id: int) -> Visit | None:
    """The owner's mirrored appointment `remote_id` at `shop_id` (a shop in use) as a visit
    with its change requests, or None when it is not theirs (or AutoSync no longer has it).
    When it is a portal booking's appointment, the visit is the booking's (its page is the
    booking's): at most five queries."""
    appointments = queries.appointments_of(email).filter(shop_id=shop_id, remote_id=remote_id)
    visits = _visits(
        bookings_of(email).filter(shop_id=shop_id, appointment_remote_id=remote_id),
        appointments,
        vehicles_by_key(email),
    )
    return next((visit for visit in visits if visit.appointment is not None), None)


def _visits(
    bookings: QuerySet[Booking],
    appointments: MirroredQuerySet,
    vehicles: dict[tuple[int, int], Vehicle],
) -> list[Visit]:
    """The bookings, each with its mirrored appointment when it has one (taken out of the
    appointments so it shows once), then the appointments left: the shop's own, each with its
    change requests (one query for all of them)."""
    bookings = bookings.select_related("shop__connection").prefetch_related("change_requests")
    mirrored = {(a.shop_id, a.remote_id): a for a in appointments}
    visits = []
    for booking in bookings:
        appointment = mirrored.pop((booking.shop_id, booking.appointment_remote_id), None)
        if appointment is not None and booking.state == Booking.State.CONFIRMED:
            status = badge(appointment.status, "appointment")
            starts_at = appointment.start_time or booking.starts_at
            ends_at = appointment.end_time
        else:
            status = Badge(booking.get_state_display(), BOOKING_TONES[booking.state])
            starts_at, ends_at = booking.starts_at, booking.ends_at
        key = (booking.shop_id, booking.vehicle_remote_id)
        visits.append(
            Visit(
                shop=booking.shop,
                starts_at=starts_at,
                ends_at=ends_at,
                status=status,
                vehicle=vehicle_label(vehicles.get(key))
                or f"{booking.vehicle_year} {booking.vehicle_make} {booking.vehicle_model}",
                vehicle_key=key,
                booking=booking,
                appointment=appointment,
                requests=list(booking.change_requests.all()),
            )
        )
    phoned = [a for a in mirrored.values() if a.start_time is not None]
    requests = _appointment_requests(phoned)
    for appointment in phoned:
        key = (appointment.shop_id, appointment.vehicle_remote_id)
        visits.append(
            Visit(
                shop=appointment.shop,
                starts_at=appointment.start_time,
                ends_at=appointment.end_time,
                status=badge(appointment.status, "appointment"),
                vehicle=vehicle_label(vehicles.get(key)),
                vehicle_key=key,
                appointment=appointment,
                requests=requests.get((appointment.shop_id, appointment.remote_id), []),
            )
        )
    return sorted(visits, key=lambda visit: visit.starts_at)


def _appointment_requests(
    appointments: list[Appointment],
) -> dict[tuple[int, int], list[ChangeRequest]]:
    """The change requests of these appointments by (shop pk, AutoSync id), newest first: one
    query (none without appointments). The appointments are the owner's already."""
    if not appointments:
        return {}
    found: dict[tuple[int, int], list[ChangeRequest]] = {}
    rows = ChangeRequest.objects.filter(
        booking__isnull=True,
        shop__in={a.shop_id for a in appointments},
        appointment_remote_id__in={a.remote_id for a in appointments},
    )
    for request in rows:  # newest first (the model's ordering)
        found.setdefault((request.shop_id, request.appointment_remote_id), []).append(request)
    return found


def split_visits(visits: list[Visit]) -> tuple[list[Visit], list[Visit]]:
    """Upcoming (soonest first) and past (latest first)."""
    upcoming = [visit for visit in visits if visit.upcoming]
    past = [visit for visit in reversed(visits) if not visit.upcoming]
    return upcoming, past


# --- Work orders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A status the portal saw, when, and how long the work order stayed in it (until now, for
    the current one of an open work order; unknown for the last one of a closed one)."""

    status: str
    seen_at: datetime
    lasted: timedelta | None
    current: bool

    @property
    def took(self) -> str:
        """How long, as people say it: "under a minute", "25 min", "2 h 5 min", "3 days"."""
        if self.lasted is None:
            return ""
        minutes = int(self.lasted.total_seconds() // 60)
        if minutes < 1:
            return "under a minute"
        if minutes < 60:
            return f"{minutes} min"
        hours, minutes = divmod(minutes, 60)
        if hours < 48:
            return f"{hours} h {minutes} min" if minutes else f"{hours} h"
        return f"{hours // 24} days"


def timeline(history: list[WorkOrderStatus], is_open: bool) -> list[Step]:
    steps = []
    for index, entry in enumerate(history):
        last = index == len(history) - 1
        if not last:
            lasted = history[index + 1].seen_at - entry.seen_at
        else:
            lasted = timezone.now() - entry.seen_at if is_open else None
        steps.append(Step(entry.status, entry.seen_at, lasted, current=last))
    return steps


def inspections_of(work_order: WorkOrder) -> list[ShopNotice]:
    """The inspection reports the shop sent for this work order (AutoSync's
    `inspection.completed`, kept as notices with their green, yellow and red counts)."""
    return list(
        ShopNotice.objects.filter(
            shop_id=work_order.shop_id,
            kind=ShopNotice.Kind.INSPECTION,
            work_order_remote_id=work_order.remote_id,
        ).order_by("occurred_at", "pk")
    )


# --- A work order's validator ------------------------------------------------------------------


class _Joined(Aggregate):
    """The values of a group joined with commas (SQLite's GROUP_CONCAT, PostgreSQL's
    STRING_AGG, in order): a fingerprint that changes whenever one of them does."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "STRING_AGG(%(expressions)s, ',' ORDER BY %(expressions)s)"
        sql, params = self.as_sql(compiler, connection, template=template, **extra)
        return sql, (*params, *params)  # the values are written twice


class _Fields(Func):
    """A row's fields as one text, `|` between them (NULL as nothing): written out rather than
    with `Concat`, whose every separator is a parameter the driver has to quote."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, found = compiler.compile(expression)
            parts.append(f"COALESCE(CAST({sql} AS TEXT), '')")
            params.extend(found)
        return "(" + " || '|' || ".join(parts) + ")", params


def _fingerprint(rows: QuerySet, *fields: str) -> Subquery:
    """`fields` of every row of `rows` (filtered on the work order by OuterRef), joined."""
    joined = rows.order_by().values(group=Value(1)).annotate(all=_Joined(_Fields(*fields)))
    return Subquery(joined.values("all"), output_field=CharField())


def _count(rows: QuerySet) -> Subquery:
    """How many rows `rows` has (filtered on the work order by OuterRef)."""
    counted = rows.order_by().values(group=Value(1)).annotate(n=Count("pk"))
    return Subquery(counted.values("n"))


#: What the work order's page shows (besides the time that passes), or what changes with it,
#: read in its query: the page's parts are kept under a validator made from these.
_SHOWN = (
    # The work order: AutoSync's `updated_at` and when the mirror saw and confirmed it change
    # with every write of its row (portal.mirror.upsert); its jobs and line items are
    # replaced only with a new detail, which moves `detail_observed_at`.
    "number", "status", "technician_name", "remote_created_at", "subtotal", "tax", "total",
    "amount_paid", "balance_due", "vehicle_remote_id", "remote_updated_at", "observed_at",
    "confirmed_at", "detail_observed_at",
    "shop__name", "shop__phone", "shop__timezone", "shop__granted", "shop__connection__status",
    # Then the annotations of `_live_query`.
    "shown_vehicle", "shown_statuses", "shown_inspections", "shown_payments",
)  # fmt: skip

#: Stand-ins the owner's query is compiled with, replaced by each request's values.
_EMAIL, _SHOP, _REMOTE = "owner@validator.invalid", -990001, -990002


@cache
def _live_query(vendor: str, scoped: bool = True) -> tuple[str, tuple, dict[int, str]]:
    """The owner's work order with what its page shows, as SQL compiled once per process (the
    ORM took longer to build this query than the database to answer it): the SQL, its
    parameters, and which parameters stand for the email, the shop and the work order.

    Statuses and inspection reports are only ever added: their counts change with them. A
    payment can change in place (a refund): each one's shown fields are in the fingerprint."""
    vehicle = Vehicle.objects.live().filter(
        shop=OuterRef("shop"), remote_id=OuterRef("vehicle_remote_id")
    )
    statuses = WorkOrderStatus.objects.filter(work_order=OuterRef("pk"))
    inspections = ShopNotice.objects.filter(
        shop=OuterRef("shop"),
        kind=ShopNotice.Kind.INSPECTION,
        work_order_remote_id=OuterRef("remote_id"),
    )
    payments = Payment.objects.live().filter(
        shop=OuterRef("shop"), work_order_remote_id=OuterRef("remote_id")
    )
    base = (
        queries.work_orders_of(_EMAIL)
        if scoped
        else WorkOrder.objects.live().select_related("shop__connection")
    )
    rows = (
        base.filter(shop_id=_SHOP, remote_id=_REMOTE)
        .order_by()
        .annotate(
            shown_vehicle=_fingerprint(vehicle, "remote_updated_at", "confirmed_at"),
            shown_statuses=_count(statuses),
            shown_inspections=_count(inspections),
            shown_payments=_fingerprint(
                payments, "remote_id", "status", "method", "amount", "remote_created_at"
            ),
        )
        .values_list("pk", "wanted_until", *_SHOWN)
    )
    sql, params = rows.query.sql_with_params()
    stand_ins = {_EMAIL: "email", _SHOP: "shop", _REMOTE: "remote"}
    slots = {
        i: stand_ins[p]
        for i, p in enumerate(params)
        if isinstance(p, str | int) and not isinstance(p, bool) and p in stand_ins
    }
    assert sorted(slots.values()) == ["email", "remote", "shop"][1 - scoped :], slots
    return sql, tuple(params), slots


@dataclass(frozen=True)
class Live:
    """A work order of the owner's, as its page's cheap path reads it."""

    pk: int
    status: str
    wanted_until: datetime | None
    #: The validator: the status, then an HMAC of the owner's email and all the page shows.
    version: str

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def want(self) -> None:
        """`WorkOrder.want()`, from what was read (it writes at most every 150 s)."""
        WorkOrder(pk=self.pk, wanted_until=self.wanted_until).want()


def live_of(email: str, shop_id: int, remote_id: int, *, scoped: bool = True) -> Live | None:
    """The owner's work order `remote_id` at `shop_id` with its validator, or None when it is
    not theirs (a shop no longer in use, another customer's, removed): one query.

    The validator changes whenever something the page shows does: the work order and its
    jobs, its shop's name, phone, time zone and connection, the vehicle, the statuses seen,
    the payments and the inspection reports. Pages cache their parts under it
    (`rendered.py`), and the poll compares it (docs/garage.md, "Live status")."""
    sql, params, slots = _live_query(connection.vendor, scoped)
    values = {"email": email.strip().lower(), "shop": shop_id, "remote": remote_id}
    filled = [values[slots[i]] if i in slots else p for i, p in enumerate(params)]
    with connection.cursor() as cursor:
        cursor.execute(sql, filled)
        row = cursor.fetchone()
    if row is None:
        return None
    pk, wanted_until, status = row[0], row[1], row[3]
    shown = [email, pk, *row[2:]]  # the work order itself, and all it shows
    digest = salted_hmac("portal.garage.live", "|".join(map(str, shown)))
    if isinstance(wanted_until, str):
        wanted_until = parse_datetime(wanted_until)
    if wanted_until is not None and timezone.is_naive(wanted_until):  # SQLite's, in UTC
        wanted_until = wanted_until.replace(tzinfo=UTC)
    return Live(pk, status, wanted_until, f"{status}.{digest.hexdigest()[:16]}")


def live_version(email: str, shop_id: int, remote_id: int) -> str | None:
    """The validator of the owner's work order (`live_of`), or None when it is not theirs."""
    live = live_of(email, shop_id, remote_id)
    return live.version if live else None


# --- Payments ----------------------------------------------------------------------------------


def payment_rows(email: str) -> MirroredQuerySet:
    """The owner's payments, newest first, each with its work order's number (one query)."""
    numbers = WorkOrder.objects.filter(
        shop=OuterRef("shop"), remote_id=OuterRef("work_order_remote_id")
    ).values("number")[:1]
    return queries.payments_of(email).annotate(work_order_number=Subquery(numbers))


@dataclass(frozen=True)
class Totals:
    by_year: list[dict]  # {"year", "total", "count"}, latest first
    by_shop: list[dict]  # {"shop__name", "shop", "total", "count"}, by name


def totals_of(email: str) -> Totals:
    """What the owner paid (refunds left out) per year and per shop: two queries.

    A payment counts in its shop's year, as the shop's books have it: one made at 9 pm on
    31 December in Los Angeles is that year's, though it is already 1 January in UTC. The
    database cannot say a row's year in the row's own time zone portably (SQLite has no time
    zones), so the years are summed here from one narrow query; the shops, by the database."""
    paid = queries.payments_of(email).filter(status="succeeded").order_by()
    years: dict[int | None, dict] = {}
    rows = paid.values_list("remote_created_at", "shop__timezone", "amount")
    for paid_at, zone, amount in rows.iterator(chunk_size=2000):
        year = paid_at.astimezone(ZoneInfo(zone)).year if paid_at else None
        found = years.setdefault(year, {"year": year, "total": Decimal(0), "count": 0})
        found["total"] += amount
        found["count"] += 1
    by_year = sorted(years.values(), key=lambda row: (row["year"] is not None, row["year"] or 0))
    by_shop = (
        paid.values("shop", "shop__name")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("shop__name", "shop")
    )
    return Totals(by_year[::-1], list(by_shop))
