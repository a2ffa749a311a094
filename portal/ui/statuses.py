"""How a record's status reads and looks: one map for every status AutoSync has.

The statuses are those of AutoSync's reference (work orders) and of its records as served
(appointments, payments). The tone names a badge colour in static/css/components.css
(`.tone-<tone>`, each checked for WCAG AA contrast in tokens.css); a status AutoSync adds
later reads as its own words in a neutral badge.
"""

from __future__ import annotations

from typing import NamedTuple


class Badge(NamedTuple):
    label: str
    tone: str


STATUSES: dict[str, dict[str, Badge]] = {
    "work_order": {
        "draft": Badge("Draft", "neutral"),
        "in_progress": Badge("In progress", "info"),
        "waiting_parts": Badge("Waiting for parts", "warn"),
        "completed": Badge("Completed", "ok"),
        "invoiced": Badge("Invoiced", "done"),
    },
    "appointment": {
        "scheduled": Badge("Scheduled", "info"),
        "completed": Badge("Completed", "ok"),
        "cancelled": Badge("Cancelled", "neutral"),
    },
    "payment": {
        "succeeded": Badge("Paid", "ok"),
        "refunded": Badge("Refunded", "warn"),
    },
}


def badge(status: str, kind: str = "work_order") -> Badge:
    """The badge of a `kind` of record (a key of STATUSES) in `status`."""
    known = STATUSES[kind].get(status)
    return known or Badge(status.replace("_", " ").capitalize(), "neutral")
