"""Email verification: a signed, expiring link that proves the user reads mail at the address.

The link names the user and the address it was sent to: after the address changes, an old
link verifies nothing."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from portal.accounts.models import User

SALT = "portal.accounts.verify-email"
MAX_AGE_SECONDS = 3 * 24 * 3600


class LinkUnusable(Exception):
    """Forged, expired, or for an address the account no longer has; says which."""


def link_for(user: User, next_url: str | None = None) -> str:
    token = signing.dumps({"user": user.pk, "email": user.email.lower()}, salt=SALT)
    url = settings.PORTAL_BASE_URL + reverse("verify-email", args=[token])
    if next_url:
        from urllib.parse import urlencode

        url += "?" + urlencode({"next": next_url})
    return url


def send_link(user: User, next_url: str | None = None) -> None:
    context = {"user": user, "link": link_for(user, next_url), "days": MAX_AGE_SECONDS // 86400}
    send_mail(
        subject="Confirm your email address for the AutoSync customer portal",
        message=render_to_string("accounts/email/verify.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def send_already_registered(user: User) -> None:
    """Sign-up with an address that has an account: tell its owner, not the visitor."""
    context = {
        "user": user,
        "login": settings.PORTAL_BASE_URL + reverse("login"),
        "reset": settings.PORTAL_BASE_URL + reverse("password_reset"),
    }
    send_mail(
        subject="You already have an account on the AutoSync customer portal",
        message=render_to_string("accounts/email/already_registered.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def verify(token: str) -> User:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise LinkUnusable("This link has expired. Send yourself a new one.") from None
    except signing.BadSignature:
        raise LinkUnusable("This link is not valid. Was it copied whole?") from None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or user.email.lower() != str(data.get("email", "")).lower():
        raise LinkUnusable("This link was sent to an address the account no longer uses.")
    user.mark_email_verified()
    return user
