"""The OAuth pages and endpoints: consent, token, revocation, metadata, and the account's
authorized applications."""

import json
import math
import re
import time

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sandbox.api.credentials import SCOPES
from sandbox.api.ratelimit import count_request
from sandbox.oauth.models import CLIENT_AUTH_METHODS, GRANT_TYPES, Grant
from sandbox.oauth.server import server
from sandbox.oauth.services import revoke_grant

# Errors sent back to the (verified) redirect URI; every other error is shown as a page,
# since the request is malformed or was never meant for this client (see docs/sandbox-oauth.md).
REDIRECTED_ERRORS = {"invalid_scope"}
SHOP_ID = re.compile(r"[0-9]{1,18}")


def _error_page(request: HttpRequest, title: str, description: str, status: int = 400):
    return render(
        request, "oauth/error.html", {"title": title, "description": description}, status=status
    )


def _authorize_error(request: HttpRequest, error: OAuth2Error) -> HttpResponse:
    if error.error in REDIRECTED_ERRORS and error.redirect_uri:
        return server.handle_error_response(None, error)
    return _error_page(
        request,
        title=f"This authorization request is not valid ({error.error})",
        description=error.get_error_description() or "The request is malformed.",
    )


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """RFC 6749 §4.1.1: validate the request, sign the user in, ask for consent."""
    end_user = request.user if request.user.is_authenticated else None
    try:
        grant = server.get_consent_grant(request, end_user=end_user)
    except OAuth2Error as error:
        return _authorize_error(request, error)
    if end_user is None:
        return redirect_to_login(request.get_full_path())
    if end_user.account_id is None:
        return _error_page(
            request,
            "Your user has no AutoSync account",
            "Sign in as a user of the account whose shops the application should reach.",
            status=403,
        )

    shops = list(end_user.account.shops.order_by("id"))
    context = {
        "client": grant.client,
        "scopes": [(name, SCOPES[name]) for name in grant.request.scope.split()],
        "shops": shops,
        "ticked": {shop.id for shop in shops},
        "message": "",
        # Signing out here (to sign in as someone else) comes back to this same request.
        "signout_next": request.get_full_path(),
    }
    if request.method == "GET":
        return render(request, "oauth/consent.html", context)

    if request.POST.get("decision") != "approve":
        return server.create_authorization_response(request, grant_user=None, grant=grant)
    account_shop_ids = {shop.id for shop in shops}
    ticked = {int(v) for v in request.POST.getlist("shop") if SHOP_ID.fullmatch(v)}
    ticked &= account_shop_ids
    if not ticked:
        context["ticked"] = set()
        context["message"] = "Tick at least one shop, or deny access."
        return render(request, "oauth/consent.html", context, status=422)
    grant.approved_shop_ids = tuple(sorted(ticked))
    return server.create_authorization_response(request, grant_user=end_user, grant=grant)


def _oauth_error(status: int, error: str, description: str) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _form_from_json(request: HttpRequest) -> JsonResponse | None:
    """authlib reads form bodies: a JSON body (as in the API reference) becomes the form."""
    try:
        if request.content_type != "application/json":
            request.POST  # noqa: B018 (parsed now, so that a malformed body is answered here)
            return None
        # RecursionError: deeply nested arrays or objects exhaust the parser's stack.
        data = json.loads(request.body)
    except (ValueError, RecursionError, MultiPartParserError, BadRequest, SuspiciousOperation):
        # SuspiciousOperation: a body over DATA_UPLOAD_MAX_MEMORY_SIZE or with too many fields.
        return _oauth_error(400, "invalid_request", "The body is malformed.")
    if not isinstance(data, dict) or not all(
        isinstance(value, str | int) and not isinstance(value, bool) for value in data.values()
    ):
        return _oauth_error(400, "invalid_request", "The body must be an object of strings.")
    form = QueryDict(mutable=True)
    for key, value in data.items():
        form[key] = str(value)
    request.POST = form
    return None


def _over_budget(request: HttpRequest) -> JsonResponse | None:
    """Count the request against the budget of the client it names (in HTTP Basic or the
    body), registered or not yet authenticated: a flood of wrong secrets spends the budget too.
    Names that are no registered client are not counted (they cost one indexed lookup)."""
    client_id, _ = extract_basic_authorization(request.headers)
    client_id = client_id or request.POST.get("client_id", "")
    if not client_id or server.query_client(client_id) is None:
        return None
    window = count_request(f"oauth-client:{client_id}", limit=settings.SANDBOX_TOKEN_RATE_LIMIT)
    if not window.exceeded:
        return None
    retry_after = max(1, math.ceil(window.reset - time.time()))
    response = _oauth_error(
        429,
        "rate_limited",
        f"More than {window.limit} token requests of this client; retry in {retry_after} s.",
    )
    response["Retry-After"] = str(retry_after)
    for name, value in window.headers().items():
        response[name] = value
    return response


def _machine_endpoint(handle, *, rate_limited: bool = False):
    """POST only, JSON or form body, in one transaction (spending a code or a refresh token
    and issuing the next one succeed or fail together)."""

    def view(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            response = _oauth_error(405, "invalid_request", "Use POST.")
            response["Allow"] = "POST"
            return response
        problem = _form_from_json(request) or (_over_budget(request) if rate_limited else None)
        if problem is not None:
            return problem
        with transaction.atomic():
            return handle(request)

    # Machine endpoints: authenticated by client credentials, never by a browser session,
    # so CSRF does not apply.
    return csrf_exempt(view)


token = _machine_endpoint(server.create_token_response, rate_limited=True)
revoke = _machine_endpoint(lambda request: server.create_endpoint_response("revocation", request))


@require_GET
def metadata(request: HttpRequest) -> JsonResponse:
    """RFC 8414 authorization server metadata."""
    base = settings.SANDBOX_BASE_URL
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/v1/oauth/token",
            "revocation_endpoint": f"{base}/v1/oauth/revoke",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANT_TYPES),
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        }
    )


@login_required
@require_GET
def applications(request: HttpRequest) -> HttpResponse:
    """The applications the user's account authorized, each revocable."""
    grants = (
        Grant.objects.filter(account_id=request.user.account_id, revoked_at__isnull=True)
        .select_related("client", "user")
        .prefetch_related("shops")
        .order_by("-created_at", "-id")
        if request.user.account_id
        else Grant.objects.none()
    )
    rows = [
        {
            "grant": grant,
            "scopes": [SCOPES.get(name, name) for name in grant.scope_list],
            "shops": sorted(grant.shops.all(), key=lambda shop: shop.id),
        }
        for grant in grants
    ]
    return render(request, "oauth/applications.html", {"rows": rows})


@login_required
@require_POST
def revoke_application(request: HttpRequest, grant_id: str) -> HttpResponse:
    account_id = request.user.account_id
    grant = (
        Grant.objects.filter(pk=int(grant_id), account_id=account_id).first()
        if account_id
        else None
    )
    if grant is not None and revoke_grant(grant.pk):
        messages.success(request, f"{grant.client.name} can no longer reach your shops.")
    return redirect("oauth:applications")
