"""Every answer AutoSync can give maps to data or to one typed, classified error."""

import json
import socket

import pytest
import requests

from portal.autosync import errors


def answer(status: int, body=None, headers: dict | None = None, raw: bytes | None = None):
    response = requests.Response()
    response.status_code = status
    response._content = raw if raw is not None else json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


def failure(status: int, code: str, message: str = "Nope.", **extra) -> requests.Response:
    error = {"code": code, "message": message, "status": status, **extra}
    return answer(status, {"success": False, "error": error})


def raised(response: requests.Response) -> errors.AutoSyncError:
    with pytest.raises(errors.AutoSyncError) as info:
        errors.envelope(response)
    return info.value


def test_a_success_answers_the_whole_envelope():
    body = {
        "success": True,
        "data": [{"id": 1}],
        "pagination": {"page": 1, "per_page": 25, "total": 1},
    }
    assert errors.envelope(answer(200, body)) == body


def test_a_success_without_the_envelope_is_an_ambiguous_transport_error():
    error = raised(answer(201, raw=b"<html>Bad gateway</html>"))
    assert type(error) is errors.TransportError
    assert error.ambiguous and not error.permanent


def test_a_validation_error_names_its_field_and_is_permanent():
    error = raised(
        failure(422, "invalid_parameter", "The 'email' field is invalid.", field="email")
    )
    assert type(error) is errors.InvalidRequest
    assert (error.status, error.code, error.field) == (422, "invalid_parameter", "email")
    assert error.message == "The 'email' field is invalid."
    assert error.permanent and not error.ambiguous


def test_a_malformed_query_is_an_invalid_request_too():
    assert type(raised(failure(400, "invalid_parameter"))) is errors.InvalidRequest


def test_an_expired_token_is_an_invalid_token_error():
    error = raised(failure(401, "invalid_token"))
    assert type(error) is errors.InvalidToken
    assert isinstance(error, errors.Unauthorized)


def test_a_refused_api_key_is_unauthorized():
    assert type(raised(failure(401, "unauthorized"))) is errors.Unauthorized


def test_a_missing_scope_is_permanent():
    error = raised(failure(403, "insufficient_scope"))
    assert type(error) is errors.InsufficientScope and error.permanent


def test_not_found_is_permanent():
    error = raised(failure(404, "not_found"))
    assert type(error) is errors.NotFound and error.permanent


def test_a_429_is_retryable_after_its_retry_after():
    response = failure(429, "rate_limited")
    response.headers["Retry-After"] = "7"
    error = raised(response)
    assert type(error) is errors.RateLimited
    assert not error.permanent and not error.ambiguous
    assert error.retry_after == 7


def test_server_errors_are_retryable_and_ambiguous_even_without_the_envelope():
    for response in (failure(500, "server_error"), answer(502, raw=b"<h1>Bad Gateway</h1>")):
        error = raised(response)
        assert type(error) is errors.ServerError
        assert not error.permanent and error.ambiguous


def test_an_unexpected_client_error_is_permanent():
    error = raised(failure(405, "method_not_allowed"))
    assert type(error) is errors.AutoSyncError and error.permanent


def test_a_refused_connection_never_reached_the_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(requests.ConnectionError) as info:
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)
    error = errors.from_exception(info.value)
    assert not error.ambiguous and not error.permanent


def test_a_read_timeout_may_have_reached_the_server():
    error = errors.from_exception(requests.ReadTimeout("read timed out"))
    assert error.ambiguous and not error.permanent
