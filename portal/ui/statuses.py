"""How a work order's status reads and looks, for every status AutoSync has.

AutoSync's reference lists draft, in_progress, waiting_parts, completed and invoiced. The tone
names a badge colour in static/css/components.css (`.badge.tone-<tone>`), each checked for WCAG
AA contrast there; a status AutoSync adds later reads as its own words in a neutral badge.
"""

from __future__ import annotations

from typing import NamedTuple


class Badge(NamedTuple):
    label: str
    tone: str


WORK_ORDER_STATUSES: dict[str, Badge] = {
    "draft": Badge("Draft", "neutral"),
    "in_progress": Badge("In progress", "info"),
    "waiting_parts": Badge("Waiting for parts", "warn"),
    "completed": Badge("Completed", "ok"),
    "invoiced": Badge("Invoiced", "done"),
}


def work_order_badge(status: str) -> Badge:
    return WORK_ORDER_STATUSES.get(status) or Badge(
        status.replace("_", " ").capitalize(), "neutral"
    )
