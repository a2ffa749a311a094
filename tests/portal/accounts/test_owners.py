"""A vehicle owner's identity: a verified email in the session, apart from staff sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth import login
from django.http import HttpResponse
from django.test import RequestFactory

from portal.accounts.owners import (
    NOBODY,
    SESSION_KEY,
    OwnerMiddleware,
    owner_required,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.django_db


def request_with_session(path: str = "/garage/"):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    request.session = SessionStore()
    request.session.save()
    OwnerMiddleware(lambda r: HttpResponse())(request)
    return request


def test_a_visitor_is_nobody_until_signed_in():
    request = request_with_session()
    assert not request.owner.is_authenticated
    assert request.owner == NOBODY


def test_signing_in_stores_the_email_lowercased_in_a_new_session_key():
    request = request_with_session()
    before = request.session.session_key
    owner = sign_in(request, " Pat@Example.COM ", remember=False)
    assert owner.email == "pat@example.com"
    assert request.owner.is_authenticated
    assert request.session.session_key != before
    assert request.session.get_expire_at_browser_close()


def test_keep_me_signed_in_makes_the_session_outlive_the_browser(settings):
    request = request_with_session()
    sign_in(request, "pat@example.com", remember=True)
    assert not request.session.get_expire_at_browser_close()
    assert request.session.get_expiry_age() == settings.OWNER_SESSION_REMEMBER_SECONDS


def test_keep_me_signed_in_leaves_a_staff_sign_in_in_the_same_browser_its_own_expiry(cast):
    request = request_with_session()
    login(request, cast.owner, backend="django.contrib.auth.backends.ModelBackend")
    staff_expiry = request.session.get_expiry_age()
    sign_in(request, "pat@example.com", remember=True)
    assert request.owner.is_authenticated
    assert request.session.get("_session_expiry") is None
    assert request.session.get_expiry_age() == staff_expiry


def test_signing_out_forgets_the_owner_but_keeps_a_staff_sign_in(cast):
    request = request_with_session()
    login(request, cast.owner, backend="django.contrib.auth.backends.ModelBackend")
    sign_in(request, "pat@example.com", remember=False)
    sign_out(request)
    assert SESSION_KEY not in request.session
    assert not request.owner.is_authenticated
    assert request.session["_auth_user_id"] == str(cast.owner.pk)


def test_a_page_for_owners_sends_a_visitor_to_sign_in_and_back(settings):
    settings.OWNER_SIGN_IN_URL = "/owners/sign-in/"
    view = owner_required(lambda request: HttpResponse("garage"))
    request = request_with_session("/garage/work-orders/7/?tab=jobs")
    response = view(request)
    assert response.status_code == 302
    back = "%2Fgarage%2Fwork-orders%2F7%2F%3Ftab%3Djobs"
    assert response["Location"] == f"/owners/sign-in/?next={back}"
    sign_in(request, "pat@example.com", remember=False)
    assert view(request).content == b"garage"


def test_an_owners_half_made_booking_ends_when_they_sign_out():
    from portal.booking.visit import SESSION_KEY as VISIT

    request = request_with_session()
    sign_in(request, "pat@example.com", remember=False)
    request.session[VISIT] = {"vehicle": {"remote_id": 7}, "who": {"phone": "+13125550143"}}
    sign_out(request)
    assert VISIT not in request.session
