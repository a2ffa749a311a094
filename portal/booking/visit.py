"""The visit an owner is booking, kept in their session from one step to the next.

Each step stores what its form cleaned, as JSON, under the step's name; a step is done when
its data is there. Going back shows what was entered, and a page opened out of order sends
the owner to the first step still to do. One visit per session: starting at another shop
starts afresh. The session is server-side (the database), so nothing an owner could tamper
with travels in hidden fields; `book` checks everything again anyway."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest

from portal.shops.models import Shop

#: The steps, in order.
STEPS = ("what", "vehicle", "when", "who", "review")
SESSION_KEY = "booking_visit"
#: The booking just made, for the confirmation page: its id and the manage link's secret.
BOOKED_KEY = "booking_booked"


@dataclass
class Visit:
    shop_id: int
    data: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def of(cls, request: HttpRequest, shop: Shop) -> Visit:
        stored = request.session.get(SESSION_KEY) or {}
        if stored.get("shop_id") != shop.pk:
            return cls(shop.pk)
        return cls(shop.pk, stored.get("data") or {})

    def save(self, request: HttpRequest) -> None:
        request.session[SESSION_KEY] = {"shop_id": self.shop_id, "data": self.data}

    def first_missing(self, step: str) -> str | None:
        """The first step before `step` that is not done yet."""
        return next((s for s in STEPS[: STEPS.index(step)] if s not in self.data), None)

    @staticmethod
    def forget(request: HttpRequest) -> None:
        request.session.pop(SESSION_KEY, None)
