"""The authlib authorization server: the grants, PKCE, revocation, and where tokens are stored."""

import hmac
import os
from datetime import timedelta

from authlib.common.security import generate_token
from authlib.integrations.django_oauth2 import AuthorizationServer, RevocationEndpoint
from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Error,
    authenticate_client,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import CODE_VERIFIER_PATTERN, create_s256_code_challenge
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sandbox.api.credentials import SCOPES
from sandbox.oauth.grace import seal, unseal
from sandbox.oauth.models import (
    CLIENT_AUTH_METHODS,
    AuthorizationCode,
    Grant,
    OAuthClient,
    Token,
    digest,
)
from sandbox.oauth.services import revoke_grant

# authlib refuses plain-HTTP URIs unless told otherwise; the sandbox serves HTTP on localhost.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

# RFC 6749 §5.2 makes error_description optional; our clients get one for every error.
DEFAULT_DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter or is malformed.",
    "invalid_client": "Client authentication failed: unknown client_id or wrong client_secret.",
    "invalid_grant": "The code or refresh token is invalid, expired or revoked.",
    "unauthorized_client": "The client may not use this grant type.",
    "unsupported_grant_type": "Use grant_type authorization_code or refresh_token.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
}


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only (RFC 9700 §2.1.1): `plain`, or a challenge without a method
    (which RFC 7636 would read as plain), is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)
    #: The shops the user left ticked on the consent page (set by the view before approval).
    approved_shop_ids: tuple[int, ...] = ()

    @staticmethod
    def validate_authorization_redirect_uri(request, client):
        # authlib puts the URI in its message, and refuses messages with quotes or non-ASCII.
        uri = request.payload.redirect_uri
        if not uri:
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        if not client.check_redirect_uri(uri):
            raise InvalidRequestError("The redirect_uri is not registered for this client.")
        return uri

    def save_authorization_code(self, code: str, request) -> None:
        """`request.user` is the approving user; the view sets `approved_shop_ids`."""
        data = request.payload.data
        challenge = data.get("code_challenge") or ""
        with transaction.atomic():
            item = AuthorizationCode.objects.create(
                code_hash=digest(code),
                client=request.client,
                account_id=request.user.account_id,
                user=request.user,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                code_challenge=challenge,
                code_challenge_method="S256" if challenge else "",
                expires_at=timezone.now() + timedelta(seconds=settings.SANDBOX_CODE_TTL),
            )
            item.shops.set(self.approved_shop_ids)

    def query_authorization_code(self, code: str, client: OAuthClient) -> AuthorizationCode:
        item = AuthorizationCode.objects.filter(code_hash=digest(code), client=client).first()
        if item is None:
            raise InvalidGrantError("The code is unknown.")
        if item.used_at is not None:
            # RFC 6749 §4.1.2: a replayed code revokes what it produced, but only when the
            # replay proves it comes from the flow that obtained the code: anyone else holding
            # a used callback URL must not be able to end someone else's grant.
            if not self._proves_original_flow(item):
                raise InvalidGrantError("The code was already used.")
            if item.grant_id:
                revoke_grant(item.grant_id)
            raise InvalidGrantError("The code was already used; its tokens are revoked.")
        if item.is_expired():
            raise InvalidGrantError("The code has expired.")
        return item

    def _proves_original_flow(self, item: AuthorizationCode) -> bool:
        """The replay names the code's redirect URI and presents its PKCE verifier (or none,
        for a code issued without a challenge). The client is authenticated already."""
        if self.request.payload.redirect_uri != item.redirect_uri:
            return False
        verifier = self.request.form.get("code_verifier") or ""
        if not item.code_challenge:
            return not verifier
        return hmac.compare_digest(
            create_s256_code_challenge(verifier) if CODE_VERIFIER_PATTERN.match(verifier) else "",
            item.code_challenge,
        )

    def authenticate_user(self, authorization_code: AuthorizationCode):
        """Spend the code: the conditional UPDATE lets exactly one concurrent exchange win."""
        spent = AuthorizationCode.objects.filter(
            pk=authorization_code.pk, used_at__isnull=True
        ).update(used_at=timezone.now())
        if not spent:
            grant_id = (
                AuthorizationCode.objects.filter(pk=authorization_code.pk)
                .values_list("grant_id", flat=True)
                .first()
            )
            # Reached only after the redirect URI and the PKCE verifier were checked: this is
            # the original flow exchanging twice, so the replay rule applies.
            if grant_id:
                revoke_grant(grant_id)
            raise InvalidGrantError("The code was already used; its tokens are revoked.")
        return authorization_code.user

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        # Kept, marked used, so that a replay is recognised and revokes the grant.
        return None


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation
    #: The answer given the first time, when a spent refresh token comes back within the grace
    #: period (set by authenticate_user; the grant object lives for one request).
    reissued: dict | None = None

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        token = (
            Token.objects.select_related("grant")
            .filter(refresh_token_hash=digest(refresh_token))
            .first()
        )
        if token is not None and token.grant.revoked_at is not None:
            raise InvalidGrantError("The grant was revoked.")
        return token

    def authenticate_user(self, refresh_token: Token) -> Grant:
        """Spend the refresh token; a token already spent is a replay (RFC 9700 §4.14):
        the whole grant is revoked. Concurrent refreshes of one grant queue on the grant's
        row lock (PostgreSQL; SQLite transactions are serialized anyway), then the conditional
        UPDATE lets exactly one spend the token."""
        grant = Grant.objects.select_for_update().get(pk=refresh_token.grant_id)
        if grant.revoked_at is not None:
            raise InvalidGrantError("The grant was revoked.")
        spent = Token.objects.filter(pk=refresh_token.pk, refresh_used_at__isnull=True).update(
            refresh_used_at=timezone.now()
        )
        if not spent:
            self.reissued = self._within_grace(refresh_token.pk)
            if self.reissued is None:
                revoke_grant(grant.pk)
                raise InvalidGrantError("The refresh token was already used; the grant is revoked.")
        # The grant stands for the resource owner: it belongs to an account, not to a person.
        return grant

    def _within_grace(self, token_pk: int) -> dict | None:
        """The token answer of the first refresh of this (spent) refresh token, if it was
        spent less than SANDBOX_REFRESH_GRACE seconds ago and the pair it gave is still
        unused: its answer was likely lost. None means a replay."""
        grace = settings.SANDBOX_REFRESH_GRACE
        if grace <= 0:
            return None
        spent = Token.objects.select_related("successor").get(pk=token_pk)
        successor = spent.successor
        if (
            successor is None
            or spent.refresh_used_at < timezone.now() - timedelta(seconds=grace)
            or successor.refresh_used_at is not None
            or successor.access_revoked_at is not None
        ):
            return None
        pair = unseal(self.request.form["refresh_token"], spent.successor_sealed)
        if pair is None:
            return None
        return {
            "token_type": "Bearer",
            **pair,
            "expires_in": max(0, int((successor.expires_at - timezone.now()).total_seconds())),
            "scope": successor.scope,
        }

    def issue_token(self, user, refresh_token: Token) -> dict:
        return self.reissued or super().issue_token(user, refresh_token)

    def save_token(self, token: dict) -> None:
        if self.reissued is None:
            super().save_token(token)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        # Already spent in authenticate_user; the old access token lives until it expires.
        return None


