"""Error reports that never show a secret: not in production's emails, and not on DEBUG's
technical 500 page either (a developer shares screenshots and pastes of it).

Django's filter hides the variables named by `sensitive_variables` only when DEBUG is off,
and shows the query string of the request (the OAuth callback's `code` and `state`) as is.
This filter is always on, also hides every variable, dict key and query parameter whose name
says it is a secret, and the reporter hides sensitive query values in the URL and META."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict
from django.views import debug

SUBSTITUTE = debug.SafeExceptionReporterFilter.cleansed_substitute

# Django's own list, plus the OAuth words: the callback's code and state, the PKCE verifier,
# plaintext and ciphertext in portal.crypto, and credentials.
SENSITIVE_NAME = re.compile(
    r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|VERIFIER|CREDENTIAL|PLAINTEXT|"
    r"CIPHERTEXT|FERNET|^code$|^state$|^state_data$",
    flags=re.IGNORECASE,
)


def redact_query(query: str) -> str:
    """A query string with the values of sensitive parameters replaced."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(k, "[redacted]" if SENSITIVE_NAME.search(k) else v) for k, v in pairs], safe="[]"
    )


def redact_url(url: str) -> str:
    path, sep, query = url.partition("?")
    return path + sep + redact_query(query) if sep else url


class ReporterFilter(debug.SafeExceptionReporterFilter):
    hidden_settings = SENSITIVE_NAME

    def is_active(self, request: HttpRequest | None) -> bool:
        return True  # DEBUG on is no reason to show a token on a page

    def cleanse_special_types(self, request: HttpRequest | None, value: Any) -> Any:
        if isinstance(value, HttpRequest):
            # Its repr shows the full path, query included.
            return f"<{type(value).__name__}: {value.method} {value.path!r}>"
        if isinstance(value, MultiValueDict):
            cleansed = value.copy()
            for key in cleansed:
                if isinstance(key, str) and SENSITIVE_NAME.search(key):
                    cleansed[key] = SUBSTITUTE
            return super().cleanse_special_types(request, cleansed)
        return super().cleanse_special_types(request, value)

    def get_traceback_frame_variables(self, request, tb_frame):
        # After Django's pass (sensitive_variables), hide what the names give away, and
        # secrets inside dicts and lists (a token endpoint's answer, a request's payload).
        return [
            (name, self.cleanse_setting(name, value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def get_safe_request_meta(self, request: HttpRequest) -> dict:
        meta = super().get_safe_request_meta(request)
        for key in ("QUERY_STRING", "REQUEST_URI", "RAW_URI"):
            if isinstance(meta.get(key), str):
                meta[key] = redact_url(meta[key]) if "?" in meta[key] else redact_query(meta[key])
        return meta


class ExceptionReporter(debug.ExceptionReporter):
    def _get_raw_insecure_uri(self) -> str:
        return redact_url(super()._get_raw_insecure_uri())

    def get_traceback_data(self) -> dict:
        data = super().get_traceback_data()
        if self.request is not None:
            safe = QueryDict(redact_query(self.request.META.get("QUERY_STRING", "")))
            data["request_GET_items"] = safe.items()
        return data


def scrub_sentry_event(event: dict, hint: dict) -> dict:
    """Sentry's `before_send`: the request's query (sign-in and unsubscribe links carry their
    token there) redacted as in the access logs."""
    request = event.get("request") or {}
    if isinstance(request.get("query_string"), str):
        request["query_string"] = redact_query(request["query_string"])
    if isinstance(request.get("url"), str):
        request["url"] = redact_url(request["url"])
    return event
