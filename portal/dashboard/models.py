"""What the dashboard keeps of its own: how long a work order may sit in a status before the
board flags it as stuck, per shop (everything else it shows is read from the mirror)."""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from portal.mirror.models import ACTIVE_STATUSES
from portal.shops.models import Shop
from portal.ui.statuses import badge

#: Hours a work order may stay in a status before the board flags it, until a shop sets its
#: own: a draft should be started the same day, a job in the bay done within two, parts
#: arrive within two days.
DEFAULT_HOURS = {"draft": 8, "in_progress": 48, "waiting_parts": 48}
#: The statuses a threshold can be set for: those in which a car waits for the shop (a
#: completed work order waits for its customer, not for the bays).
STUCK_STATUSES = ACTIVE_STATUSES
#: A threshold of more than a year would never flag anything a shop still cares about.
MAX_HOURS = 24 * 366


class StuckThreshold(models.Model):
    """A shop's own threshold for one status; a status without a row uses DEFAULT_HOURS."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=32, choices=[(status, badge(status).label) for status in STUCK_STATUSES]
    )
    hours = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_HOURS)],
        help_text="Flag a work order after this many hours in the status.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "status"], name="dashboard_threshold_once"),
            models.CheckConstraint(
                condition=models.Q(hours__gte=1), name="dashboard_threshold_positive"
            ),
        ]
        ordering = ("shop", "status")

    def __str__(self) -> str:
        return f"{self.status} after {self.hours} h at shop {self.shop_id}"


def thresholds_for(shop: Shop | int) -> dict[str, timedelta]:
    """How long a work order of `shop` may stay in each status of STUCK_STATUSES before the
    board flags it: the shop's own rows over DEFAULT_HOURS (one query).

    The settings form writes `StuckThreshold` rows (one per status, `update_or_create` on
    shop and status, hours from 1 to MAX_HOURS); deleting a row restores the default."""
    hours = dict(DEFAULT_HOURS)
    hours.update(StuckThreshold.objects.filter(shop=shop).values_list("status", "hours"))
    return {status: timedelta(hours=hours[status]) for status in STUCK_STATUSES}
