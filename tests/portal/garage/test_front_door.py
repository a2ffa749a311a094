"""The owner's side of the front door: the home page's way in, where a signed-in owner lands,
and the owner's navigation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from portal.accounts.owners import Owner
from portal.views import OWNER, STAFF, side_of
from tests.support.garage import garage_client

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_car_owners_the_way_in(client):
    html = client.get("/").content.decode()
    assert 'href="/garage/sign-in/"' in html and "Car owners: see your car's repairs" in html


def test_a_signed_in_owner_goes_to_their_garage(client):
    garage_client(client, "olive@example.com")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/garage/"


def test_someone_signed_in_as_staff_and_owner_is_on_the_staff_side_with_a_link_to_the_garage(
    client, cast
):
    client.force_login(cast.teammate)
    garage_client(client, "olive@example.com")
    response = client.get("/")
    assert response["Location"] == "/shops/"
    assert 'href="/garage/"' in client.get("/shops/").content.decode()


def test_staff_who_are_not_owners_get_no_link_to_the_garage(client, cast):
    client.force_login(cast.teammate)
    assert 'href="/garage/"' not in client.get("/shops/").content.decode()


def test_the_side_of_an_owner_is_the_garage(cast):
    request = RequestFactory().get("/")
    request.user, request.owner = AnonymousUser(), Owner("olive@example.com")
    assert side_of(request) == OWNER
    request.user = cast.owner
    assert side_of(request) == STAFF


def test_the_owners_navigation_has_their_email_choices_and_sign_out(client):
    html = client.get("/garage/sign-in/").content.decode()
    assert 'action="/garage/sign-out/"' not in html
    garage_client(client, "olive@example.com")
    html = client.get("/garage/preferences/").content.decode()
    assert "olive@example.com" in html
    assert 'href="/garage/preferences/" aria-current="page"' in html
    assert 'href="/garage/work-orders/"' in html  # the garage's own links, as on its pages
    assert 'action="/garage/sign-out/"' in html
