"""The front door: each visitor goes to their side of the portal."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from portal.accounts.owners import NOBODY
from portal.views import STAFF, side_of


@pytest.mark.django_db
def test_a_visitor_who_is_not_signed_in_sees_the_welcome_page(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/accounts/signup/"' in html and 'href="/accounts/login/"' in html


@pytest.mark.django_db
def test_a_signed_in_member_of_staff_goes_to_their_shops(client, cast):
    client.force_login(cast.teammate)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/shops/"


def test_a_signed_in_user_is_on_the_staff_side_and_a_visitor_on_none(cast):
    request = RequestFactory().get("/")
    request.user, request.owner = AnonymousUser(), NOBODY
    assert side_of(request) is None
    request.user = cast.owner
    assert side_of(request) == STAFF


@pytest.mark.django_db
def test_the_front_door_only_answers_reads(client):
    assert client.post("/").status_code == 405
