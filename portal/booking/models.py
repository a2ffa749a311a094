"""A shop's booking rules (settings, weekly hours, closed dates, service menu) and the bookings
vehicle owners make through the portal. Free times are decided in `portal.booking.slots`."""

from __future__ import annotations

import hashlib
import secrets
from datetime import time

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models, transaction

from portal import crypto
from portal.shops.models import Shop


class BookingSettings(models.Model):
    """How a shop takes bookings; `for_shop` gives every shop sensible defaults."""

    class Mode(models.TextChoices):
        INSTANT = "instant", "Confirm bookings at once"
        REQUEST = "request", "Staff approve each request"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="booking_settings")
    enabled = models.BooleanField("booking on", default=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.INSTANT)
    slot_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5)], help_text="Visits start every so often."
    )
    capacity = models.PositiveSmallIntegerField(
        "bays",
        default=2,
        validators=[MinValueValidator(1)],
        help_text="How many vehicles the shop takes in at the same time.",
    )
    notice_minutes = models.PositiveIntegerField(
        default=120, help_text="How long before a visit it can be booked at the latest."
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1)],
        help_text="How many days ahead visits can be booked.",
    )
    # The shop's own words on its public booking page (what to expect, where to park).
    public_text = models.TextField(
        "text on the booking page",
        blank=True,
        max_length=2000,
        help_text="Shown to customers above “Book a visit”: what to expect, where to park…",
    )

    class Meta:
        verbose_name_plural = "booking settings"
        constraints = [
            # A slot of zero minutes would never step to the next time.
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gte=5), name="booking_slot_length"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="booking_capacity"),
        ]

    def __str__(self) -> str:
        return f"Booking settings of {self.shop_id}"

    @classmethod
    def for_shop(cls, shop: Shop) -> BookingSettings:
        """The shop's settings. A shop's first look creates them, with weekday opening hours
        and the default service menu, for staff to change."""
        try:
            return cls.objects.get(shop=shop)
        except cls.DoesNotExist:
            pass
        with transaction.atomic():
            settings, created = cls.objects.get_or_create(shop=shop)
            if created:
                OpeningHours.objects.bulk_create(
                    OpeningHours(shop=shop, weekday=day, opens=time(8), closes=time(17))
                    for day in range(5)
                )
                Service.objects.bulk_create(
                    Service(shop=shop, position=n, name=name, description=text, minutes=minutes)
                    for n, (name, text, minutes) in enumerate(Service.DEFAULTS)
                )
        return settings

    def visit_minutes(self, services) -> int:
        """How long a visit for `services` takes: their estimates added up, in whole slots
        (one slot when no service was chosen)."""
        minutes = sum(service.minutes for service in services)
        slots = max(1, -(-minutes // self.slot_minutes))
        return slots * self.slot_minutes


class OpeningHours(models.Model):
    """One opening period of a weekday, in the shop's local time (a day may have several)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        verbose_name_plural = "opening hours"
        ordering = ("weekday", "opens")
        indexes = [models.Index(fields=["shop", "weekday"], name="booking_hours_day")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="booking_hours_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M} to {self.closes:%H:%M}"


class ClosedDate(models.Model):
    """A day the shop takes no visits (a holiday), whatever its weekly hours say."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("date",)
        constraints = [models.UniqueConstraint(fields=["shop", "date"], name="booking_closed_once")]

    def __str__(self) -> str:
        return f"Closed on {self.date}"


class Service(models.Model):
    """An item of the shop's menu that owners pick when they book."""

    #: The menu every shop starts with: name, short description, estimated minutes.
    DEFAULTS = (
        ("Oil and filter change", "New engine oil and filter; fluids topped up.", 30),
        ("Tire rotation", "Tires swapped between positions for even wear; pressures set.", 30),
        ("Brake check", "Pads, rotors and brake fluid checked; we call before any repair.", 30),
        ("Check engine light", "We read the fault codes and find what causes them.", 60),
        ("Scheduled maintenance", "The maker's service for your vehicle's mileage.", 120),
    )

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=255, blank=True)
    minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1)], help_text="About how long it takes."
    )
    position = models.PositiveSmallIntegerField(default=0)
    # Staff retire a service rather than delete it: past bookings keep naming it.
    offered = models.BooleanField(default=True)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.name


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BookingQuerySet(models.QuerySet):
    def holding(self) -> BookingQuerySet:
        """Bookings that hold their time at the shop."""
        return self.filter(state__in=Booking.HOLDING)

    def managed_by(self, token: str) -> BookingQuerySet:
        """The booking whose "manage this booking" link carries `token` (none if no match)."""
        return self.filter(manage_token_hash=_digest(token))


