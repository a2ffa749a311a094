"""Who may open a shop's staff pages: the one place every staff view asks.

A shop the user is not a member of does not exist for them (404, never 403, so that a
stranger cannot learn which shops exist); a member whose role is not enough gets a 403 that
says who may do it."""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from portal.http import StaffRequest
from portal.shops.models import MANAGERS, OWNERS, Membership, Role

__all__ = ["MANAGERS", "OWNERS", "membership_or_404", "require_role", "shop_member"]


def membership_or_404(user, shop_id: int) -> Membership:
    """The user's place in the shop, with the shop and its connection."""
    return get_object_or_404(
        Membership.objects.select_related("shop__connection"), user=user, shop_id=shop_id
    )


def require_role(membership: Membership, roles: Collection[str]) -> Membership:
    if membership.role not in roles:
        allowed = " and ".join(f"{Role(role).label.lower()}s" for role in Role if role in roles)
        raise PermissionDenied(f"Only the shop's {allowed} can do this.")
    return membership


StaffView = Callable[..., HttpResponse]


def shop_member(roles: Collection[str] = frozenset(Role)) -> Callable[[StaffView], StaffView]:
    """A staff view of one shop (`shops/<shop_id>/…`): signed in, a member with one of
    `roles`; the view gets the membership in place of `shop_id`."""

    def decorator(view: StaffView) -> StaffView:
        @login_required
        @wraps(view)
        def wrapped(request: StaffRequest, shop_id: int, **kwargs) -> HttpResponse:
            membership = require_role(membership_or_404(request.user, shop_id), roles)
            return view(request, membership, **kwargs)

        return wrapped

    return decorator
