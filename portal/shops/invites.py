"""Invites to a shop's team: a signed, expiring link by email; accepting creates the membership."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.shops.models import Invite, Membership

SALT = "portal.shops.invite"
MAX_AGE_SECONDS = 7 * 24 * 3600


class InviteUnusable(Exception):
    """The link is forged, expired, already used, or meant for someone else; says which."""


def link_for(invite: Invite) -> str:
    token = signing.dumps({"invite": invite.pk}, salt=SALT)
    return settings.PORTAL_BASE_URL + reverse("shops:invite", args=[token])


def send(invite: Invite) -> None:
    context = {"invite": invite, "link": link_for(invite), "days": MAX_AGE_SECONDS // 86400}
    send_mail(
        subject=f"Join {invite.shop.name} on the AutoSync customer portal",
        message=render_to_string("shops/email/invite.txt", context),
        from_email=None,
        recipient_list=[invite.email],
    )


def invite_for(token: str) -> Invite:
    """The invite a link stands for, if it can still be used by someone."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise InviteUnusable("This invite has expired. Ask an owner for a new one.") from None
    except signing.BadSignature:
        raise InviteUnusable("This invite link is not valid. Was it copied whole?") from None
    invite = Invite.objects.select_related("shop").filter(pk=data.get("invite")).first()
    if invite is None:
        raise InviteUnusable(
            "This invite was withdrawn or has been used already. If you joined, sign in to see "
            "your shops; otherwise ask the shop's owner for a new one."
        )
    if invite.accepted_at is not None:
        raise InviteUnusable("This invite was already used. Sign in to see your shops.")
    return invite


def accept(invite: Invite, user) -> Membership:
    """Join the shop's team with the invited role (an existing membership keeps its role)."""
    if user.email.lower() != invite.email.lower():
        raise InviteUnusable(
            f"This invite was sent to {invite.email}. Sign in with that address to accept it."
        )
    if not user.email_verified:
        raise InviteUnusable(
            f"Confirm your email address first: open the link we sent to {user.email}, or "
            "send a new one from your account page. Then come back to this invite."
        )
    with transaction.atomic():
        updated = Invite.objects.filter(pk=invite.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_by=user
        )
        if not updated:
            raise InviteUnusable("This invite was already used. Sign in to see your shops.")
        try:
            with transaction.atomic():
                membership, _ = Membership.objects.get_or_create(
                    user=user, shop=invite.shop, defaults={"role": invite.role}
                )
        except IntegrityError:
            membership = Membership.objects.get(user=user, shop=invite.shop)
        # Any other invite of this address to this shop is now pointless: clear it.
        Invite.objects.filter(
            shop=invite.shop, email__iexact=invite.email, accepted_at__isnull=True
        ).delete()
    return membership
