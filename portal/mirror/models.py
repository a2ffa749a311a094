"""The mirror: each shop's AutoSync records as the portal last saw them, and the sync's books.

Every mirrored row is unique on (shop, remote_id), keeps the columns pages query, the last
payload AutoSync sent, and its clock: `observed_at` (when the data was seen: a request's send
time or a webhook's `timestamp`), `remote_updated_at` (AutoSync's own `updated_at`, when it
sends one) and `confirmed_at`. Writes go through `portal.mirror.upsert`, which never lets older
data overwrite newer data.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from portal.shops.models import Shop

#: Work order statuses that are still moving (the `status` filter polls each).
OPEN_STATUSES = ("draft", "in_progress", "waiting_parts", "completed")
#: Open work orders a customer follows live: their detail is always mirrored. A completed
#: one waits for its invoice (a large shop has thousands): its detail is fetched when it
#: changes or someone looks at it.
ACTIVE_STATUSES = ("draft", "in_progress", "waiting_parts")
#: A work order's statuses in the order a job usually moves through them.
STATUS_ORDER = (*OPEN_STATUSES, "invoiced")


class MirroredQuerySet(models.QuerySet):
    def live(self) -> MirroredQuerySet:
        """Rows AutoSync still has (a full reconciliation marks the others `removed_at`)."""
        return self.filter(removed_at__isnull=True)

    def of(self, shop: Shop | int) -> MirroredQuerySet:
        """Rows of one shop (a Shop or its pk)."""
        return self.filter(shop=shop)


class WorkOrderQuerySet(MirroredQuerySet):
    def open(self) -> WorkOrderQuerySet:
        """Still moving: not invoiced yet (the open poll lists each of these statuses)."""
        return self.filter(status__in=OPEN_STATUSES)

    def active(self) -> WorkOrderQuerySet:
        """Being worked on: draft, in progress or waiting for parts (detail always mirrored)."""
        return self.filter(status__in=ACTIVE_STATUSES)


class MirroredRecord(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    remote_id = models.BigIntegerField()
    payload = models.JSONField(default=dict)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    observed_at = models.DateTimeField()
    confirmed_at = models.DateTimeField()
    # Set by a full reconciliation that no longer found the record at AutoSync.
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = MirroredQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "remote_id"], name="%(app_label)s_%(class)s_unique_remote"
            )
        ]

    def __str__(self) -> str:
        return f"{type(self).__name__} #{self.remote_id}"


class Customer(MirroredRecord):
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=64, blank=True)
    is_business = models.BooleanField(default=False)
    remote_created_at = models.DateTimeField(null=True, blank=True)

    class Meta(MirroredRecord.Meta):
        indexes = [
            models.Index(fields=["shop", "email"], name="mirror_customer_email"),
            # A vehicle owner's records across shops, found by email in any case.
            models.Index(Lower("email"), name="mirror_customer_email_ci"),
            models.Index(fields=["shop", "remote_created_at"], name="mirror_customer_created"),
        ]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Vehicle(MirroredRecord):
    customer_remote_id = models.BigIntegerField(null=True, blank=True)
    year = models.IntegerField(null=True, blank=True)
    make = models.CharField(max_length=255, blank=True)
    model = models.CharField(max_length=255, blank=True)
    vin = models.CharField(max_length=32, blank=True)
    license_plate = models.CharField(max_length=32, blank=True)
    mileage = models.IntegerField(null=True, blank=True)

    class Meta(MirroredRecord.Meta):
        indexes = [models.Index(fields=["shop", "customer_remote_id"], name="mirror_vehicle_owner")]


class WorkOrder(MirroredRecord):
    number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=32)
    customer_remote_id = models.BigIntegerField(null=True, blank=True)
    customer_name = models.CharField(max_length=255, blank=True)
    vehicle_remote_id = models.BigIntegerField(null=True, blank=True)
    technician_remote_id = models.BigIntegerField(null=True, blank=True)
    technician_name = models.CharField(max_length=255, blank=True)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    notes = models.TextField(blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # From the detail (GET one) only; None until a detail was mirrored.
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    balance_due = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    detail_observed_at = models.DateTimeField(null=True, blank=True)
    # Set by pages while a person looks at the work order: the open poll fetches its detail.
    wanted_until = models.DateTimeField(null=True, blank=True)

    objects = WorkOrderQuerySet.as_manager()

    class Meta(MirroredRecord.Meta):
        indexes = [
            models.Index(fields=["shop", "customer_remote_id"], name="mirror_wo_customer"),
            models.Index(fields=["shop", "status"], name="mirror_wo_status"),
            models.Index(fields=["shop", "vehicle_remote_id"], name="mirror_wo_vehicle"),
            # Work orders opened in a period (the dashboard's car count reads the vehicle and
            # whether the row is live from the index alone).
            models.Index(
                fields=["shop", "remote_created_at", "vehicle_remote_id", "removed_at"],
                name="mirror_wo_opened",
            ),
            # The dashboard's average repair order: work orders completed in a period.
            models.Index(fields=["shop", "completed_at"], name="mirror_wo_completed"),
            # The dashboard's refresh: the shop's latest change, read from the index's end.
            models.Index(fields=["shop", "remote_updated_at"], name="mirror_wo_updated"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def status_history(self) -> list[WorkOrderStatus]:
        """The statuses seen, oldest first, a repeat of the previous status left out.

        Webhook timestamps are whole seconds: statuses seen in the same second are put in
        workflow order, so the history does not depend on the order deliveries arrived in."""

        def rank(entry: WorkOrderStatus) -> tuple:
            order = STATUS_ORDER.index(entry.status) if entry.status in STATUS_ORDER else 99
            return (entry.seen_at.replace(microsecond=0), order, entry.seen_at)

        history: list[WorkOrderStatus] = []
        for entry in sorted(self.statuses.all(), key=rank):
            if not history or history[-1].status != entry.status:
                history.append(entry)
        return history

    def want(self, seconds: int = 300) -> None:
        """A person is looking: keep its detail fresh for a while (the open poll reads this).

        Writes only when less than half the window is left, so repeat views and polls of a
        work order someone keeps open stay read-only (one UPDATE every `seconds / 2` at most)."""
        now = timezone.now()
        if self.wanted_until is not None and self.wanted_until - now > timedelta(
            seconds=seconds / 2
        ):
            return
        self.wanted_until = now + timedelta(seconds=seconds)
        WorkOrder.objects.filter(pk=self.pk).update(wanted_until=self.wanted_until)


class WorkOrderStatus(models.Model):
    """One status of a work order as the portal saw it, and when it saw it."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(max_length=32)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "status", "seen_at"], name="mirror_wo_status_seen_once"
            )
        ]
        ordering = ("seen_at", "id")

    def __str__(self) -> str:
        return f"{self.status} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class Job(models.Model):
    """A job of a work order, from its detail; replaced whole when a newer detail arrives."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    remote_id = models.BigIntegerField()
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="jobs")
    name = models.CharField(max_length=255, blank=True)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "remote_id"], name="mirror_job_unique_remote")
        ]
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.name


class LineItem(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    remote_id = models.BigIntegerField()
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="line_items")
    type = models.CharField(max_length=16)
    description = models.CharField(max_length=255, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    part_remote_id = models.BigIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "remote_id"], name="mirror_line_unique_remote")
        ]
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.description


class Appointment(MirroredRecord):
    customer_remote_id = models.BigIntegerField(null=True, blank=True)
    vehicle_remote_id = models.BigIntegerField(null=True, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=32, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)

    class Meta(MirroredRecord.Meta):
        indexes = [
            models.Index(fields=["shop", "start_time"], name="mirror_appt_start"),
            models.Index(fields=["shop", "customer_remote_id"], name="mirror_appt_customer"),
            # The dashboard's refresh: the latest sighting (a cancellation has no updated_at).
            models.Index(fields=["shop", "observed_at"], name="mirror_appt_observed"),
        ]


class Payment(MirroredRecord):
    work_order_remote_id = models.BigIntegerField(null=True, blank=True)
    customer_remote_id = models.BigIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    method = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=32, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    # When the mirror first saw as refunded a payment it had seen taken: AutoSync marks a
    # refund without saying when. None for a payment that was refunded when first seen.
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta(MirroredRecord.Meta):
        indexes = [
            models.Index(fields=["shop", "work_order_remote_id"], name="mirror_payment_wo"),
            models.Index(fields=["shop", "customer_remote_id"], name="mirror_payment_customer"),
            # The dashboard's revenue per day, week and month (read from the index alone: a
            # month of payments is thousands of rows), and its recent payments.
            models.Index(
                fields=[
                    "shop",
                    "remote_created_at",
                    "status",
                    "amount",
                    "refunded_at",
                    "removed_at",
                ],
                name="mirror_payment_taken",
            ),
            # The dashboard's refunds per day, and its refresh (the latest sighting).
            models.Index(fields=["shop", "refunded_at"], name="mirror_payment_refunded"),
            models.Index(fields=["shop", "observed_at"], name="mirror_payment_observed"),
        ]


class Part(MirroredRecord):
    part_number = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=255, blank=True)
    quantity = models.IntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    reorder_threshold = models.IntegerField(null=True, blank=True)

    class Meta(MirroredRecord.Meta):
        indexes = [
            # The dashboard's refresh: the shop's latest stock change, read from the index's end.
            models.Index(fields=["shop", "remote_updated_at"], name="mirror_part_updated"),
        ]


class Employee(MirroredRecord):
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=32, blank=True)


class ShopNotice(models.Model):
    """An event the pages show as it came: a finished inspection, a part running low."""

    class Kind(models.TextChoices):
        INSPECTION = "inspection", "Inspection completed"
        LOW_STOCK = "low_stock", "Low stock"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    remote_id = models.BigIntegerField(help_text="The inspection's or the part's id.")
    work_order_remote_id = models.BigIntegerField(null=True, blank=True)
    customer_remote_id = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "kind", "remote_id", "occurred_at"], name="mirror_notice_once"
            )
        ]
        ordering = ("-occurred_at",)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.remote_id}"


class WebhookEvent(models.Model):
    """A verified delivery, recorded before it is answered; processed later by a task."""

    key = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=64)
    shop_remote_id = models.BigIntegerField(null=True, blank=True)
    timestamp = models.CharField(max_length=64, blank=True)
    body = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    outcome = models.CharField(max_length=64, blank=True)
    # The body's SHA-256: a resend under a new delivery id is the same event (null on rows
    # recorded before it was kept).
    digest = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        indexes = [
            models.Index(fields=["processed_at", "received_at"], name="mirror_event_todo"),
            models.Index(fields=["received_at"], name="mirror_event_received"),
            # A shop's deliveries of the last day, and its latest (the dashboard's health).
            models.Index(fields=["shop_remote_id", "received_at"], name="mirror_event_shop"),
        ]
        ordering = ("received_at", "id")

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class SyncState(models.Model):
    """One per shop: the lease that keeps two syncs of a shop apart, and what is done."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="sync_state")
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    full_synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sync of {self.shop}"


