"""Signing vehicle owners in by email: one message carries a link and a 6-digit code, either
good for one sign-in within 15 minutes (docs/garage.md).

The web request only records the request (`start`), the same work whatever the address, so
neither the answer nor its time tells whether a shop knows it. A worker then makes the link
and the code and emails them (`send`), and only to an address that is a live customer of a
connected shop. The link signs in from any browser, but only by a POST (`use_link`): mail
scanners open links, and must neither spend them nor get the session. The code signs in only
in the browser that asked for it (the view keeps the request's id in that session), and five
wrong codes spend it (`use_code`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.mirror.queries import customers_by_email

from . import emails
from .models import SignInRequest

LIFETIME = timedelta(minutes=15)
MAX_WRONG_CODES = 5
#: Requests (an address, whether it signed in) are deleted after this.
KEPT_FOR = timedelta(days=1)
CODE_SALT = "portal.garage.sign-in-code"

End = SignInRequest.End
#: Why a link or code cannot sign in: an End, or one of these.
EXPIRED = "expired"
UNKNOWN = "unknown"


class Unusable(Exception):
    """The link or code cannot sign in; `reason` says why (EXPIRED, UNKNOWN or an End)."""

    def __init__(self, reason: str, sign_in_request: SignInRequest | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sign_in_request = sign_in_request


class WrongCode(Exception):
    """Not the code that was sent; `tries_left` more wrong ones may be typed."""

    def __init__(self, tries_left: int) -> None:
        super().__init__(f"{tries_left} tries left")
        self.tries_left = tries_left


def link_digest(token: str) -> str:
    """A link's token as stored: its SHA-256 (the token has 256 random bits: no key needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def code_digest(request_id: int, code: str) -> str:
    """A code as stored: an HMAC under SECRET_KEY, of the code and its request (a plain hash
    of six digits is reversed by hashing the million of them)."""
    return salted_hmac(CODE_SALT, f"{request_id}:{code}", algorithm="sha256").hexdigest()


def start(email: str, next_url: str = "") -> SignInRequest:
    """Record a request to sign in as `email` and queue its email; earlier requests of the
    address stop working. The same queries whether or not a shop knows the address."""
    from .tasks import send_sign_in  # the tasks module imports this one

    email = email.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        SignInRequest.objects.filter(created_at__lt=now - KEPT_FOR).delete()
        SignInRequest.objects.filter(email=email, ended_at__isnull=True).update(
            ended_at=now, ended_because=End.REPLACED
        )
        sign_in_request = SignInRequest.objects.create(
            email=email, created_at=now, expires_at=now + LIFETIME, next_url=next_url
        )
        send_sign_in.delay(sign_in_request.pk)
    return sign_in_request


def send(request_id: int) -> str:
    """The worker's half: make the link and the code, keep their digests, email them. Nothing
    for an address no connected shop has as a live customer. Claimed before sending (a task
    run twice sends once); a failed send is undone, for a retry to make new ones."""
    sign_in_request = SignInRequest.objects.filter(pk=request_id).first()
    if sign_in_request is None or sign_in_request.sent_at or problem(sign_in_request):
        return "nothing to send"
    if not customers_by_email(sign_in_request.email).exists():
        return "not a customer"
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(1_000_000):06d}"
    claimed = SignInRequest.objects.filter(
        pk=request_id, sent_at__isnull=True, ended_at__isnull=True
    ).update(
        sent_at=timezone.now(),
        link_digest=link_digest(token),
        code_digest=code_digest(request_id, code),
    )
    if not claimed:
        return "nothing to send"
    try:
        minutes = int(LIFETIME.total_seconds() // 60)
        emails.send_sign_in(sign_in_request.email, token, code, minutes)
    except Exception:
        SignInRequest.objects.filter(pk=request_id).update(
            sent_at=None, link_digest=None, code_digest=""
        )
        raise
    return "sent"


def problem(sign_in_request: SignInRequest) -> str | None:
    """Why the request can no longer sign in (an End or EXPIRED), or None."""
    if sign_in_request.ended_at is not None:
        return sign_in_request.ended_because or End.USED
    if sign_in_request.expires_at <= timezone.now():
        return EXPIRED
    return None


def find_link(token: str) -> SignInRequest:
    """The request a link stands for, if it can still sign in (Unusable otherwise). Changes
    nothing: this is what the link's page shows on a GET."""
    sign_in_request = SignInRequest.objects.filter(link_digest=link_digest(token)).first()
    if sign_in_request is None:
        raise Unusable(UNKNOWN)
    reason = problem(sign_in_request)
    if reason:
        raise Unusable(reason, sign_in_request)
    return sign_in_request


def use_link(token: str) -> SignInRequest:
    """Spend a link: its request, which can sign in no more (Unusable if it could not)."""
    with transaction.atomic():
        sign_in_request = (
            SignInRequest.objects.select_for_update().filter(link_digest=link_digest(token)).first()
        )
        if sign_in_request is None:
            raise Unusable(UNKNOWN)
        reason = problem(sign_in_request)
        if reason:
            raise Unusable(reason, sign_in_request)
        _end(sign_in_request, End.USED)
    return sign_in_request


def use_code(request_id: int, code: str) -> SignInRequest:
    """Spend the code of request `request_id` (the one this browser asked for): its request
    when right; WrongCode with the tries left, or Unusable once none are."""
    with transaction.atomic():
        sign_in_request = SignInRequest.objects.select_for_update().filter(pk=request_id).first()
        if sign_in_request is None:
            raise Unusable(UNKNOWN)
        reason = problem(sign_in_request)
        if reason:
            raise Unusable(reason, sign_in_request)
        # An address no shop knows has no digest: every code is wrong, counted the same way.
        if hmac.compare_digest(code_digest(request_id, code), sign_in_request.code_digest):
            _end(sign_in_request, End.USED)
            return sign_in_request
        sign_in_request.wrong_codes += 1
        fields = ["wrong_codes"]
        if sign_in_request.wrong_codes >= MAX_WRONG_CODES:
            sign_in_request.ended_at, sign_in_request.ended_because = timezone.now(), End.SPENT
            fields += ["ended_at", "ended_because"]
        sign_in_request.save(update_fields=fields)
    if sign_in_request.ended_at is not None:
        raise Unusable(End.SPENT, sign_in_request)
    raise WrongCode(MAX_WRONG_CODES - sign_in_request.wrong_codes)


def _end(sign_in_request: SignInRequest, why: str) -> None:
    sign_in_request.ended_at, sign_in_request.ended_because = timezone.now(), why
    sign_in_request.save(update_fields=["ended_at", "ended_because"])
