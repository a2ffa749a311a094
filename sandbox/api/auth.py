"""Who is calling: an `Authorization: Bearer` header turned into a Credential, or a 401."""

from sandbox.core.keys import hash_key
from sandbox.core.models import ApiKey
from sandbox.oauth.resource import credential_for_access_token

from .credentials import SCOPES, Credential
from .envelope import ApiError

API_KEY_PREFIX = "sk_"
ALL_SCOPES = frozenset(SCOPES)


def _unauthorized(message: str, code: str = "unauthorized") -> ApiError:
    challenge = 'Bearer realm="AutoSync"'
    if code == "invalid_token":
        challenge += ', error="invalid_token"'
    return ApiError(401, message, code=code, headers={"WWW-Authenticate": challenge})


def credential_for_api_key(key: str) -> Credential | None:
    # Keys are stored as their SHA-256: the look-up goes by hash through a unique index, so no
    # key material is compared byte by byte.
    api_key = ApiKey.objects.filter(key_hash=hash_key(key), revoked_at__isnull=True).first()
    if api_key is None:
        return None
    return Credential(
        rate_key=f"key:{api_key.id}",
        account_id=api_key.account_id,
        shop_ids=None,
        scopes=ALL_SCOPES,
    )


def authenticate(authorization: str) -> Credential:
    """The credential an Authorization header presents; raises ApiError(401) otherwise."""
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _unauthorized("Send 'Authorization: Bearer <API key or access token>'.")
    if token.startswith(API_KEY_PREFIX):
        credential = credential_for_api_key(token)
        if credential is None:
            raise _unauthorized("The API key is invalid or has been revoked.")
        return credential
    credential = credential_for_access_token(token)
    if credential is None:
        raise _unauthorized("The access token is invalid, expired or revoked.", "invalid_token")
    return credential
