import pytest


@pytest.fixture
def browsing(monkeypatch, transactional_db):
    # Django's async-unsafe guard trips on Playwright's event loop in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