class TokenRevocationEndpoint(RevocationEndpoint):
    """RFC 7009. Answers 200 for unknown tokens and for tokens of another client (without
    touching them). Revoking an access token ends it alone; a refresh token ends the grant."""

    CLIENT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)

    def check_params(self, request, client):
        # An unknown token_type_hint is only a hint (RFC 7009 §2.1): search every type.
        if not request.form.get("token"):
            raise InvalidRequestError("Missing 'token' in request.")

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.check_client(client) else None

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        hashed = digest(token_string)
        kinds = ["access", "refresh"]
        if token_type_hint == "refresh_token":  # noqa: S105 (a token type, not a secret)
            kinds.reverse()
        for kind in kinds:
            token = (
                Token.objects.select_related("grant")
                .filter(**{f"{kind}_token_hash": hashed})
                .first()
            )
            if token is not None:
                token.presented_as = kind
                return token
        return None

    def revoke_token(self, token: Token, request) -> None:
        if token.presented_as == "refresh":
            revoke_grant(token.grant_id)
        else:
            Token.objects.filter(pk=token.pk, access_revoked_at__isnull=True).update(
                access_revoked_at=timezone.now()
            )


def authenticate_client_secret_basic(query_client, request) -> OAuthClient | None:
    """authlib's HTTP Basic client authentication, minus its crash on undecodable bytes."""
    try:
        return authenticate_client.authenticate_client_secret_basic(query_client, request)
    except UnicodeDecodeError:
        return None


class SandboxAuthorizationServer(AuthorizationServer):
    def __init__(self):
        super().__init__(OAuthClient, Token)
        self.scopes_supported = list(SCOPES)
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **kwargs: generate_token(48),
                refresh_token_generator=lambda **kwargs: generate_token(48),
                # Read per token, so that SANDBOX_TOKEN_TTL set in settings applies.
                expires_generator=lambda client, grant_type: settings.SANDBOX_TOKEN_TTL,
            ),
        )
        self.register_client_auth_method("client_secret_basic", authenticate_client_secret_basic)
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_endpoint(TokenRevocationEndpoint)

    def query_client(self, client_id: str) -> OAuthClient | None:
        if not client_id or len(client_id) > 64 or "\x00" in client_id:
            return None  # PostgreSQL refuses NUL characters: never let them reach a query
        return OAuthClient.objects.filter(client_id=client_id).first()

    def save_token(self, token: dict, request) -> Token:
        """A code exchange creates the grant from what the user approved; a refresh adds a
        token to the grant of the refresh token it spent."""
        now = timezone.now()
        with transaction.atomic():
            spent = request.refresh_token
            if spent is not None:
                grant = spent.grant
            else:
                code = request.authorization_code
                grant = Grant.objects.create(
                    client=code.client,
                    account_id=code.account_id,
                    user=code.user,
                    scope=code.scope,
                )
                grant.shops.set(code.shops.all())
                AuthorizationCode.objects.filter(pk=code.pk).update(grant=grant)
            issued = Token.objects.create(
                grant=grant,
                access_token_hash=digest(token["access_token"]),
                refresh_token_hash=digest(token["refresh_token"]),
                scope=token.get("scope", grant.scope),
                issued_at=now,
                expires_at=now + timedelta(seconds=token["expires_in"]),
            )
            if spent is not None:
                sealed = seal(
                    request.form["refresh_token"], token["access_token"], token["refresh_token"]
                )
                Token.objects.filter(pk=spent.pk).update(successor=issued, successor_sealed=sealed)
            return issued

    def handle_error_response(self, request, error: OAuth2Error):
        if error.error == "invalid_client":
            # One answer whether the client is unknown or its secret wrong, wherever the
            # credentials were (authlib answers 400 for an unknown client_id in the body).
            error.description = DEFAULT_DESCRIPTIONS["invalid_client"]
            error.status_code = 401
        # Some authlib errors compute their description instead of setting it.
        error.description = error.get_error_description() or DEFAULT_DESCRIPTIONS.get(
            error.error, "The request failed."
        )
        return super().handle_error_response(request, error)


server = SandboxAuthorizationServer()
