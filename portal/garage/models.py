"""What the garage keeps of its own: owners' sign-in requests, the emails it sent them (so each
event is told once), and the kinds of email an owner turned off. Everything else it shows is
the mirror's."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from portal.shops.models import Shop


class SignInRequest(models.Model):
    """One "email me a way in": a link and a 6-digit code, both good for one sign-in within
    15 minutes (see `portal.garage.signin`).

    Neither is stored: the link's token as its SHA-256, the code as a keyed hash (six digits
    hashed plainly would be reversed by trying all of them). Both are made by the worker that
    sends the email, and only for an address some connected shop has as a customer: a request
    for any other address stays without them, so nothing can sign in through it."""

    class End(models.TextChoices):
        USED = "used", "Used to sign in"
        REPLACED = "replaced", "Replaced by a newer request"
        SPENT = "spent", "Too many wrong codes"

    email = models.CharField(max_length=254)  # lower-cased
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    #: Where to go once signed in (a path of this site, checked when the request was made).
    next_url = models.CharField(max_length=2000, blank=True)
    link_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    code_digest = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    wrong_codes = models.PositiveSmallIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_because = models.CharField(max_length=16, choices=End.choices, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["email", "ended_at"], name="garage_signin_open"),
            models.Index(fields=["created_at"], name="garage_signin_created"),
        ]

    def __str__(self) -> str:
        return f"Sign-in request #{self.pk}"


class Notification(models.Model):
    """An email the garage owes an owner for one event at one shop. Recorded once per (kind,
    shop, remote id) before anything is sent, and claimed before sending, so a webhook that
    arrives twice, or a task that runs twice, sends at most one email."""

    class Kind(models.TextChoices):
        READY = "ready", "Ready for pickup"
        INSPECTION = "inspection", "Inspection report sent"
        PAYMENT = "payment", "Payment received"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    remote_id = models.BigIntegerField(help_text="The work order's, inspection's or payment's id.")
    customer_remote_id = models.BigIntegerField(null=True, blank=True)
    work_order_remote_id = models.BigIntegerField(null=True, blank=True)
    #: What the email says beyond the mirror's rows: an inspection's counts, a payment's amount.
    details = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "shop", "remote_id"], name="garage_notification_once"
            )
        ]
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.remote_id}"


class TurnedOff(models.Model):
    """A kind of email an owner does not want (from the preferences page or an unsubscribe
    link): one row per email and kind. No row, the email is sent."""

    email = models.CharField(max_length=254)  # lower-cased
    kind = models.CharField(max_length=16, choices=Notification.Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "kind"], name="garage_turned_off_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} off"
