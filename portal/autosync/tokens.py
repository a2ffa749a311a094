"""Where the client gets its bearer token: the TokenSource protocol and a static API key."""

from __future__ import annotations

from typing import Protocol

from .errors import Unauthorized


class TokenSource(Protocol):
    """A credential the client presents as `Authorization: Bearer <token>`."""

    def access_token(self) -> str:
        """The current access token (an implementation may refresh one about to expire)."""
        ...

    def refresh(self, rejected_token: str) -> str:
        """A new access token after AutoSync refused `rejected_token` with a 401.

        Implementations over OAuth must be single-flight per grant (refresh tokens rotate, and
        presenting a used one revokes the grant): if another caller already replaced
        `rejected_token`, return its replacement instead of refreshing again. Raise
        ReconnectRequired when the grant is gone.
        """
        ...


class StaticToken:
    """An API key: it is its own access token and cannot be refreshed."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __repr__(self) -> str:
        return "StaticToken(<hidden>)"

    def access_token(self) -> str:
        return self._api_key

    def refresh(self, rejected_token: str) -> str:
        raise Unauthorized("AutoSync refused the API key", status=401, permanent=True)
