"""Template context every page needs."""

from django.http import HttpRequest

from portal.accounts.devmail import mailbox_allowed


def portal(request: HttpRequest) -> dict:
    return {"show_dev_mailbox": mailbox_allowed(request)}
