"""Fault injection (SANDBOX_FAULTS) on live sandbox servers, one per configuration."""

import os
import random
import subprocess
import sys
import time
import uuid

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured

from sandbox.api.faults import Faults, parse
from tests.support.servers import ROOT, LiveSandbox, free_port

SEED = "7"


@pytest.fixture(scope="module")
def faulty(sandbox_db, tmp_path_factory):
    """`faulty("error=1")`: a one-worker sandbox with those faults (one per spec per module),
    so a seeded sequence of requests meets a known sequence of faults."""
    servers: dict[str, LiveSandbox] = {}

    def start(spec: str) -> LiveSandbox:
        if spec not in servers:
            servers[spec] = LiveSandbox(
                sandbox_db,
                env={
                    "SANDBOX_FAULTS": spec,
                    "SANDBOX_FAULTS_SEED": SEED,
                    "SANDBOX_RATE_LIMIT": "100000",
                },
                workers=1,
                log_path=tmp_path_factory.mktemp("faults") / "sandbox.log",
            ).start()
        return servers[spec]

    yield start
    for server in servers.values():  # all at once: each takes a moment to stop gracefully
        server.process.terminate()
    for server in servers.values():
        server.stop()


@pytest.fixture
def faulty_api(faulty, api_for, johnsons):
    """`faulty_api("error=1")`: Johnson's API key on a sandbox with those faults."""
    return lambda spec: api_for(johnsons["api_key"], server=faulty(spec))


def test_the_fault_specification_is_read_with_its_arguments():
    faults = parse(
        "error=0.1, latency=0.05:2.5,reset=0.02,ratelimit=0.05:3,error_after_commit=0.05"
    )
    assert faults == Faults(
        error=0.1,
        latency=0.05,
        latency_seconds=2.5,
        reset=0.02,
        ratelimit=0.05,
        retry_after=3,
        error_after_commit=0.05,
    )
    assert not parse("").active


@pytest.mark.parametrize(
    "spec",
    [
        "error=2",
        "error=-0.1",
        "error=often",
        "latency=0.5",
        "timeout=0.1",
        "error=0.1,error=0.2",
        "error=0.6,reset=0.5",
        "reset=0.1:3",
    ],
)
def test_a_bad_fault_specification_is_refused(spec):
    with pytest.raises(ImproperlyConfigured, match="SANDBOX_FAULTS"):
        parse(spec)


def test_a_server_with_a_bad_fault_specification_does_not_start(sandbox_db):
    server = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sandbox.wsgi:application",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{free_port()}",
        ],
        cwd=ROOT,
        env={**os.environ, "SANDBOX_DATABASE_URL": sandbox_db.url, "SANDBOX_FAULTS": "error=1.5"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert server.returncode != 0
    assert "SANDBOX_FAULTS: the probability of error must be a number between 0 and 1" in (
        server.stderr
    )


def test_errors_come_at_the_configured_rate_in_the_order_the_seed_gives(faulty_api, johnsons):
    api = faulty_api("error=0.3")
    statuses = [api.get("/shops").status_code for _ in range(60)]

    faults, rng = parse("error=0.3"), random.Random(SEED)
    expected = [500 if faults.draw(rng)[0] == "error" else 200 for _ in range(60)]
    assert statuses == expected
    assert 8 <= statuses.count(500) <= 30


def test_an_injected_error_is_the_error_envelope_with_rate_limit_headers(faulty_api):
    api = faulty_api("error=1")
    answer = api.get("/shops")
    assert answer.status_code == 500
    assert answer.json() == {
        "success": False,
        "error": {
            "code": "server_error",
            "message": "Something went wrong on our side.",
            "status": 500,
        },
    }
    assert answer.headers["X-Sandbox-Fault"] == "error"
    assert "X-RateLimit-Remaining" in answer.headers


def test_faults_apply_to_any_api_path_before_routing(faulty_api):
    answer = faulty_api("error=1").get("/no/such/resource")
    assert answer.status_code == 500
    assert answer.headers["X-Sandbox-Fault"] == "error"


def test_an_error_leaves_nothing_written_and_an_error_after_commit_writes(
    faulty_api, api, johnsons
):
    faulted = faulty_api("error=0.5,error_after_commit=0.5")
    shop_id = johnsons["shops"][0]["id"]
    outcomes = {}
    for _ in range(12):
        name = f"Fault{uuid.uuid4().hex[:10]}"
        answer = faulted.post(
            f"/shops/{shop_id}/customers", json={"first_name": name, "last_name": "X"}
        )
        assert answer.status_code == 500
        assert answer.json()["error"]["code"] == "server_error"
        outcomes[name] = answer.headers["X-Sandbox-Fault"]
    assert set(outcomes.values()) == {"error", "error_after_commit"}

    for name, fault in outcomes.items():
        found = api.get(f"/shops/{shop_id}/customers", params={"search": name}).json()["data"]
        assert len(found) == (1 if fault == "error_after_commit" else 0), (name, fault)


def test_latency_delays_the_answer(faulty_api):
    api = faulty_api("latency=1:0.3")
    started = time.monotonic()
    answer = api.get("/shops")
    assert time.monotonic() - started >= 0.3
    assert answer.status_code == 200


def test_an_injected_rate_limit_answers_429_with_retry_after(faulty_api):
    answer = faulty_api("ratelimit=1:2").get("/shops")
    assert answer.status_code == 429
    assert answer.json()["error"]["code"] == "rate_limited"
    assert answer.headers["Retry-After"] == "2"
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
        answer.headers
    )


def test_a_reset_drops_the_connection_without_an_answer(faulty, faulty_api):
    api = faulty_api("reset=1")
    for _ in range(3):
        with pytest.raises(requests.ConnectionError, match="reset by peer"):
            api.get("/shops")
    # The worker is unharmed and logged no error.
    assert faulty("reset=1").process.poll() is None
    assert "Traceback" not in faulty("reset=1").log_path.read_text()


def test_oauth_and_the_api_description_are_never_faulted(faulty, johnsons):
    server = faulty("error=0.5,error_after_commit=0.5")  # every API request fails here
    token = requests.post(
        f"{server.api_url}/oauth/token",
        data={"grant_type": "authorization_code", "code": "nope", "client_id": "nobody"},
        timeout=10,
    )
    assert token.status_code in (400, 401)
    assert "error" in token.json()
    revoke = requests.post(f"{server.api_url}/oauth/revoke", data={"token": "nope"}, timeout=10)
    assert revoke.status_code < 500
    assert requests.get(f"{server.api_url}/openapi.json", timeout=10).status_code == 200
    authorize = requests.get(f"{server.url}/oauth/authorize", timeout=10, allow_redirects=False)
    assert authorize.status_code < 500
    for answer in (token, revoke, authorize):
        assert "X-Sandbox-Fault" not in answer.headers
