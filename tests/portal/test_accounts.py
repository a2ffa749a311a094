"""Staff accounts: sign up, sign in, sign out, reset a forgotten password by email."""

import re

import pytest
from django.core import mail

from tests.portal.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_signing_up_creates_the_account_and_signs_in(client, django_user_model):
    response = client.post(
        "/accounts/signup/",
        {"email": "New.Person@Example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/shops/"
    user = django_user_model.objects.get()
    assert user.email == "new.person@example.com"
    assert client.get("/shops/").status_code == 200


def test_signing_up_twice_with_one_email_is_refused_with_a_message(client, cast):
    response = client.post(
        "/accounts/signup/",
        {"email": "ALICE@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert b"already exists" in response.content


def test_sign_up_follows_a_local_next_but_not_another_site(client):
    data = {"email": "n@example.com", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post("/accounts/signup/?next=https://evil.example/", data)
    assert response["Location"] == "/shops/"


def test_signing_in_and_out(client, cast):
    response = client.post(
        "/accounts/login/", {"username": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/shops/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/shops/")["Location"].startswith("/accounts/login/")


def test_a_wrong_password_is_refused_on_the_sign_in_page(client, cast):
    response = client.post(
        "/accounts/login/", {"username": "alice@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content


def test_a_forgotten_password_is_reset_through_the_emailed_link(client, cast):
    client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"new password" in form.content.lower()
    new_password = "another horse battery staple"
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert client.login(username="alice@example.com", password=new_password)


def test_a_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client, cast):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_pages_render_for_a_visitor(client):
    for url in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"htmx.min.js" in response.content and b'rel="stylesheet"' in response.content


def test_the_development_mailbox_lists_and_shows_kept_messages(client, settings, tmp_path):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    mail.send_mail("First", "Hello http://example.com/x", None, ["a@example.com"])
    mail.send_mail("Second", "Again", None, ["b@example.com"])
    listing = client.get("/dev/mail/")
    assert b"First" in listing.content and b"Second" in listing.content
    link = re.search(rb'href="(/dev/mail/[^"]+)">First', listing.content).group(1).decode()
    shown = client.get(link)
    assert b'<a href="http://example.com/x"' in shown.content


def test_the_development_mailbox_does_not_exist_in_production(client, settings, tmp_path):
    settings.DEBUG = False
    settings.EMAIL_FILE_PATH = tmp_path
    assert client.get("/dev/mail/").status_code == 404
    assert client.get("/dev/mail/20260101-000000-1.log/0/").status_code == 404


def test_the_development_mailbox_refuses_paths_outside_its_folder(client, settings, tmp_path):
    settings.DEBUG = True
    settings.EMAIL_FILE_PATH = tmp_path
    assert client.get("/dev/mail/..%2F..%2Fetc%2Fpasswd/0/").status_code == 404
