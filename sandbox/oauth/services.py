"""Writes of the OAuth app outside the protocol: registering clients and revoking grants."""

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from sandbox.oauth.models import Grant, OAuthClient, Token, digest
from sandbox.webhooks.destinations import ForbiddenDestination, check_url


class InvalidClient(ValueError):
    """A client registration that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class RegisteredClient:
    """A new client and its secrets in plain text: shown once, never stored as such
    (the webhook secret is stored, since the sandbox signs deliveries with it)."""

    client: OAuthClient
    client_secret: str

    @property
    def client_id(self) -> str:
        return self.client.client_id

    @property
    def webhook_secret(self) -> str:
        return self.client.webhook_secret


def check_redirect_uri(uri: str) -> None:
    """RFC 6749 §3.1.2: an absolute http(s) URI without a fragment."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidClient(f"{uri!r} is not an absolute http(s) URI")
    if parts.fragment or "#" in uri:
        raise InvalidClient(f"{uri!r} must not have a fragment")
    if any(c.isspace() for c in uri):
        raise InvalidClient(f"{uri!r} must not contain spaces")


def register_client(name: str, redirect_uris: list[str], webhook_url: str = "") -> RegisteredClient:
    """Register a client application with fresh credentials and a webhook secret."""
    if not name.strip():
        raise InvalidClient("the name is required")
    if not redirect_uris:
        raise InvalidClient("at least one redirect URI is required")
    for uri in redirect_uris:
        check_redirect_uri(uri)
    if webhook_url:
        try:
            check_url(webhook_url)
        except ForbiddenDestination as error:
            raise InvalidClient(str(error)) from None
    client_secret = f"cs_{secrets.token_urlsafe(32)}"
    client = OAuthClient.objects.create(
        name=name.strip(),
        client_id=f"ci_{secrets.token_urlsafe(16)}",
        client_secret_hash=digest(client_secret),
        redirect_uris="\n".join(dict.fromkeys(redirect_uris)),
        webhook_url=webhook_url,
        webhook_secret=f"whsec_{secrets.token_urlsafe(32)}",
    )
    return RegisteredClient(client=client, client_secret=client_secret)


def revoke_grant(grant_id: int) -> bool:
    """End a grant and every token issued under it; False when it was already dead.

    Lock order, everywhere a grant's tokens change: the grant row, then its tokens (so that
    concurrent refreshes and revocations of one grant queue instead of deadlocking)."""
    now = timezone.now()
    with transaction.atomic():
        grant = Grant.objects.select_for_update().filter(pk=grant_id).first()
        if grant is None:
            return False
        Token.objects.filter(grant_id=grant_id, access_revoked_at__isnull=True).update(
            access_revoked_at=now
        )
        if grant.revoked_at is not None:
            return False
        Grant.objects.filter(pk=grant_id).update(revoked_at=now)
        return True