class Booking(models.Model):
    """A visit a vehicle owner booked through the portal, recorded before AutoSync hears of it."""

    class State(models.TextChoices):
        PENDING = "pending", "Received, confirming with the shop"
        CONFIRMED = "confirmed", "Confirmed"
        REQUESTED = "requested", "Requested, waiting for the shop"
        DECLINED = "declined", "Declined by the shop"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Could not be confirmed"

    #: States in which the booking keeps its time from others.
    HOLDING = (State.PENDING, State.CONFIRMED, State.REQUESTED)

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    notes = models.TextField(blank=True, help_text="What the owner wrote in their own words.")
    name = models.CharField(max_length=255)
    email = models.EmailField()
    phone = models.CharField(max_length=32, help_text="In international (E.164) form.")
    vehicle_year = models.PositiveSmallIntegerField()
    vehicle_make = models.CharField(max_length=64)
    vehicle_model = models.CharField(max_length=64)
    vin = models.CharField("VIN", max_length=17, blank=True)
    license_plate = models.CharField(max_length=16, blank=True)
    # What confirming made or found at AutoSync, each kept as soon as it is known so that a
    # retry resumes where the last attempt stopped (portal.booking.confirming).
    customer_remote_id = models.BigIntegerField(null=True, blank=True)
    vehicle_remote_id = models.BigIntegerField(null=True, blank=True)
    appointment_remote_id = models.BigIntegerField(null=True, blank=True)
    # When the appointment was first sent: a later attempt looks for it before sending again.
    appointment_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True, help_text="Why it could not be confirmed.")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Staff's answer (dashboard inbox): approved or declined a request, retried or dealt with
    # a failed booking. `reply` is shown to the owner; `answered_at` takes it off the inbox.
    reply = models.TextField(blank=True, help_text="What the shop answered, shown to the owner.")
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The link's token is looked up by its digest; it is also kept encrypted (portal.crypto)
    # so that emails sent later (confirmed, reminder) can carry the link. See docs/booking.md.
    manage_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    manage_token_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ("starts_at", "id")
        indexes = [
            models.Index(fields=["shop", "starts_at"], name="booking_start"),
            # What the beats look for: reminders to send, pending bookings whose task was lost.
            models.Index(
                fields=["starts_at"],
                condition=models.Q(state="confirmed", reminder_sent_at__isnull=True),
                name="booking_reminder_due",
            ),
            models.Index(
                fields=["updated_at"], condition=models.Q(state="pending"), name="booking_pending"
            ),
            # The dashboard's inbox: requests to answer, failures nobody has dealt with yet.
            models.Index(
                fields=["shop", "starts_at"],
                condition=models.Q(state__in=("requested", "failed"), answered_at__isnull=True),
                name="booking_to_answer",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="booking_time_order"
            )
        ]

    def __str__(self) -> str:
        return f"Booking of {self.name} at {self.starts_at:%Y-%m-%d %H:%M}"

    def issue_manage_token(self) -> str:
        """A new secret for the owner's "manage this booking" link; the caller saves."""
        token = secrets.token_urlsafe(32)
        self.manage_token_hash = _digest(token)
        self.manage_token_encrypted = crypto.encrypt(token)
        return token

    @property
    def manage_token(self) -> str:
        """The secret of the owner's "manage this booking" link, for the emails."""
        return crypto.decrypt(self.manage_token_encrypted)


