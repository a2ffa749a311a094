"""A busy day in the seeded shops. Every change goes through `sandbox.core.services`, so each
one is validated and emits its webhook events exactly as an API or back-office change would."""

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from sandbox.core import services
from sandbox.core.models import (
    Appointment,
    Employee,
    Inspection,
    Job,
    LineItem,
    Part,
    Shop,
    Vehicle,
    WorkOrder,
)
from sandbox.core.money import cents
from sandbox.core.seeding import catalogues, fakes

Status = WorkOrder.Status
# Used when a shop has never billed labor, so its own rate cannot be read from its records.
DEFAULT_LABOR_RATE = Decimal("135.00")
PAYMENT_METHODS = (("card", 70), ("cash", 10), ("check", 8), ("financing", 12))


class BusyDay:
    """Makes changes in the active shops; `rng` decides every choice, so a seed and the same
    starting database give the same day."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.labor_rates: dict[int, Decimal] = {}
        # (what happens, how often, relative to the others)
        self.actions: tuple[tuple[Callable[[Shop], str | None], int], ...] = (
            (self.new_customer, 2),
            (self.book_appointment, 3),
            (self.open_work_order, 3),
            (self.add_job, 4),
            (self.advance_work_order, 6),
            (self.take_payment, 3),
            (self.complete_inspection, 2),
            (self.restock, 1),
        )

    def step(self) -> list[str]:
        """A handful of changes in one shop; what was done, in words."""
        shops = list(Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("id"))
        if not shops:
            return []
        shop = self.rng.choice(shops)
        actions, weights = zip(*self.actions, strict=True)
        done = []
        for action in self.rng.choices(actions, weights, k=self.rng.randint(2, 5)):
            try:
                result = action(shop)
            except services.Invalid as refusal:
                # The shop's data can drift (a technician leaves); AutoSync refuses, as it should.
                result = f"refused: {refusal.message}"
            if result:
                done.append(f"{shop.name}: {result}")
        return done

    # --- helpers ---------------------------------------------------------------------------

    def pick(self, queryset: QuerySet):
        """A random row of `queryset` (in id order, so a seed repeats), or None."""
        count = queryset.count()
        return queryset.order_by("id")[self.rng.randrange(count)] if count else None

    def technician(self, shop: Shop) -> Employee | None:
        return self.pick(
            shop.employees.filter(role=Employee.Role.TECHNICIAN, status=Employee.Status.ACTIVE)
        )

    def labor_rate(self, shop: Shop) -> Decimal:
        if shop.id not in self.labor_rates:
            billed = LineItem.objects.filter(job__work_order__shop=shop, type=LineItem.Type.LABOR)
            rate = billed.order_by("-id").values_list("unit_price", flat=True).first()
            self.labor_rates[shop.id] = rate or DEFAULT_LABOR_RATE
        return self.labor_rates[shop.id]

    def region(self, shop: Shop) -> catalogues.Region:
        regions = list(catalogues.REGIONS.values())
        return next((r for r in regions if r.state == shop.state), regions[0])

    # --- what happens in a shop ------------------------------------------------------------

    def new_customer(self, shop: Shop) -> str:
        """Someone new walks in with their car."""
        rng, region = self.rng, self.region(shop)
        is_business = rng.random() < 0.1
        first, last = fakes.business(rng) if is_business else fakes.person(rng)
        customer = services.create_customer(
            shop,
            first_name=first,
            last_name=last,
            email=fakes.email(rng, first, last),
            phone=fakes.phone(rng, region),
            is_business=is_business,
            address=fakes.address(rng, region),
        )
        model = rng.choice(catalogues.VEHICLES)
        year = rng.randint(*model.years)
        services.create_vehicle(
            shop,
            customer_id=customer.id,
            year=year,
            make=model.make,
            model=model.model,
            vin=fakes.vin(rng, model, year),
            license_plate=fakes.plate(rng),
            mileage=rng.randint(5, 180) * 1000,
        )
        return f"new customer {customer.name} with a {year} {model.make} {model.model}"

    def book_appointment(self, shop: Shop) -> str | None:
        """A customer books a visit in the next days, during opening hours."""
        vehicle = self.pick(Vehicle.objects.filter(shop=shop))
        if vehicle is None:
            return None
        local = timezone.now().astimezone(ZoneInfo(shop.timezone))
        day = local.date() + timedelta(days=self.rng.randint(1, 10))
        start = datetime(
            day.year,
            day.month,
            day.day,
            self.rng.randint(8, 16),
            self.rng.choice((0, 30)),
            tzinfo=local.tzinfo,
        )
        services.create_appointment(
            shop,
            customer_id=vehicle.customer_id,
            vehicle_id=vehicle.id,
            start_time=start,
            end_time=start + timedelta(minutes=self.rng.choice((30, 60, 90, 120))),
            notes=self.rng.choice(catalogues.APPOINTMENT_NOTES),
        )
        return f"{vehicle.customer.name} booked a visit for {start:%a %H:%M}"

    def open_work_order(self, shop: Shop) -> str | None:
        """A car is checked in: its appointment (if it had one) is done, a work order opens."""
        vehicle = self.pick(Vehicle.objects.filter(shop=shop))
        if vehicle is None:
            return None
        appointment = (
            Appointment.objects.filter(vehicle=vehicle, status=Appointment.Status.SCHEDULED)
            .order_by("start_time")
            .first()
        )
        if appointment is not None:
            services.set_appointment_status(appointment, Appointment.Status.COMPLETED)
        tech = self.technician(shop) if self.rng.random() < 0.7 else None
        work_order = services.create_work_order(
            shop,
            customer_id=vehicle.customer_id,
            vehicle_id=vehicle.id,
            technician_id=tech.id if tech else None,
            notes=self.rng.choice(catalogues.WORK_ORDER_NOTES),
        )
        return f"work order {work_order.number} opened"

    def add_job(self, shop: Shop) -> str | None:
        """A job is written up: labor at the shop's rate, parts off its shelves, fees. Parts
        that run out put the work order on hold for parts."""
        work_order = self.pick(
            shop.work_orders.filter(status__in=(Status.DRAFT, Status.IN_PROGRESS))
        )
        if work_order is None:
            return None
        spec = self.rng.choices(catalogues.JOBS, [j.weight for j in catalogues.JOBS])[0]
        lines = [
            {
                "type": LineItem.Type.LABOR,
                "description": f"Labor: {spec.name}",
                "quantity": spec.labor_hours,
                "unit_price": self.labor_rate(shop),
            }
        ]
        taken: list[tuple[Part, int]] = []
        for key, quantity in spec.parts:
            number = next(p.part_number for p in catalogues.PARTS if p.key == key)
            part = self.pick(shop.parts.filter(part_number__startswith=number))
            if part is None:
                continue
            lines.append(
                {
                    "type": LineItem.Type.PART,
                    "description": part.name,
                    "quantity": quantity,
                    "unit_price": part.price,
                    "part_id": part.id,
                }
            )
            taken.append((part, int(quantity)))
        lines += [
            {"type": LineItem.Type.FEE, "description": name, "quantity": 1, "unit_price": price}
            for name, price in spec.fees
        ]
        services.add_job(work_order, name=spec.name, line_items=lines)
        short = False
        for part, quantity in taken:
            short |= Part.objects.get(pk=part.pk).quantity < quantity
            services.consume_part(part, quantity)
        if short:
            services.update_work_order(work_order, status=Status.WAITING_PARTS)
            return f"{spec.name} added to work order {work_order.number}; waiting for parts"
        return f"{spec.name} added to work order {work_order.number}"

    def advance_work_order(self, shop: Shop) -> str | None:
        """Work moves on: started, held for parts, resumed, completed, invoiced."""
        has_jobs = Exists(Job.objects.filter(work_order=OuterRef("pk")))
        work_order = self.pick(shop.work_orders.filter(has_jobs).exclude(status=Status.INVOICED))
        if work_order is None:
            return None
        roll = self.rng.random()
        changes: dict = {}
        if work_order.status == Status.DRAFT:
            changes["status"] = Status.IN_PROGRESS
            if work_order.technician_id is None and (tech := self.technician(shop)):
                changes["technician_id"] = tech.id
        elif work_order.status == Status.IN_PROGRESS:
            changes["status"] = Status.WAITING_PARTS if roll < 0.15 else Status.COMPLETED
        elif work_order.status == Status.WAITING_PARTS:
            changes["status"] = Status.IN_PROGRESS
        else:  # completed
            changes["status"] = Status.INVOICED
        services.update_work_order(work_order, **changes)
        return f"work order {work_order.number} is {changes['status']}"

    def take_payment(self, shop: Shop) -> str | None:
        """A customer pays at the counter: usually the balance, sometimes part of it."""
        work_order = self.pick(
            shop.work_orders.filter(
                status__in=(Status.COMPLETED, Status.INVOICED), total__gt=F("amount_paid")
            )
        )
        if work_order is None:
            return None
        amount = work_order.balance_due
        if self.rng.random() < 0.15:
            amount = cents(amount / 2)
        methods, weights = zip(*PAYMENT_METHODS, strict=True)
        method = self.rng.choices(methods, weights)[0]
        services.record_payment(work_order, amount=amount, method=method)
        return f"${amount} paid by {method} on work order {work_order.number}"

    def complete_inspection(self, shop: Shop) -> str | None:
        """A technician finishes the digital inspection of a car on the lift and sends it."""
        inspected = Inspection.objects.filter(work_order=OuterRef("pk"))
        work_order = self.pick(
            shop.work_orders.filter(status=Status.IN_PROGRESS).exclude(Exists(inspected))
        )
        if work_order is None:
            return None
        red = self.rng.choice((0, 0, 0, 1, 2))
        yellow = self.rng.randint(0, 4)
        services.complete_inspection(
            work_order, green=self.rng.randint(12, 30), yellow=yellow, red=red
        )
        return f"inspection of work order {work_order.number}: {yellow} yellow, {red} red"

    def restock(self, shop: Shop) -> str | None:
        """The parts delivery arrives for a shelf below its reorder point."""
        part = self.pick(shop.parts.filter(quantity__lt=F("reorder_threshold")))
        if part is None:
            return None
        quantity = part.reorder_threshold * 3 + self.rng.randint(0, 5)
        services.update_part(part, quantity=quantity)
        return f"{part.name} restocked to {quantity}"
