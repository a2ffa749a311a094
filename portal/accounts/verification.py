"""Email verification: a signed, expiring link that proves the user reads mail at the address.

The link names the user and the address it was sent to: after the address changes, an old
link verifies nothing. A change of address is a link too, sent to the new address: the
account moves to it when the link is opened, so the account page neither takes an address
nobody proved nor tells whether another account has it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import User

SALT = "portal.accounts.verify-email"
MAX_AGE_SECONDS = 3 * 24 * 3600


class LinkUnusable(Exception):
    """Forged, expired, or for an address the account no longer has; says which."""


def link_for(user: User, next_url: str | None = None, new_email: str | None = None) -> str:
    data = {"user": user.pk, "email": user.email.lower()}
    if new_email:
        data["new"] = new_email.lower()
    url = settings.PORTAL_BASE_URL + reverse(
        "accounts:verify-email", args=[signing.dumps(data, salt=SALT)]
    )
    if next_url:
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


def send_change_link(user: User, new_email: str) -> None:
    """Asked to move the account to `new_email`: the link goes there (or, when another account
    has that address, a note to its owner; the person asking sees the same answer)."""
    other = User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).first()
    if other is not None:
        send_mail(
            subject="Someone tried to use your address on the AutoSync customer portal",
            message=render_to_string("accounts/email/address_taken.txt", {"user": other}),
            from_email=None,
            recipient_list=[other.email],
        )
        return
    context = {"user": user, "new_email": new_email, "link": link_for(user, new_email=new_email),
               "days": MAX_AGE_SECONDS // 86400}  # fmt: skip
    send_mail(
        subject="Confirm your new email address for the AutoSync customer portal",
        message=render_to_string("accounts/email/change_email.txt", context),
        from_email=None,
        recipient_list=[new_email],
    )


def send_already_registered(user: User) -> None:
    """Sign-up with an address that has an account: tell its owner, not the visitor."""
    context = {
        "user": user,
        "login": settings.PORTAL_BASE_URL + reverse("accounts:login"),
        "reset": settings.PORTAL_BASE_URL + reverse("accounts:password_reset"),
    }
    send_mail(
        subject="You already have an account on the AutoSync customer portal",
        message=render_to_string("accounts/email/already_registered.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def check(token: str) -> tuple[User, str | None]:
    """The user a link stands for, and the new address it confirms (None: the current one);
    LinkUnusable if it cannot be used. Changes nothing."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise LinkUnusable("This link has expired. Send yourself a new one.") from None
    except signing.BadSignature:
        raise LinkUnusable("This link is not valid. Was it copied whole?") from None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or user.email.lower() != str(data.get("email", "")).lower():
        raise LinkUnusable("This link was sent to an address the account no longer uses.")
    return user, data.get("new")


def verify(token: str) -> User:
    """Apply a link: the address is confirmed, or the account moves to the new one."""
    user, new_email = check(token)
    if not new_email:
        user.mark_email_verified()
        return user
    with transaction.atomic():
        if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
            raise LinkUnusable("Another account uses this address now. Choose another one.")
        user.email = new_email
        user.email_verified_at = timezone.now()  # the link proves the new address
        user.save(update_fields=["email", "email_verified_at"])
    return user
