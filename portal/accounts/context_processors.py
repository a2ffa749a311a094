"""Template context every page needs."""

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    return {"show_dev_mailbox": settings.DEBUG}
