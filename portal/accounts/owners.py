"""Who a vehicle owner is: a verified email held in their session.

An owner is not a staff account: staff sign in with a password as a `User`, owners prove an
email (the garage's sign-in link or code) and nothing else. Both can share one browser, and a
person may be both. Every app may read `request.owner` (set lazily by `OwnerMiddleware`, like
`request.user`: check `request.owner.is_authenticated`); only the garage's sign-in signs an
owner in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.functional import SimpleLazyObject

SESSION_KEY = "portal_owner_email"

#: Sent (with `request`) when an owner signs in or out: apps drop what they keep in the
#: session for the person before, so the next person on a shared device sees none of it.
owner_changed = Signal()


@dataclass(frozen=True)
class Owner:
    """A vehicle owner signed in with their verified email (stored lower-cased), or, with an
    empty email, a visitor who is not signed in as one."""

    email: str

    @property
    def is_authenticated(self) -> bool:
        return bool(self.email)


NOBODY = Owner("")


def owner_of(request: HttpRequest) -> Owner:
    return Owner(request.session.get(SESSION_KEY) or "")


def sign_in(request: HttpRequest, email: str, *, remember: bool) -> Owner:
    """Sign the owner in, in a new session key (no fixation). Without `remember` the session
    ends with the browser; with it, it lasts OWNER_SESSION_REMEMBER_SECONDS. A staff member
    signed in in the same browser shares the session: its expiry stays staff's, so an owner
    sign-in never makes a staff session outlive the browser or its own limits."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = email.strip().lower()
    if not request.user.is_authenticated:
        request.session.set_expiry(settings.OWNER_SESSION_REMEMBER_SECONDS if remember else 0)
    request.owner = owner = Owner(request.session[SESSION_KEY])
    owner_changed.send(sender=Owner, request=request)
    return owner


def sign_out(request: HttpRequest) -> None:
    """Sign the owner out; a staff sign-in in the same browser stays."""
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    request.owner = NOBODY
    owner_changed.send(sender=Owner, request=request)


def owner_required(view):
    """Send a visitor who is not a signed-in owner to the owners' sign-in, then back."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.owner.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{resolve_url(settings.OWNER_SIGN_IN_URL)}?{query}")
        return view(request, *args, **kwargs)

    return wrapped


class OwnerMiddleware:
    """Sets `request.owner`: the signed-in vehicle owner, or NOBODY; the session is read only
    when a view asks."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.owner = SimpleLazyObject(lambda: owner_of(request))
        return self.get_response(request)
