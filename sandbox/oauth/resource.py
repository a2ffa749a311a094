"""OAuth access tokens as API credentials: what `sandbox.api` asks about a bearer token."""

from django.utils import timezone

from sandbox.api.credentials import Credential
from sandbox.oauth.models import Grant, Token, digest


def credential_for_access_token(token: str) -> Credential | None:
    """The credential an access token stands for, or None when the token is unknown, expired
    or revoked, or its grant is revoked (the API answers 401 `invalid_token`). Two queries."""
    row = (
        Token.objects.filter(
            access_token_hash=digest(token),
            access_revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            grant__revoked_at__isnull=True,
        )
        .values("grant_id", "grant__account_id", "scope")
        .first()
    )
    if row is None:
        return None
    shop_ids = Grant.shops.through.objects.filter(grant_id=row["grant_id"]).values_list(
        "shop_id", flat=True
    )
    return Credential(
        rate_key=f"grant:{row['grant_id']}",
        account_id=row["grant__account_id"],
        shop_ids=frozenset(shop_ids),
        scopes=frozenset(row["scope"].split()),
    )
