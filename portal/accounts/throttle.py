"""Throttles of the accounts pages (the counting is django-axes' and django-ratelimit's)."""

from __future__ import annotations

from django.http import HttpRequest
from django_ratelimit.decorators import ratelimit


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The account django-axes counts failures against: the address, whatever its case."""
    # Django's failure signal names it "username"; axes' backend names it after the model's
    # USERNAME_FIELD ("email"); the sign-in form posts "username".
    source = credentials if credentials is not None else request.POST
    return str(source.get("username") or source.get("email") or "").strip().lower()


def email_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit key: the address a form was posted for (case-insensitively)."""
    return str(request.POST.get("email") or "").strip().lower()


# Per IP address, and per email address so that one inbox cannot be flooded from many IPs.
# A throttled POST raises Ratelimited: settings.RATELIMIT_VIEW answers 429 with a message.
def throttled(group: str, per_ip: str, per_email: str):
    def decorate(view):
        view = ratelimit(group=group, key="ip", rate=per_ip, method="POST")(view)
        return ratelimit(group=group, key=email_key, rate=per_email, method="POST")(view)

    return decorate
