"""What the garage does when the mirror applies an event, or a shop disconnects."""

from __future__ import annotations

from django.dispatch import receiver

from portal.mirror.signals import event_applied
from portal.shops.models import Shop
from portal.shops.signals import shop_disconnected

from . import notify
from .models import Notification


@receiver(event_applied, dispatch_uid="garage_notify")
def notify_owner(sender, shop: Shop, name: str, data: dict, timestamp, **kwargs) -> None:
    """An event an owner is told about (ready for pickup, an inspection, a payment)."""
    notify.record(shop, name, data, timestamp)


@receiver(shop_disconnected, dispatch_uid="garage_forget_notifications")
def forget_notifications(sender, shop: Shop, **kwargs) -> None:
    """The shop's customers are forgotten: so is what the garage told them."""
    Notification.objects.filter(shop=shop).delete()
