"""What the mirror does when shops connect or disconnect (signals of portal.shops)."""

from __future__ import annotations

import logging

from django.db.models.signals import post_save
from django.dispatch import receiver

from portal.shops.models import Shop
from portal.shops.signals import shop_disconnected

from . import books
from . import models as m
from .resources import REGISTRY

log = logging.getLogger(__name__)


@receiver(post_save, sender=Shop, dispatch_uid="mirror_first_sync")
def start_first_sync(sender, instance: Shop, created: bool, raw: bool = False, **kwargs) -> None:
    """A shop connected (or reconnected) that was never fully mirrored gets its first full
    sync, queued when the connecting transaction commits."""
    if raw or not instance.is_syncable:
        return
    if m.SyncState.objects.filter(shop=instance, full_synced_at__isnull=False).exists():
        return
    from .tasks import request_sync

    request_sync(instance.pk, m.SyncRun.Mode.FULL)


@receiver(shop_disconnected, dispatch_uid="mirror_forget_personal_data")
def forget_personal_data(sender, shop: Shop, **kwargs) -> None:
    """Inside the disconnect transaction: the shop's people and what hangs off them go
    (customers, vehicles, work orders with their jobs and history, appointments, payments,
    staff, notices). Parts stay: they are the shop's catalogue, not personal data."""
    personal = [name for name in REGISTRY if name != "inventory"]
    m.ShopNotice.objects.filter(shop=shop).delete()
    for name in personal:  # work orders cascade to jobs, line items and status history
        REGISTRY[name].model.objects.of(shop).delete()
    books.forget_completeness(shop, personal)
    m.WebhookEvent.objects.filter(shop_remote_id=shop.remote_id).delete()
    m.SyncRun.objects.filter(
        shop=shop, status__in=(m.SyncRun.Status.PENDING, m.SyncRun.Status.RUNNING)
    ).update(status=m.SyncRun.Status.PAUSED, error="the shop was disconnected")
    m.SyncState.objects.filter(shop=shop).update(full_synced_at=None)
    log.info("Removed the mirrored personal data of shop %s", shop.pk)
