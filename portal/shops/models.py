"""Shops, the AutoSync grant that reaches them (a connection), their teams and invites."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal import crypto
from portal.autosync.oauth import TokenResponse
from portal.autosync.text import clean
from portal.shops import slugs


class Connection(models.Model):
    """One AutoSync OAuth grant: the tokens (encrypted) and the health of the link."""

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NEEDS_RECONNECTING = "needs_reconnecting", "Needs reconnecting"
        DISCONNECTED = "disconnected", "Disconnected"

    status = models.CharField(max_length=32, choices=Status.choices, default=Status.CONNECTED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_reason = models.CharField(max_length=255, blank=True)
    scope = models.TextField(blank=True)
    # Fernet ciphertexts (portal.crypto); the plain tokens never touch the database.
    access_token_encrypted = models.TextField(blank=True, editable=False)
    refresh_token_encrypted = models.TextField(blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_count = models.PositiveIntegerField(default=0)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"AutoSync connection #{self.pk} ({self.get_status_display()})"

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED

    @property
    def access_token(self) -> str:
        return crypto.decrypt(self.access_token_encrypted) if self.access_token_encrypted else ""

    @property
    def refresh_token(self) -> str:
        return crypto.decrypt(self.refresh_token_encrypted) if self.refresh_token_encrypted else ""

    def store_tokens(self, tokens: TokenResponse) -> None:
        """Keep what the token endpoint issued, encrypted; the caller saves."""
        self.access_token_encrypted = crypto.encrypt(tokens.access_token)
        if tokens.refresh_token:
            self.refresh_token_encrypted = crypto.encrypt(tokens.refresh_token)
        # No expiry given: assume the documented hour rather than "never".
        self.access_token_expires_at = tokens.expires_at or timezone.now() + timedelta(hours=1)
        if tokens.scope:
            self.scope = tokens.scope

    def forget_tokens(self) -> None:
        self.access_token_encrypted = ""
        self.refresh_token_encrypted = ""
        self.access_token_expires_at = None

    def set_status(self, status: str, reason: str = "") -> None:
        self.status = status
        self.status_reason = reason
        self.status_changed_at = timezone.now()

    def expires_within(self, seconds: int, now: datetime | None = None) -> bool:
        if self.access_token_expires_at is None:
            return True
        return self.access_token_expires_at <= (now or timezone.now()) + timedelta(seconds=seconds)


class ShopQuerySet(models.QuerySet):
    def for_user(self, user) -> ShopQuerySet:
        """The shops `user` is a member of: everything else does not exist for them."""
        return self.filter(memberships__user=user)

    def syncable(self) -> ShopQuerySet:
        """The shops the sync may work on: still granted, on a healthy connection."""
        return self.filter(granted=True, connection__status=Connection.Status.CONNECTED)


class Shop(models.Model):
    """An AutoSync shop mirrored by the portal (one row per AutoSync shop id)."""

    remote_id = models.BigIntegerField(unique=True, help_text="The shop's id at AutoSync.")
    name = models.CharField(max_length=255)
    # The portal's slug, unique, kept when the name changes (links stay valid); AutoSync's
    # own slug is unique only within one AutoSync account.
    slug = models.SlugField(max_length=slugs.MAX_LENGTH, unique=True, editable=False)
    remote_slug = models.CharField(max_length=255, blank=True)
    remote_status = models.CharField(max_length=32, blank=True)
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="shops"
    )
    # False when the latest grant no longer reaches this shop (the owner unticked it).
    granted = models.BooleanField(default=True)
    # Public details from AutoSync's shop record (see keep_public_details).
    timezone = models.CharField(max_length=64, default="UTC", help_text="An IANA time zone.")
    phone = models.CharField(max_length=32, blank=True)
    email = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=255, blank=True)
    tax_rate = models.DecimalField(
        max_digits=6, decimal_places=4, default=Decimal(0), help_text="0.0725 is 7.25 %."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShopQuerySet.as_manager()

    #: The ISO code amounts are shown in (`{{ total|money:shop.currency }}`). AutoSync's API
    #: does not say a shop's currency and its reference shows dollars; when it does, this
    #: becomes a mirrored field and the pages stay as they are.
    currency = "USD"

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugs.unique_slug(self.name, Shop.objects.exclude(pk=self.pk))
        super().save(*args, **kwargs)

    @property
    def zone(self) -> ZoneInfo:
        """The shop's time zone: its opening hours and appointments are in its local time."""
        return ZoneInfo(self.timezone)

    def keep_public_details(self, remote: dict) -> None:
        """Take the public details from AutoSync's shop record; the caller saves.

        The API reference promises none of these fields, so one that is missing or unreadable
        leaves what the portal already had."""
        if _is_zone(zone := remote.get("timezone")):
            self.timezone = zone
        for name, limit in (("phone", 32), ("email", 255)):
            if isinstance(remote.get(name), str):
                setattr(self, name, clean(remote[name])[:limit])
        if isinstance(address := remote.get("address"), dict):
            self.address = _one_line(address)[:255]
        if (rate := _rate(remote.get("tax_rate"))) is not None:
            self.tax_rate = rate

    @property
    def is_syncable(self) -> bool:
        """What the sync honours: stop when disconnected, pause when a reconnect is needed."""
        return self.granted and self.connection is not None and self.connection.is_connected

    @property
    def health(self) -> str:
        if self.connection is None:
            return Connection.Status.DISCONNECTED
        if not self.granted and self.connection.is_connected:
            return "not_granted"
        return self.connection.status

    def health_label(self) -> str:
        if self.health == "not_granted":
            return "No longer granted"
        return Connection.Status(self.health).label


def _is_zone(name) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _rate(value) -> Decimal | None:
    """A tax rate from 0 up to 1, to four places (0.0725 is 7.25 %), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        return None
    return rate.quantize(Decimal("0.0001")) if rate.is_finite() and 0 <= rate < 1 else None


def _one_line(address: dict) -> str:
    """`{"street", "city", "state", "zip"}` as "12 Main St, Springfield, IL 62701"."""

    def part(name: str) -> str:
        return clean(str(address.get(name) or ""))

    region = " ".join(filter(None, (part("state"), part("zip"))))
    return ", ".join(filter(None, (part("street"), part("city"), region)))


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    STAFF = "staff", "Staff"


#: Only owners change roles or the connection; owners and managers build the team.
OWNERS = frozenset({Role.OWNER})
MANAGERS = frozenset({Role.OWNER, Role.MANAGER})


class Membership(models.Model):
    """A staff user's place in a shop's team."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "shop"], name="one_membership")]
        ordering = ("shop", "user__email")

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) at {self.shop}"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def can_invite(self) -> bool:
        """Owners and managers build the team; only owners change roles or the connection."""
        return self.role in MANAGERS

    def invitable_roles(self) -> list[tuple[str, str]]:
        if self.is_owner:
            return list(Role.choices)
        return [(Role.STAFF.value, Role.STAFF.label)] if self.can_invite else []


class Invite(models.Model):
    """An owner asked someone to join a shop's team; the emailed link is signed and expires."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STAFF)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            # Inviting again resends the pending invite; it never makes a second one.
            models.UniqueConstraint(
                fields=["shop", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="one_pending_invite",
            )
        ]

    def __str__(self) -> str:
        return f"Invite of {self.email} to {self.shop}"
