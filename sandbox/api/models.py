"""The API's own state: request counts of the rate limiter."""

from django.db import models


class RateCounter(models.Model):
    """Requests made by one credential in one fixed window; shared by every server process."""

    key = models.CharField(max_length=128)
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="unique_rate_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"
