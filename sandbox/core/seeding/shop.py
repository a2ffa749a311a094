"""One shop and months of its history, bulk-created: staff, inventory, customers, vehicles,
work orders with jobs, line items, payments and inspections, and appointments around today.

Writes bypass the service layer (see `builder`); totals use the contract's rules in `totals`.
"""

import bisect
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sandbox.core.models import (
    Account,
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

from . import catalogues, fakes
from .totals import job_subtotal, line_total, work_order_totals

BATCH = 2000
WO = WorkOrder.Status


@dataclass(frozen=True)
class Scale:
    customers: int
    vehicles: int
    work_orders: int
    appointments: int
    appointment_history_days: int  # appointments reach this far back (and two weeks ahead)
    history_days: int  # the shop's records reach this far back
    part_variants: int  # brands stocked per catalogue part
    technicians: int


SMALL = Scale(25, 32, 40, 16, 14, 120, 1, 4)
DEMO = Scale(200, 260, 600, 70, 14, 365, 2, 5)
LARGE = Scale(20_000, 25_000, 50_000, 3_000, 180, 730, 6, 10)


@dataclass(frozen=True)
class ShopSpec:
    name: str
    slug: str
    region: str
    street: str
    tax_rate: Decimal
    labor_rate: Decimal


PART_NUMBERS = {p.key: p.part_number for p in catalogues.PARTS}


class ShopBuilder:
    """One shop and its history: staff, inventory, customers, vehicles, work orders with jobs,
    line items, payments and inspections, and appointments around today."""

    def __init__(
        self,
        spec: ShopSpec,
        account: Account,
        seed: int,
        scale: Scale,
        now: datetime,
        account_created: datetime,
    ):
        self.spec = spec
        self.account = account
        self.scale = scale
        self.now = now
        self.region = catalogues.REGIONS[spec.region]
        self.rng = random.Random(f"{seed}:{spec.slug}")
        self.start = max(now - timedelta(days=scale.history_days), account_created)

    def build(self) -> Shop:
        first_town, zip_code = self.region.towns[0]
        self.shop = Shop.objects.create(
            account=self.account,
            name=self.spec.name,
            slug=self.spec.slug,
            timezone=self.region.timezone,
            phone=fakes.phone(self.rng, self.region),
            email=f"service@{self.spec.slug}.example.com",
            street=self.spec.street,
            city=first_town,
            state=self.region.state,
            zip=zip_code,
            tax_rate=self.spec.tax_rate,
            created_at=self.start,
        )
        self.employees()
        self.parts()
        self.customers_and_vehicles()
        count = self.work_orders()
        self.appointments()
        Shop.objects.filter(pk=self.shop.pk).update(last_work_order_number=1000 + count)
        self.shop.last_work_order_number = 1000 + count
        return self.shop

    # --- staff and inventory ------------------------------------------------------------------

    def employees(self) -> None:
        rng, domain = self.rng, f"{self.spec.slug}.example.com"
        roles = (
            [Employee.Role.MANAGER]
            + [Employee.Role.SERVICE_WRITER] * 2
            + [Employee.Role.TECHNICIAN] * (self.scale.technicians + 1)
        )
        staff = []
        for position, role in enumerate(roles):
            first, last = fakes.person(rng)
            staff.append(
                Employee(
                    shop=self.shop,
                    first_name=first,
                    last_name=last,
                    role=role,
                    email=f"{first}.{last}@{domain}".lower().replace("'", ""),
                    # One technician has left the shop: old work orders still name him.
                    status=Employee.Status.INACTIVE
                    if position == len(roles) - 1
                    else Employee.Status.ACTIVE,
                )
            )
        Employee.objects.bulk_create(staff)
        self.technicians = [e for e in staff if e.role == Employee.Role.TECHNICIAN]
        self.active_technicians = [e for e in self.technicians if e.status == "active"]

    def parts(self) -> None:
        rng, parts = self.rng, []
        for spec in catalogues.PARTS:
            for variant in range(self.scale.part_variants):
                brands = catalogues.PART_BRANDS
                brand = brands[(variant + len(spec.key)) % len(brands)]
                price = (
                    spec.price
                    if variant == 0
                    else (spec.price * Decimal(rng.uniform(0.85, 1.3))).quantize(Decimal("1"))
                    - Decimal("0.01")
                )
                threshold = rng.choice((2, 4, 5, 6, 10))
                roll = rng.random()
                # Most shelves are stocked; some sit at or below the reorder point.
                quantity = (
                    rng.randint(0, max(threshold - 1, 0))
                    if roll < 0.15
                    else threshold
                    if roll < 0.25
                    else rng.randint(threshold + 1, threshold * 5)
                )
                parts.append(
                    Part(
                        shop=self.shop,
                        part_number=spec.part_number
                        if variant == 0
                        else f"{spec.part_number}-{brand[:3].upper()}{variant}",
                        name=spec.name if variant == 0 else f"{brand} {spec.name}",
                        quantity=quantity,
                        price=price,
                        reorder_threshold=threshold,
                        cost=(price * Decimal(rng.uniform(0.45, 0.65))).quantize(Decimal("0.01")),
                        updated_at=self.now - timedelta(hours=rng.randint(1, 24 * 30)),
                    )
                )
        Part.objects.bulk_create(parts, batch_size=BATCH)
        self.part_for = {p.part_number: p for p in parts}

    # --- customers and vehicles ---------------------------------------------------------------

    def _moments(self, count: int, start: datetime, end: datetime) -> list[datetime]:
        """`count` sorted instants between start and end, on whole minutes."""
        span = int((end - start).total_seconds() // 60)
        return sorted(start + timedelta(minutes=self.rng.randint(0, span)) for _ in range(count))

    def customers_and_vehicles(self) -> None:
        rng, scale = self.rng, self.scale
        # A sixth of the customers came with the shop when it moved to AutoSync.
        imported = scale.customers // 6
        times = [self.start] * imported + self._moments(
            scale.customers - imported, self.start, self.now - timedelta(days=1)
        )
        customers = []
        for created in times:
            is_business = rng.random() < 0.07
            first, last = fakes.business(rng) if is_business else fakes.person(rng)
            contact = fakes.person(rng) if is_business else (first, last)
            phone = fakes.phone(rng, self.region) if rng.random() < 0.92 else ""
            addr = fakes.address(rng, self.region) if rng.random() < 0.85 else {}
            customers.append(
                Customer(
                    shop=self.shop,
                    first_name=first,
                    last_name=last,
                    is_business=is_business,
                    email=fakes.email(rng, *contact) if rng.random() < 0.88 else "",
                    phone=phone,
                    phone_digits="".join(c for c in phone if c.isdigit()),
                    created_at=created,
                    updated_at=created,
                    **addr,
                )
            )
        Customer.objects.bulk_create(customers, batch_size=BATCH)
        # Every customer has a car; some have a second one, added later.
        owners = customers + [
            rng.choice(customers) for _ in range(scale.vehicles - scale.customers)
        ]
        vehicles = []
        for number, owner in enumerate(owners):
            model = rng.choice(catalogues.VEHICLES)
            year = rng.randint(*model.years)
            created = (
                owner.created_at + timedelta(minutes=5)
                if number < len(customers)
                else (owner.created_at + (self.now - owner.created_at) * rng.random())
            )
            vehicles.append(
                Vehicle(
                    shop=self.shop,
                    customer=owner,
                    year=year,
                    make=model.make,
                    model=model.model,
                    vin=fakes.vin(rng, model, year) if rng.random() < 0.9 else "",
                    license_plate=fakes.plate(rng) if rng.random() < 0.8 else "",
                    mileage=max(1000, (2026 - year) * rng.randint(8000, 15000)),
                    created_at=created,
                    updated_at=created,
                )
            )
        vehicles.sort(key=lambda v: v.created_at)
        Vehicle.objects.bulk_create(vehicles, batch_size=BATCH)
        self.vehicles = vehicles
        self.vehicle_times = [v.created_at for v in vehicles]
        self.vehicles_of: dict[int, list[Vehicle]] = {}
        for v in vehicles:
            self.vehicles_of.setdefault(v.customer_id, []).append(v)
        self.customers = customers
        self.customer_times = [c.created_at for c in customers]

    # --- work orders --------------------------------------------------------------------------

    def _status(self, age: timedelta) -> str:
        """Old work orders are invoiced; the last few days hold every stage of the workflow."""
        roll = self.rng.random()
        if age > timedelta(days=10):
            return WO.INVOICED if roll < 0.93 else WO.COMPLETED
        if age > timedelta(days=3):
            return (
                WO.INVOICED
                if roll < 0.45
                else WO.COMPLETED
                if roll < 0.8
                else WO.WAITING_PARTS
                if roll < 0.92
                else WO.IN_PROGRESS
            )
        return (
            WO.DRAFT
            if roll < 0.25
            else WO.IN_PROGRESS
            if roll < 0.6
            else WO.WAITING_PARTS
            if roll < 0.75
            else WO.COMPLETED
            if roll < 0.9
            else WO.INVOICED
        )

    def work_orders(self) -> int:
        times = self._moments(
            self.scale.work_orders,
            self.start + timedelta(hours=1),
            self.now - timedelta(minutes=10),
        )
        statuses = [self._status(self.now - t) for t in times]
        # Whatever the dice said, the newest five show every stage, so each status exists.
        statuses[-5:] = [WO.INVOICED, WO.COMPLETED, WO.WAITING_PARTS, WO.IN_PROGRESS, WO.DRAFT]
        for start in range(0, len(times), BATCH):
            self._work_order_batch(
                start, times[start : start + BATCH], statuses[start : start + BATCH]
            )
        return len(times)

    def _work_order_batch(self, offset: int, times: list[datetime], statuses: list[str]) -> None:
        rng, shop = self.rng, self.shop
        orders, jobs_of = [], []
        job_weights = [j.weight for j in catalogues.JOBS]
        for position, (created, status) in enumerate(zip(times, statuses, strict=True)):
            # Any vehicle already on file when the car came in (the earliest if none yet).
            known = max(bisect.bisect_right(self.vehicle_times, created), 1)
            vehicle = self.vehicles[rng.randrange(known)]
            job_count = (
                rng.choices((0, 1, 2, 3), (1, 11, 6, 3))[0]
                if status == WO.DRAFT
                else rng.choices((1, 2, 3), (11, 6, 3))[0]
            )
            specs = list(dict.fromkeys(rng.choices(catalogues.JOBS, job_weights, k=job_count)))
            jobs = [self._job(spec) for spec in specs]
            subtotal, tax, total = work_order_totals((j.subtotal for j, _ in jobs), shop.tax_rate)
            done = status in (WO.COMPLETED, WO.INVOICED)
            completed_at = created + timedelta(hours=rng.randint(2, 52)) if done else None
            if completed_at and completed_at > self.now:
                completed_at = self.now - timedelta(minutes=5)
            technician = None
            if status != WO.DRAFT or rng.random() < 0.5:
                # Older work orders may name the technician who has since left.
                pool = (
                    self.technicians
                    if self.now - created > timedelta(days=60)
                    else self.active_technicians
                )
                technician = rng.choice(pool)
            orders.append(
                WorkOrder(
                    shop=shop,
                    number=str(1001 + offset + position),
                    customer_id=vehicle.customer_id,
                    vehicle=vehicle,
                    technician=technician,
                    status=status,
                    notes=rng.choice(catalogues.WORK_ORDER_NOTES),
                    subtotal=subtotal,
                    tax=tax,
                    total=total,
                    created_at=created,
                    completed_at=completed_at,
                    updated_at=completed_at or created + timedelta(minutes=rng.randint(5, 240)),
                )
            )
            jobs_of.append(jobs)
        WorkOrder.objects.bulk_create(orders, batch_size=BATCH)
        for order, jobs in zip(orders, jobs_of, strict=True):
            for job, _ in jobs:
                job.work_order = order
        Job.objects.bulk_create([j for jobs in jobs_of for j, _ in jobs], batch_size=BATCH)
        lines = []
        for jobs in jobs_of:
            for job, items in jobs:
                for item in items:
                    item.job = job
                    lines.append(item)
        LineItem.objects.bulk_create(lines, batch_size=BATCH)
        self._payments(orders)
        self._inspections(orders)

    def _job(self, spec: catalogues.JobSpec) -> tuple[Job, list[LineItem]]:
        """A job with its labor, parts and fees, priced from the shop's rate and shelves."""
        hours = spec.labor_hours + Decimal(self.rng.choice((0, 0, 0, 1, 2))) / 10
        items = [
            LineItem(
                type=LineItem.Type.LABOR,
                description=f"Labor: {spec.name}",
                quantity=hours,
                unit_price=self.spec.labor_rate,
            )
        ]
        for key, quantity in spec.parts:
            part = self.part_for[PART_NUMBERS[key]]
            items.append(
                LineItem(
                    type=LineItem.Type.PART,
                    description=part.name,
                    part=part,
                    quantity=quantity,
                    unit_price=part.price,
                )
            )
        for description, price in spec.fees:
            items.append(
                LineItem(
                    type=LineItem.Type.FEE,
                    description=description,
                    quantity=Decimal("1"),
                    unit_price=price,
                )
            )
        for item in items:
            item.total = line_total(item.quantity, item.unit_price)
        return Job(name=spec.name, subtotal=job_subtotal(i.total for i in items)), items

    def _payments(self, orders: list[WorkOrder]) -> None:
        """Invoiced work orders are paid in full; completed ones may be unpaid or part paid."""
        rng, payments, paid = self.rng, [], []
        methods = [m for m in Payment.Method.values]
        for order in orders:
            if order.status not in (WO.COMPLETED, WO.INVOICED) or order.total <= 0:
                continue
            roll = rng.random()
            if order.status == WO.COMPLETED and roll < 0.4:
                continue
            at = order.completed_at + timedelta(minutes=rng.randint(10, 600))
            at = min(at, self.now - timedelta(minutes=1))
            method = rng.choices(methods, (70, 12, 8, 6, 4))[0]
            if order.status == WO.COMPLETED and roll < 0.7:
                amounts = [(order.total * Decimal("0.5")).quantize(Decimal("0.01"))]  # a deposit
            elif order.total > 400 and roll < 0.2:
                deposit = (order.total * Decimal("0.3")).quantize(Decimal("0.01"))
                amounts = [deposit, order.total - deposit]  # deposit, then the balance
            else:
                amounts = [order.total]
            if order.status == WO.INVOICED and rng.random() < 0.03:
                # A card charge refunded and paid again another way.
                payments.append(
                    Payment(
                        shop=self.shop,
                        work_order=order,
                        customer_id=order.customer_id,
                        amount=order.total,
                        method=Payment.Method.CARD,
                        status=Payment.Status.REFUNDED,
                        created_at=at,
                    )
                )
                method = Payment.Method.CASH
            for step, amount in enumerate(amounts):
                payments.append(
                    Payment(
                        shop=self.shop,
                        work_order=order,
                        customer_id=order.customer_id,
                        amount=amount,
                        method=method,
                        created_at=at + timedelta(hours=step),
                    )
                )
            order.amount_paid = sum(amounts, Decimal("0"))
            paid.append(order)
        Payment.objects.bulk_create(payments, batch_size=BATCH)
        WorkOrder.objects.bulk_update(paid, ["amount_paid"], batch_size=500)

    def _inspections(self, orders: list[WorkOrder]) -> None:
        rng, inspections = self.rng, []
        for order in orders:
            if order.status == WO.DRAFT or rng.random() > 0.15:
                continue
            inspections.append(
                Inspection(
                    shop=self.shop,
                    work_order=order,
                    green=rng.randint(14, 30),
                    yellow=rng.randint(0, 6),
                    red=rng.choice((0, 0, 0, 1, 1, 2, 3)),
                    sent_at=min(
                        order.created_at + timedelta(minutes=rng.randint(30, 180)),
                        self.now - timedelta(minutes=1),
                    ),
                )
            )
        Inspection.objects.bulk_create(inspections, batch_size=BATCH)

    # --- appointments -------------------------------------------------------------------------

    def appointments(self) -> None:
        rng, zone = self.rng, ZoneInfo(self.shop.timezone)
        today = self.now.astimezone(zone).date()
        days = [
            d
            for offset in range(-self.scale.appointment_history_days, 15)
            if (d := today + timedelta(days=offset)).weekday() != 6  # closed on Sundays
        ]
        appointments = []
        for _ in range(self.scale.appointments):
            day: date = rng.choice(days)
            closing = 12 if day.weekday() == 5 else 17  # Saturday mornings only
            local = datetime.combine(
                day, time(rng.randint(8, closing - 1), rng.choice((0, 30))), tzinfo=zone
            )
            start = local.astimezone(UTC)
            # Someone who was already a customer a day before the visit.
            known = max(bisect.bisect_left(self.customer_times, start - timedelta(days=1)), 1)
            customer = self.customers[rng.randrange(known)]
            owned = self.vehicles_of.get(customer.id, [])
            vehicle = rng.choice(owned) if owned and rng.random() < 0.9 else None
            if start < self.now:
                status = (
                    Appointment.Status.COMPLETED
                    if rng.random() < 0.82
                    else Appointment.Status.CANCELLED
                )
            else:
                status = (
                    Appointment.Status.SCHEDULED
                    if rng.random() < 0.9
                    else Appointment.Status.CANCELLED
                )
            booked = start - timedelta(days=rng.randint(1, 21), minutes=rng.randint(0, 600))
            appointments.append(
                Appointment(
                    shop=self.shop,
                    customer=customer,
                    vehicle=vehicle,
                    start_time=start,
                    end_time=start + timedelta(minutes=rng.choice((30, 60, 60, 90, 120))),
                    notes=rng.choice(catalogues.APPOINTMENT_NOTES),
                    status=status,
                    created_at=min(
                        max(booked, customer.created_at),
                        start - timedelta(hours=1),
                        self.now - timedelta(hours=1),
                    ),
                )
            )
        appointments.sort(key=lambda a: a.created_at)
        Appointment.objects.bulk_create(appointments, batch_size=BATCH)
