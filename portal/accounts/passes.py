"""Poll passes: a page's poll that finds nothing changed is answered before the session is read.

A page that refreshes itself (the garage's work order, the staff overview and board) asks
every few seconds whether what it shows is still current; nearly always it is. Reading the
session to answer that costs a query (two for staff: their user too) for nothing the answer
needs. So the page, when it is rendered for someone allowed to see it, also gets a *pass*: a
signed note of what they were shown (the owner's email, the shop), bound to their session
cookie. The page sends it back with each poll (an `X-Poll-Pass` header: headers stay out of
access logs). `PollPassMiddleware` checks it before anything reads the session and asks the
view's `answer_unchanged` whether the version the page shows is still the current one: if it
is, the answer is 204 with no session read and nothing rendered. Anything else (no pass, a
pass for another session or address, something changed) goes the normal way: session,
access checks, rendering.

What a pass can earn is only "nothing changed since the version you were shown", about
something that session was allowed to see. A session signed out in this browser loses its
cookie and with it the pass; one that ended elsewhere (expired, removed from the shop's team)
learns nothing new, and the next change goes the normal way, which refuses it. The staff pages
put a five-minute time bucket in their version, so their access is checked again at least that
often and a poll still counts as activity for the idle sign-out (portal.accounts.middleware).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac

HEADER = "X-Poll-Pass"
_META = "HTTP_X_POLL_PASS"
_SALT = "portal.accounts.passes"

#: A view's `answer_unchanged(request, what, **url_kwargs)`: True when the version the page
#: shows (in the poll's query or headers) is still current, for `what` the pass names.
Check = Callable[..., bool]


def _signer() -> signing.Signer:
    # No time in it: the session it is bound to has its own lifetime, and a page shows the
    # same pass each time it is rendered for that session.
    return signing.Signer(salt=_SALT)


def _bound_to(session_key: str) -> str:
    return salted_hmac(_SALT, session_key).hexdigest()[:24]


def issue(request: HttpRequest, scope: str, what: Any) -> str:
    """A pass for `what` (the owner's email, a shop's id: JSON) under `scope`, bound to the
    request's session; none ("") without a saved session. Issue one only where the page was
    rendered for someone allowed to see it."""
    key = request.session.session_key
    return for_session(key, scope, what) if key else ""


def for_session(session_key: str, scope: str, what: Any) -> str:
    """The pass `issue` gives the session `session_key` (benchmarks make theirs with it)."""
    return _signer().sign_object([scope, what, _bound_to(session_key)])


def holder(request: HttpRequest, scope: str) -> tuple[bool, Any]:
    """(True, what) when the request carries a valid pass of `scope` bound to its own session
    cookie; (False, None) otherwise. Reads no session."""
    token = request.META.get(_META)
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not token or not key:
        return False, None
    try:
        found, what, bound = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return False, None
    if found != scope or not hmac.compare_digest(str(bound), _bound_to(key)):
        return False, None
    return True, what


def answers_unchanged(scope: str, check: Check) -> Callable:
    """Mark a poll view: `check(request, what, **url_kwargs)` may answer it early (see above)."""

    def mark(view: Callable) -> Callable:
        view.poll_pass = (scope, check)
        return view

    return mark


def unchanged() -> HttpResponse:
    response = HttpResponse(status=204)
    patch_cache_control(response, private=True, no_cache=True)
    return response


class PollPassMiddleware:
    """Answers an htmx poll that carries a pass and finds nothing changed (above). It sits
    before anything that reads the session (the idle sign-out does, on every request)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and _META in request.META:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            marked = getattr(match.func, "poll_pass", None) if match else None
            if marked is not None:
                scope, check = marked
                allowed, what = holder(request, scope)
                if allowed and check(request, what, *match.args, **match.kwargs):
                    return unchanged()
        return self.get_response(request)
