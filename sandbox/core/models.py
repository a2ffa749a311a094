"""AutoSync's records. Every write goes through `sandbox.core.services`, never `.save()`."""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.db import models


class Account(models.Model):
    """A business; it owns one or more shops and its users log in to AutoSync."""

    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in to AutoSync. Superusers may have no account."""

    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="users"
    )


class Shop(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="shops")
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    location_count = models.PositiveIntegerField(default=1)
    timezone = models.CharField(max_length=64, default="America/New_York")
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    street = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=255, blank=True)
    zip = models.CharField(max_length=32, blank=True)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal("0.0800"))
    last_work_order_number = models.PositiveIntegerField(default=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A secret key reaching every shop of its account with every scope; stored as SHA-256."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=255, default="Default")
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class Customer(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="customers")
    first_name = models.CharField(max_length=255)
    last_name = models.CharField(max_length=255)
    email = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=255, blank=True)
    phone_digits = models.CharField(max_length=255, blank=True, editable=False)
    is_business = models.BooleanField(default=False)
    street = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=255, blank=True)
    zip = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "created_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Vehicle(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="vehicles")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vehicles")
    year = models.PositiveIntegerField()
    make = models.CharField(max_length=255)
    model = models.CharField(max_length=255)
    vin = models.CharField(max_length=17, blank=True, db_index=True)
    license_plate = models.CharField(max_length=32, blank=True, db_index=True)
    mileage = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.year} {self.make} {self.model}"


class Employee(models.Model):
    class Role(models.TextChoices):
        TECHNICIAN = "technician"
        SERVICE_WRITER = "service_writer", "Service writer"
        MANAGER = "manager"

    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="employees")
    first_name = models.CharField(max_length=255)
    last_name = models.CharField(max_length=255)
    email = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=32, choices=Role.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def short_name(self) -> str:
        """As the reference shows technicians: "Dave M."."""
        return (
            f"{self.first_name} {self.last_name[:1]}.".strip()
            if self.last_name
            else self.first_name
        )


class WorkOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        IN_PROGRESS = "in_progress", "In progress"
        WAITING_PARTS = "waiting_parts", "Waiting for parts"
        COMPLETED = "completed"
        INVOICED = "invoiced"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="work_orders")
    number = models.CharField(max_length=32, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="work_orders")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="work_orders")
    technician = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(blank=True)
    # Derived from the jobs by services.recompute_totals(); stored so lists need no joins.
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "status"]),
            models.Index(fields=["shop", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Work order {self.number}"

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.amount_paid


class Job(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="jobs")
    name = models.CharField(max_length=255)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    def __str__(self) -> str:
        return self.name


class LineItem(models.Model):
    class Type(models.TextChoices):
        LABOR = "labor"
        PART = "part"
        FEE = "fee"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="line_items")
    type = models.CharField(max_length=8, choices=Type.choices)
    description = models.CharField(max_length=255)
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    part = models.ForeignKey(
        "Part", null=True, blank=True, on_delete=models.SET_NULL, related_name="line_items"
    )

    def __str__(self) -> str:
        return self.description


class Appointment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        CANCELLED = "cancelled"
        COMPLETED = "completed"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="appointments")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="appointments")
    vehicle = models.ForeignKey(
        Vehicle, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    start_time = models.DateTimeField(db_index=True)
    end_time = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Appointment {self.pk} at {self.start_time:%Y-%m-%d %H:%M}"


class Payment(models.Model):
    class Method(models.TextChoices):
        CARD = "card"
        CASH = "cash"
        CHECK = "check"
        FINANCING = "financing"
        OTHER = "other"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"
        REFUNDED = "refunded"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="payments")
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="payments")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.CARD)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUCCEEDED)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Payment {self.pk} of {self.amount}"


class Part(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="parts")
    part_number = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    quantity = models.IntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    price = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    reorder_threshold = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"


class Inspection(models.Model):
    """A digital vehicle inspection (DVI): findings graded green, yellow and red."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="inspections")
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="inspections")
    green = models.PositiveIntegerField(default=0)
    yellow = models.PositiveIntegerField(default=0)
    red = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Inspection {self.pk}"
