"""Fixtures shared by the sandbox and portal suites: real sandbox processes over HTTP."""

import pytest

from tests.support.servers import LiveSandbox, SandboxDatabase


@pytest.fixture(scope="session")
def sandbox_db(tmp_path_factory):
    """One migrated database seeded at `small` scale, shared by the session's live servers."""
    database = SandboxDatabase.create(tmp_path_factory.mktemp("sandbox"))
    yield database
    database.drop()


@pytest.fixture(scope="session")
def live_sandbox(sandbox_db, tmp_path_factory):
    """A sandbox server with default settings."""
    server = LiveSandbox(sandbox_db, log_path=tmp_path_factory.mktemp("logs") / "sandbox.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_sandbox(sandbox_db, tmp_path_factory):
    """Start extra sandbox servers on the shared database with their own settings
    (faults, a lower rate limit, short token lifetimes); they stop after the test."""
    started = []

    def start(database=None, **env) -> LiveSandbox:
        server = LiveSandbox(
            database or sandbox_db,
            env=env,
            log_path=tmp_path_factory.mktemp("logs") / "sandbox.log",
        )
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()
