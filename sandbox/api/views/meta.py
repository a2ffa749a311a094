"""The API's own description, and the answer for paths it does not have."""

from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ..envelope import ApiError

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.json"


@cache
def _openapi_bytes() -> bytes:
    return OPENAPI_PATH.read_bytes()


def openapi_document(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 description (sandbox/api/openapi.json, built by sandbox.api.openapi)."""
    return HttpResponse(_openapi_bytes(), content_type="application/json")


# Like every /v1/ view: a bearer-token machine API that reads no cookies (see base.endpoint).
@csrf_exempt
def unknown_path(request: HttpRequest, **kwargs) -> HttpResponse:
    raise ApiError(404, f"There is no endpoint at {request.path}.")
