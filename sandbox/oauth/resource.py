"""OAuth access tokens as API credentials (placeholder until the authorization server lands)."""


def credential_for_access_token(token: str):
    """The `sandbox.api.auth.Credential` an access token stands for, or None when the token is
    unknown, expired or revoked (the API answers 401 `invalid_token`)."""
    return None
