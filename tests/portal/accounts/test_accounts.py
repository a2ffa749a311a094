"""Staff accounts: sign up, sign in, sign out, reset a forgotten password by email."""

import re

import pytest
from django.core import mail

from tests.support.portal import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password})


def emailed_link(message, path: str) -> str:
    return re.search(rf"http://(?:testserver|127.0.0.1:8000)({path}\S+)", message.body).group(1)


def test_signing_up_creates_the_account_and_asks_to_confirm_the_address(client, django_user_model):
    response = client.post(
        "/accounts/signup/",
        {"email": "New.Person@Example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/done/"
    user = django_user_model.objects.get()
    assert user.email == "new.person@example.com" and not user.email_verified
    assert b"new.person@example.com" in client.get("/accounts/signup/done/").content
    assert mail.outbox[0].to == ["new.person@example.com"]

    link = emailed_link(mail.outbox[0], "/accounts/verify/")
    # Opening the link (as a mail scanner does) confirms nothing; its button does.
    assert b"Confirm new.person@example.com" in client.get(link).content
    user.refresh_from_db()
    assert not user.email_verified
    confirmed = client.post(link)
    assert confirmed["Location"].startswith("/accounts/login/")
    user.refresh_from_db()
    assert user.email_verified
    assert sign_in(client, "new.person@example.com").status_code == 302
    assert client.get("/shops/").status_code == 200


def test_signing_up_with_an_address_that_has_an_account_reveals_nothing(client, cast):
    new = client.post(
        "/accounts/signup/",
        {"email": "someone.new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    taken = client.post(
        "/accounts/signup/",
        {
            "email": "ALICE@example.com",
            "password1": "a different passphrase",
            "password2": "a different passphrase",
        },
    )
    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert b"already" not in client.get(taken["Location"]).content
    # The owner of the address hears about it, and nothing about the account changed.
    assert mail.outbox[-1].to == ["alice@example.com"]
    assert "You already have one" in mail.outbox[-1].body
    cast.owner.refresh_from_db()
    assert cast.owner.check_password(PASSWORD)


def test_sign_up_follows_a_local_next_but_not_another_site(client):
    data = {"email": "n@example.com", "password1": PASSWORD, "password2": PASSWORD}
    client.post("/accounts/signup/?next=https://evil.example/", data)
    client.post("/accounts/signup/?next=/shops/", {**data, "email": "m@example.com"})
    evil, local = (emailed_link(m, "/accounts/verify/") for m in mail.outbox)
    assert "evil.example" not in evil
    assert client.post(local)["Location"] == "/accounts/login/?next=%2Fshops%2F"


def test_passwords_shorter_than_twelve_characters_are_refused(client, django_user_model):
    short = "eleven-char"
    response = client.post(
        "/accounts/signup/", {"email": "s@example.com", "password1": short, "password2": short}
    )
    assert response.status_code == 200
    assert b"at least 12 characters" in response.content
    assert not django_user_model.objects.exists()


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


def test_a_forgotten_password_is_reset_through_the_emailed_link_which_confirms_the_address(
    client, cast
):
    cast.owner.email_verified_at = None
    cast.owner.save()
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
    assert sign_in(client, "alice@example.com", new_password)["Location"] == "/shops/"
    cast.owner.refresh_from_db()
    assert cast.owner.email_verified


def test_a_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client, cast):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_pages_render_for_a_visitor(client):
    for url in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"htmx.min.js" in response.content and b'rel="stylesheet"' in response.content


@pytest.fixture
def mailbox(settings, tmp_path):
    """The development mailbox switched on, with two kept messages."""
    settings.DEBUG = True
    settings.PORTAL_DEV_MAILBOX = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    mail.send_mail("First", "Hello http://example.com/x", None, ["a@example.com"])
    mail.send_mail("Second", "Again", None, ["b@example.com"])
    return tmp_path


def test_the_development_mailbox_lists_and_shows_kept_messages(client, mailbox):
    listing = client.get("/accounts/dev/mail/")
    assert b"First" in listing.content and b"Second" in listing.content
    link = re.search(rb'href="(/accounts/dev/mail/[^"]+)">First', listing.content).group(1).decode()
    shown = client.get(link)
    assert b'<a href="http://example.com/x"' in shown.content


def test_the_development_mailbox_offers_a_messages_attachments_for_download(client, mailbox):
    message = mail.EmailMultiAlternatives("Invitation", "See you", None, ["c@example.com"])
    message.attach("visit.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    message.send()
    listing = client.get("/accounts/dev/mail/")
    link = re.search(rb'href="(/accounts/dev/mail/[^"]+)">Invitation', listing.content).group(1)
    shown = client.get(link.decode())
    download = re.search(rb'href="([^"]+)" download>visit.ics<', shown.content).group(1).decode()
    answer = client.get(download)
    assert answer["Content-Type"].startswith("text/calendar")
    assert answer["Content-Disposition"] == 'attachment; filename="visit.ics"'
    # The file-based backend keeps messages as text files: line ends come back as \n.
    assert b"".join(answer.streaming_content) == b"BEGIN:VCALENDAR\nEND:VCALENDAR\n"
    assert client.get(download.replace("/0/", "/1/")).status_code == 404  # only one attachment


def test_the_development_mailbox_does_not_exist_in_production(client, mailbox, settings):
    settings.DEBUG = False
    assert client.get("/accounts/dev/mail/").status_code == 404
    assert client.get("/accounts/dev/mail/20260101-000000-1.log/0/").status_code == 404
    assert client.get("/accounts/dev/mail/20260101-000000-1.log/0/0/").status_code == 404


def test_the_development_mailbox_needs_its_own_setting_even_with_debug(client, mailbox, settings):
    settings.PORTAL_DEV_MAILBOX = False
    assert client.get("/accounts/dev/mail/").status_code == 404
    assert b"Mailbox (dev)" not in client.get("/").content


def test_the_development_mailbox_answers_only_loopback_or_a_superuser(
    client, mailbox, cast, admin_user
):
    remote = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/accounts/dev/mail/", **remote).status_code == 404
    # A proxy on the same machine connects from 127.0.0.1 but speaks for someone else.
    proxied = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert client.get("/accounts/dev/mail/", **proxied).status_code == 404
    client.force_login(cast.owner)  # a signed-in shop user is not enough
    assert client.get("/accounts/dev/mail/", **remote).status_code == 404
    assert b"Mailbox (dev)" not in client.get("/", **remote).content
    client.force_login(admin_user)
    assert client.get("/accounts/dev/mail/", **remote).status_code == 200


def test_the_development_mailbox_refuses_paths_outside_its_folder(client, mailbox):
    assert client.get("/accounts/dev/mail/..%2F..%2Fetc%2Fpasswd/0/").status_code == 404
