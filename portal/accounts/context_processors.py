"""Template context every page needs."""

from django.http import HttpRequest

from portal.accounts.devmail import mailbox_allowed
from portal.accounts.owners import NOBODY


def portal(request: HttpRequest) -> dict:
    """The development mailbox's link, and `owner`: the signed-in vehicle owner (or NOBODY),
    read from the session only when a template asks, as `user` is."""
    return {
        "show_dev_mailbox": mailbox_allowed(request),
        "owner": getattr(request, "owner", NOBODY),
    }
