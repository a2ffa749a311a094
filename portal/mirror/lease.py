"""The per-shop sync lease: a row with an owner and an expiry, taken by a conditional UPDATE.

One statement decides who syncs a shop, on SQLite and PostgreSQL alike, whatever the number
of workers and hosts: `UPDATE … SET owner = me WHERE shop = S AND (expired OR mine)`; one
row changed means the lease is ours. A holder that dies stops renewing and the lease expires,
so a crash never blocks a shop for longer than LEASE_SECONDS.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import SyncState

#: How long a lease outlives its holder's last sign of life (renewed after every request).
LEASE_SECONDS = getattr(settings, "MIRROR_LEASE_SECONDS", 90)


class LeaseBusy(Exception):
    """Another sync of the shop holds the lease; `seconds` until it expires at the latest."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"another sync holds the lease for {seconds:.0f} s more")
        self.seconds = seconds


class LeaseLost(Exception):
    """The lease expired while we held it and someone else took it: stop writing."""


def take(shop_id: int, owner: str, seconds: int = LEASE_SECONDS) -> None:
    """Take the shop's lease for `owner`, or raise LeaseBusy."""
    SyncState.objects.get_or_create(shop_id=shop_id)
    now = timezone.now()
    taken = (
        SyncState.objects.filter(shop_id=shop_id)
        .filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(lease_owner=owner)
        )
        .update(lease_owner=owner, lease_expires_at=now + timedelta(seconds=seconds))
    )
    if not taken:
        expires = (
            SyncState.objects.filter(shop_id=shop_id)
            .values_list("lease_expires_at", flat=True)
            .first()
        )
        raise LeaseBusy(max(1.0, (expires - now).total_seconds()) if expires else 1.0)


def renew(shop_id: int, owner: str, seconds: int = LEASE_SECONDS) -> None:
    """Extend a lease we hold; LeaseLost if it is no longer ours."""
    renewed = SyncState.objects.filter(shop_id=shop_id, lease_owner=owner).update(
        lease_expires_at=timezone.now() + timedelta(seconds=seconds)
    )
    if not renewed:
        raise LeaseLost(f"the sync lease of shop {shop_id} was taken over")


def release(shop_id: int, owner: str) -> None:
    SyncState.objects.filter(shop_id=shop_id, lease_owner=owner).update(
        lease_owner="", lease_expires_at=None
    )


def held(shop_id: int) -> bool:
    return SyncState.objects.filter(shop_id=shop_id, lease_expires_at__gte=timezone.now()).exists()
