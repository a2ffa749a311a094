"""Template context every page needs."""

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    from portal.accounts.views import mailbox_allowed

    return {"show_dev_mailbox": mailbox_allowed(request)}
