"""Client applications, what shop owners granted them, and the codes and tokens of each grant."""

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone

from sandbox.api.credentials import SCOPES
from sandbox.core.models import Account, Shop
from sandbox.webhooks.destinations import validate_webhook_url

# Client authentication methods accepted at the token and revocation endpoints.
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")


def digest(secret: str) -> str:
    """How secrets are stored: high-entropy random strings need no slow hash, only SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_scope(scope: str | None) -> str:
    """The known scopes among `scope`, once each, in the order of `SCOPES`."""
    requested = set((scope or "").split())
    return " ".join(name for name in SCOPES if name in requested)


class OAuthClient(models.Model):
    """A platform integration registered with AutoSync (`create_oauth_client`).

    Implements authlib's `ClientMixin`: a confidential client using the authorization code
    and refresh token grants, authenticating with its secret in the body or in HTTP Basic."""

    name = models.CharField(max_length=255)
    client_id = models.CharField(max_length=64, unique=True)
    client_secret_hash = models.CharField(max_length=128, editable=False)
    redirect_uris = models.TextField(help_text="One URI a line, matched exactly.")
    webhook_url = models.URLField(max_length=500, blank=True, validators=[validate_webhook_url])
    webhook_secret = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "OAuth client application"

    def __str__(self) -> str:
        return self.name

    @property
    def redirect_uri_list(self) -> list[str]:
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]

    # --- authlib ClientMixin ---
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # No default: every authorize request names its redirect_uri, matched exactly.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        return normalize_scope(scope) or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uri_list

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(digest(client_secret), self.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


class Grant(models.Model):
    """One consent: an account let a client reach some of its shops with some scopes.

    Created when the client exchanges the authorization code; dead once `revoked_at` is set
    (by the account, the back office, the client, or a replayed code or refresh token)."""

    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="grants")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="grants")
    shops = models.ManyToManyField(Shop, related_name="grants")
    scope = models.TextField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who approved it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.client} for {self.account}"

    @property
    def scope_list(self) -> list[str]:
        return self.scope.split()


class AuthorizationCode(models.Model):
    """A code handed to the client's redirect URI: single use, short-lived, bound to the client,
    the redirect URI, the PKCE challenge, and what the user approved. Used codes are kept (with
    `used_at` and the grant they produced) so that a replay can revoke that grant."""

    code_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shops = models.ManyToManyField(Shop, related_name="+")
    redirect_uri = models.TextField()
    scope = models.TextField()
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    grant = models.ForeignKey(
        Grant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Code for {self.client} ({self.created_at:%Y-%m-%d %H:%M})"

    # --- authlib AuthorizationCodeMixin ---
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class Token(models.Model):
    """An access token and the refresh token issued with it, both stored as SHA-256.

    `access_revoked_at` ends the access token alone; `refresh_used_at` marks the refresh token
    as spent (rotation). Revoking the grant ends every token of it."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="tokens")
    access_token_hash = models.CharField(max_length=64, unique=True)
    refresh_token_hash = models.CharField(max_length=64, unique=True)
    scope = models.TextField()
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    access_revoked_at = models.DateTimeField(null=True, blank=True)
    refresh_used_at = models.DateTimeField(null=True, blank=True)
    # The pair issued when this refresh token was spent, encrypted under a key derived from
    # this refresh token (so only its holder can read it back): for a lost refresh response,
    # the same pair is answered again within SANDBOX_REFRESH_GRACE seconds. Pruned after that.
    successor = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predecessor"
    )
    successor_sealed = models.BinaryField(blank=True, default=b"", editable=False)

    def __str__(self) -> str:
        return f"Token of grant {self.grant_id} ({self.issued_at:%Y-%m-%d %H:%M})"

    # --- authlib TokenMixin ---
    def check_client(self, client: OAuthClient) -> bool:
        return self.grant.client_id == client.pk

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def is_revoked(self) -> bool:
        return self.access_revoked_at is not None or self.grant.revoked_at is not None
