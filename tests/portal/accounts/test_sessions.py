"""The portal's session store (portal.accounts.sessions): Django's database sessions, read
with SQL compiled once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_reads_back_what_was_kept():
    session = SessionStore()
    session["portal_owner_email"] = "olive@example.com"
    session.create()
    again = SessionStore(session.session_key)
    assert again["portal_owner_email"] == "olive@example.com"
    assert again.session_key == session.session_key


def test_an_expired_session_reads_as_empty_and_gets_a_new_key_when_saved():
    session = SessionStore()
    session["portal_owner_email"] = "olive@example.com"
    session.create()
    Session.objects.filter(pk=session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    again = SessionStore(session.session_key)
    assert again.get("portal_owner_email") is None
    assert again.session_key is None


def test_an_unknown_key_reads_as_empty():
    assert SessionStore("x" * 32).get("portal_owner_email") is None
