"""What the mirror tells the apps above it, which listen (the mirror imports none of them)."""

from django.dispatch import Signal

#: Sent once a webhook event was applied to the mirror, before the event counts as processed:
#: a receiver that raises makes the event retried, so receivers must be idempotent (an event
#: may also be delivered twice). Arguments: `shop` (the Shop), `name` (the event's name, e.g.
#: "workorder.completed"), `data` (its payload's `data`, a dict) and `timestamp` (when AutoSync
#: says it happened, an aware datetime).
event_applied = Signal()
