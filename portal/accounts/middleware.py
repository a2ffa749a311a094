"""Session lifetime (idle and absolute), and the CSP's form-action for AutoSync's consent."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SIGNED_IN_AT = "portal_signed_in_at"
LAST_SEEN_AT = "portal_last_seen_at"
# Writing the session on every request would cost a write per page; a minute's granularity
# is plenty for an idle timeout counted in tens of minutes.
TOUCH_EVERY_SECONDS = 60


def _expired(request: HttpRequest, now: int) -> str | None:
    session = request.session
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen_at = session.get(LAST_SEEN_AT)
    if signed_in_at is None or last_seen_at is None:
        return "Please sign in again."  # a session from before these limits existed
    user = request.user
    lifetime = (
        settings.SESSION_STAFF_MAX_SECONDS
        if user.is_staff or user.is_superuser
        else settings.SESSION_MAX_SECONDS
    )
    if now - signed_in_at > lifetime:
        return f"You were signed out after {lifetime // 3600} hours. Please sign in again."
    if now - last_seen_at > settings.SESSION_IDLE_SECONDS:
        minutes = settings.SESSION_IDLE_SECONDS // 60
        return f"You were signed out after {minutes} minutes without activity."
    return None


def session_lifetime(get_response: Callable[[HttpRequest], HttpResponse]):
    """Sign out a session idle for SESSION_IDLE_SECONDS, or older than SESSION_MAX_SECONDS
    (SESSION_STAFF_MAX_SECONDS for admin users), whatever its cookie says."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            reason = _expired(request, now)
            if reason:
                logout(request)
                messages.info(request, reason)
            elif now - request.session[LAST_SEEN_AT] >= TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN_AT] = now
        return get_response(request)

    return middleware


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware; form-action also admits AutoSync's authorize origin, read from
    the settings of the moment (the connect form's POST is redirected there, and browsers
    apply form-action to that redirect)."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origin = _origin(getattr(settings, "AUTOSYNC_AUTHORIZE_URL", ""))
        if origin and not report_only:
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", []), origin]
            parts.update = update
        return parts
