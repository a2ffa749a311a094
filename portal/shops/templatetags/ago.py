"""`{{ when|ago }}`: "just now" or "5 minutes ago", in words shop staff use."""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def ago(when: datetime.datetime | None) -> str:
    """Django's timesince says "0 minutes" for the last minute; people say "just now"."""
    if when is None:
        return ""
    if timezone.now() - when < datetime.timedelta(minutes=1):
        return "just now"
    return f"{timesince(when)} ago"
