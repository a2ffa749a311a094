"""What a request authenticated as: an API key or an OAuth grant, with its reach and scopes."""

from dataclasses import dataclass

SCOPES = {
    "shops:read": "See your shops",
    "customers:read": "See your customers",
    "customers:write": "Add and change customers",
    "vehicles:read": "See your customers' vehicles",
    "vehicles:write": "Add and change vehicles",
    "workorders:read": "See work orders, their jobs and line items",
    "workorders:write": "Create and change work orders and jobs",
    "appointments:read": "See appointments",
    "appointments:write": "Book appointments",
    "payments:read": "See payments",
    "inventory:read": "See your parts inventory",
    "inventory:write": "Change stock levels and prices",
    "employees:read": "See your employees",
}


@dataclass(frozen=True)
class Credential:
    """`rate_key` names the rate-limit budget ("key:<id>" or "grant:<id>"); `shop_ids` is None
    when every shop of the account is reachable (API keys)."""

    rate_key: str
    account_id: int
    shop_ids: frozenset[int] | None
    scopes: frozenset[str]

    def has_scope(self, scope: str) -> bool:
        """A `:write` scope implies the `:read` of the same resource."""
        if scope in self.scopes:
            return True
        resource, _, action = scope.partition(":")
        return action == "read" and f"{resource}:write" in self.scopes

    def reaches(self, shop_id: int, shop_account_id: int) -> bool:
        return shop_account_id == self.account_id and (
            self.shop_ids is None or shop_id in self.shop_ids
        )
