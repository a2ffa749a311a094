"""Fixtures of the garage's tests: the scene (the cast's vehicle owners with records at both
shops, both connected) for the pages; tasks run at once, and the sign-in email's link and code
read back from Django's outbox, for the sign-in and the notifications."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from portal.garage import rendered

# Eager Celery (tasks run in the caller), and the webhook receiver's secret.
from tests.portal.mirror.conftest import eager, webhook_secret  # noqa: F401
from tests.support.garage import Scene, build_scene

LINK = re.compile(r"/garage/sign-in/link/\?token=([A-Za-z0-9_-]+)")
CODE = re.compile(r"code where you asked for it: ([0-9]{6})")


@pytest.fixture(autouse=True)
def nothing_rendered_kept():
    """Each test starts without the work order parts an earlier one rendered (they could
    only be found under the same validator, but query counts would differ)."""
    rendered.forget()


@pytest.fixture
def scene(cast, owners) -> Scene:
    return build_scene(cast, owners)


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
