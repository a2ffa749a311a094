"""What every endpoint shares: method dispatch, scope checks and the shop in the path."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.core.models import Shop
from sandbox.core.services import Invalid

from ..envelope import ApiError, invalid, not_found

Handler = Callable[..., HttpResponse]


def endpoint(**handlers: Handler) -> Callable[..., HttpResponse]:
    """One URL: its handlers by HTTP method; other methods answer 405 with `Allow`."""
    allow = ", ".join(sorted(handlers))

    # CSRF protects cookie sessions; this is a bearer-token machine API that sets and reads no
    # cookies, so a cross-site page cannot make a browser send its credential.
    @csrf_exempt
    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        handler = handlers.get(request.method)
        if handler is None:
            raise ApiError(
                405,
                f"{request.method} is not allowed here; use {allow}.",
                headers={"Allow": allow},
            )
        try:
            return handler(request, **kwargs)
        except Invalid as error:
            raise invalid(error.field, error.message) from None

    return view


def needs(scope: str) -> Callable[[Handler], Handler]:
    """The handler requires `scope`; when its URL names a shop, it gets the Shop (404 when the
    credential does not reach it, as if it did not exist)."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        def wrapped(request: HttpRequest, **kwargs) -> HttpResponse:
            if not request.credential.has_scope(scope):
                raise ApiError(403, f"This credential lacks the '{scope}' scope.")
            if "shop_id" in kwargs:
                kwargs["shop"] = reachable_shop(request, kwargs.pop("shop_id"))
            return handler(request, **kwargs)

        return wrapped

    return decorate


def reachable_shop(request: HttpRequest, shop_id: int) -> Shop:
    shop = Shop.objects.filter(pk=shop_id).first()
    if shop is None or not request.credential.reaches(shop.id, shop.account_id):
        raise not_found("shop")
    return shop


def one(queryset, what: str, **lookup):
    """The single record matching `lookup` in `queryset`, or 404."""
    record = queryset.filter(**lookup).first()
    if record is None:
        raise not_found(what)
    return record
