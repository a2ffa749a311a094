"""Fixtures of the garage's sign-in and notification tests: tasks run at once, and the
sign-in email's link and code read back from Django's outbox."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from portal.accounts.owners import SESSION_KEY

# Eager Celery (tasks run in the caller), and the webhook receiver's secret.
from tests.portal.mirror.conftest import eager, webhook_secret  # noqa: F401

LINK = re.compile(r"/garage/sign-in/link/\?token=([A-Za-z0-9_-]+)")
CODE = re.compile(r"code where you asked for it: ([0-9]{6})")


@pytest.fixture
def ask(client, eager, django_capture_on_commit_callbacks):  # noqa: F811
    """`ask(email)`: the sign-in form posted (by `client`, or the one given), its email sent
    as the worker would send it."""

    def ask_(email: str, browser=None, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return (browser or client).post("/garage/sign-in/", {"email": email, **data})

    return ask_


def last_sign_in_email() -> tuple[str, str]:
    """The token of the link and the code in the last email sent."""
    message = mail.outbox[-1]
    return LINK.search(message.body)[1], CODE.search(message.body)[1]


def sign_in_as(client, email: str) -> None:
    """The client's browser signed in as the owner `email`, as the sign-in leaves it."""
    session = client.session  # the test client's, made and saved if it had none
    session[SESSION_KEY] = email
    session.save()
