"""The JSON envelope of every /v1/ answer, and the error a view raises to answer with one."""

from django.http import JsonResponse

# The error codes of the contract, with the status each answers by default.
DEFAULT_CODES = {
    400: "invalid_parameter",
    401: "unauthorized",
    403: "insufficient_scope",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_parameter",
    429: "rate_limited",
    500: "server_error",
}


class ApiError(Exception):
    """Raised anywhere under a view; the middleware answers with the error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code or DEFAULT_CODES.get(status, "server_error")
        self.message = message
        self.field = field
        self.headers = headers or {}


def invalid(field: str, message: str, status: int = 422) -> ApiError:
    """A validation error naming `field` (400 for malformed query values, 422 otherwise)."""
    return ApiError(status, message, field=field)


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, f"The {what} was not found.")


def ok(data, status: int = 200) -> JsonResponse:
    return JsonResponse({"success": True, "data": data}, status=status)


def ok_page(data: list, *, page: int, per_page: int, total: int) -> JsonResponse:
    return JsonResponse(
        {
            "success": True,
            "data": data,
            "pagination": {"page": page, "per_page": per_page, "total": total},
        }
    )


def error_response(error: ApiError) -> JsonResponse:
    body = {"code": error.code, "message": error.message, "status": error.status}
    if error.field is not None:
        body["field"] = error.field
    response = JsonResponse({"success": False, "error": body}, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response
