"""The OAuth 2.0 authorization server: client applications, consent, grants and tokens."""