class ResourceState(models.Model):
    """Per shop and resource: AutoSync's total at the last look, last success, last error,
    and when the mirror first held all of it (see portal.mirror.books)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=32)
    remote_total = models.IntegerField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # Records AutoSync sent that could not be mirrored (see records.Unmappable): counted since
    # the last full listing of the resource began, and the last one's warning.
    skipped = models.PositiveIntegerField(default=0)
    last_skipped = models.CharField(max_length=255, blank=True)
    # When every page of the resource was first read: until then pages say it is still
    # arriving (and booking stays closed until the appointments are complete).
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "resource"], name="mirror_resource_once")
        ]

    def __str__(self) -> str:
        return f"{self.resource} of {self.shop}"


class SyncRun(models.Model):
    """One requested sync of a shop, recorded before it is queued (the sweeper finds it)."""

    class Mode(models.TextChoices):
        FULL = "full", "Full"
        INCREMENTAL = "incremental", "Incremental"
        OPEN = "open", "Open work orders"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        PAUSED = "paused", "Paused"
        SKIPPED = "skipped", "Skipped"

    class WaitReason(models.TextChoices):
        BUDGET = "budget", "Waiting for AutoSync's request limit"
        LEASE = "lease", "Waiting for another sync of the shop"
        RETRY = "retry", "Waiting to try again after an error"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sync_runs")
    mode = models.CharField(max_length=16, choices=Mode.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    # Why the run waits until `not_before` (set with it; cleared when the run runs again).
    wait_reason = models.CharField(max_length=16, choices=WaitReason.choices, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    # Records of this run that could not be mirrored (each logged with resource, id, field).
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "shop"], name="mirror_run_active")]
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_mode_display()} sync of {self.shop} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def pause(self) -> str:
        """Why an active run waits, in plain words ("" when it does not): for the sync page."""
        if not self.is_active or not self.wait_reason or self.not_before is None:
            return ""
        seconds = max(1, round((self.not_before - timezone.now()).total_seconds()))
        return {
            self.WaitReason.BUDGET: f"waiting for AutoSync's request limit, about {seconds} s",
            self.WaitReason.LEASE: f"waiting for another sync of this shop, about {seconds} s",
            self.WaitReason.RETRY: f"trying again after an error in about {seconds} s",
        }.get(self.wait_reason, "")


class RunProgress(models.Model):
    """How far a run got in one resource: pages done of the total AutoSync reported."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="progress")
    resource = models.CharField(max_length=32)
    done = models.IntegerField(default=0)
    total = models.IntegerField(null=True, blank=True)
    next_page = models.IntegerField(default=1)
    finished = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "resource"], name="mirror_progress_once")
        ]

    def __str__(self) -> str:
        return f"{self.resource}: {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.done / self.total))


class RequestCount(models.Model):
    """Requests sent to AutoSync per shop, resource and minute (for `sync_status`)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=32)
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "resource", "minute"], name="mirror_request_minute"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.resource} requests at {self.minute}"


class WebhookRefusal(models.Model):
    """Webhook deliveries the receiver refused (a bad signature, a body that is not an
    AutoSync event), counted per hour and reason, and per shop when the body names a shop the
    portal knows: the health page shows them. A counter, not the deliveries: an unsigned body
    is not kept, and a flood of refusals adds to a few rows."""

    class Reason(models.TextChoices):
        SIGNATURE = "signature", "Missing or bad signature"
        MALFORMED = "malformed", "Not an AutoSync event"

    hour = models.DateTimeField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    # The AutoSync shop id the body named if the portal knows that shop, else 0 (unverified
    # when the signature is bad: a hint for the shop's staff, never trusted for anything else).
    shop_remote_id = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop_remote_id", "hour", "reason"], name="mirror_refusal_hour"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} refused ({self.reason}) at {self.hour}"