class BookingDay(models.Model):
    """One row per shop and local day, locked while a booking of that day is decided, so that
    two bookings of one day are decided one after the other (see docs/booking.md)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "day"], name="booking_day_once")]

    def __str__(self) -> str:
        return f"Bookings of {self.day}"


class ChangeRequest(models.Model):
    """An owner's request to change or cancel a visit: their portal booking (from its "manage"
    page or the garage), or an appointment the shop made by phone that the mirror shows them
    (the garage). AutoSync's API cannot change an appointment, so staff handle it (dashboard)."""

    class Kind(models.TextChoices):
        CHANGE = "change", "Change the time"
        CANCEL = "cancel", "Cancel the visit"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for the shop"
        DONE = "done", "Done by the shop"
        DECLINED = "declined", "Declined by the shop"

    #: What it is about: a booking, or else the AutoSync id of a mirrored appointment (not a
    #: foreign key: the mirror may replace its rows; `shop` and this id find it again).
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    appointment_remote_id = models.BigIntegerField(null=True, blank=True)
    # The shop whose inbox it waits in (a booking's own, filled in by `save`).
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    # Where the answer is emailed: the verified email of the owner who asked (a booking's).
    email = models.EmailField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.TextField(blank=True, help_text="What the owner wrote in their own words.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Filled in by staff when they handle the request.
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    reply = models.TextField(blank=True, help_text="What the shop answered, shown to the owner.")
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The inbox: the shop's requests waiting for an answer.
            models.Index(
                fields=["shop", "created_at"],
                condition=models.Q(outcome="pending"),
                name="booking_change_to_answer",
            ),
            # The garage: the requests about an owner's mirrored appointments.
            models.Index(
                fields=["shop", "appointment_remote_id"],
                condition=models.Q(appointment_remote_id__isnull=False),
                name="booking_change_appointment",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(booking__isnull=False, appointment_remote_id__isnull=True)
                    | models.Q(booking__isnull=True, appointment_remote_id__isnull=False)
                ),
                name="booking_change_about_one",
            ),
            # One open request at a time: a second waits until staff answered the first.
            models.UniqueConstraint(
                fields=["booking"],
                condition=models.Q(outcome="pending"),
                name="booking_one_pending_change",
            ),
            models.UniqueConstraint(
                fields=["shop", "appointment_remote_id"],
                condition=models.Q(outcome="pending", appointment_remote_id__isnull=False),
                name="booking_one_pending_appointment_change",
            ),
        ]

    def __str__(self) -> str:
        about = self.booking if self.booking_id else f"appointment #{self.appointment_remote_id}"
        return f"{self.get_kind_display()} of {about}"

    def save(self, *args, **kwargs) -> None:
        """A booking's request waits in the booking's shop and is answered to its email."""
        if self.booking_id is not None:
            if self.shop_id is None:
                self.shop_id = self.booking.shop_id
            if not self.email:
                self.email = self.booking.email
        super().save(*args, **kwargs)


class CalendarVersion(models.Model):
    """A value that changes, in the same transaction, with every row the free times of a shop
    are computed from: its mirrored appointments, its bookings, opening hours, closed dates,
    services and booking settings. The database keeps it (triggers on those tables, migration
    `booking.0005_calendar_version`), so no write escapes it, whatever the code that makes it
    (the mirror's upsert, a bulk update, a cascade). Each change draws a new random value: a
    value is never seen twice for different data, even in tests that roll everything back.

    The pages that list free times keep what they computed under it (`portal.booking.cache`).
    No foreign key: a shop's deletion removes its rows, whose triggers then write here."""

    shop_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"Calendar of shop {self.shop_id}: {self.version}"
