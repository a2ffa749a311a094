"""The outbox: events recorded with the change that caused them, and their deliveries."""

import secrets

from django.db import models

from sandbox.core.models import Account, Shop
from sandbox.oauth.models import OAuthClient

from .destinations import validate_webhook_url


def new_secret() -> str:
    """A webhook signing secret. Kept in plain text: the sender needs it to sign."""
    return f"whsec_{secrets.token_urlsafe(32)}"


class Endpoint(models.Model):
    """An account's own webhook URL (Settings → Webhooks), with its own secret."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(max_length=128, default=new_secret, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """Something happened in a shop; `body` is the exact JSON every delivery sends."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=64)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class Delivery(models.Model):
    """One event to one destination: a client application's URL or an account endpoint.

    A sender owns a delivery while `locked_until` is in the future and `lease_token` is the
    token it claimed it with (see `sender.claim`)."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    client = models.ForeignKey(OAuthClient, null=True, blank=True, on_delete=models.CASCADE)
    endpoint = models.ForeignKey(Endpoint, null=True, blank=True, on_delete=models.CASCADE)
    delivery_id = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # Attempts since the delivery was created or last re-sent: the retry schedule's position.
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                name="delivery_has_one_destination",
                condition=models.Q(client__isnull=True, endpoint__isnull=False)
                | models.Q(client__isnull=False, endpoint__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.delivery_id

    @property
    def destination(self) -> OAuthClient | Endpoint:
        return self.endpoint if self.endpoint_id else self.client


class Attempt(models.Model):
    """One POST of a delivery (or the reason none was made), as the sender saw it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    url = models.URLField(max_length=500, blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery} at {self.started_at}"
