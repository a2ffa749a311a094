"""Authentication, rate limits and the error envelope for every /v1/ request (not /v1/oauth/)."""

import logging
import math
import time

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse

from .auth import authenticate
from .envelope import ApiError, error_response
from .ratelimit import count_request

logger = logging.getLogger(__name__)

API_PREFIX = "/v1/"
# The OAuth token and revoke endpoints authenticate clients their own way (RFC 6749).
OAUTH_PREFIX = "/v1/oauth/"
# Served without a credential, so tools can fetch the description before they have a key.
PUBLIC_PATHS = frozenset({"/v1/openapi.json"})
STATUS_MESSAGES = {
    400: "The request is malformed.",
    404: "The resource was not found.",
    405: "The method is not allowed here.",
    500: "Something went wrong on our side.",
}


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_api(request):
            return self.get_response(request)
        try:
            return self._handle(request)
        except Exception:
            # The database failing under authentication or rate counting, for instance.
            logger.exception("Unhandled error in %s %s", request.method, request.path_info)
            return _refusal(500)

    def _handle(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        request.credential = None
        refusal = None
        if path not in PUBLIC_PATHS:
            try:
                request.credential = authenticate(request.META.get("HTTP_AUTHORIZATION", ""))
            except ApiError as error:
                refusal = error
        # Callers without a valid credential still spend a budget: their address's.
        rate_key = request.credential.rate_key if request.credential else f"ip:{client_ip(request)}"
        window = count_request(rate_key)
        if window.exceeded:
            retry_after = max(1, math.ceil(window.reset - time.time()))
            refusal = ApiError(
                429,
                f"Rate limit of {window.limit} requests exceeded; retry in {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )

        response = error_response(refusal) if refusal else self._answer(request)
        for name, value in window.headers().items():
            response[name] = value
        return response

    def _answer(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            # Django refused the request below the views (a disallowed Host header, a failing
            # middleware) and rendered an HTML page, with a traceback under DEBUG: API clients
            # get the envelope instead.
            return _refusal(response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        if isinstance(exception, ApiError):
            return error_response(exception)
        if isinstance(exception, Http404):
            return _refusal(404)
        if isinstance(exception, SuspiciousOperation):  # e.g. a body over the upload limit
            return _refusal(400)
        logger.exception("Unhandled error in %s %s", request.method, request.path_info)
        return _refusal(500)


def _refusal(status: int) -> HttpResponse:
    message = STATUS_MESSAGES.get(status, "The request could not be served.")
    return error_response(ApiError(status, message))


def _is_api(request: HttpRequest) -> bool:
    path = request.path_info
    return path.startswith(API_PREFIX) and not path.startswith(OAUTH_PREFIX)


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
