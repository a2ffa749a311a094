"""Signing a vehicle owner in by email: one message with a link and a code, safe from mail
scanners, single use, 15 minutes, throttled, and saying nothing about unknown addresses."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.accounts.owners import SESSION_KEY
from portal.garage import signin
from portal.garage.models import SignInRequest
from portal.garage.tasks import send_sign_in
from portal.shops.models import Connection
from tests.portal.garage.conftest import last_sign_in_email

pytestmark = pytest.mark.django_db

SIGN_IN = "/garage/sign-in/"
CODE = "/garage/sign-in/code/"


def link(token: str) -> str:
    return f"/garage/sign-in/link/?token={token}"


def signed_in_as(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


@pytest.fixture
def olive(owners) -> str:
    """A customer of the cast's shop."""
    return owners.one_shop.email


# --- Asking ---------------------------------------------------------------------------------


def test_a_customer_gets_one_email_with_a_link_and_a_code(client, ask, olive):
    response = ask(olive.upper())
    assert response.status_code == 302 and response["Location"] == CODE
    (message,) = mail.outbox
    assert message.to == [olive]
    token, code = last_sign_in_email()
    assert len(token) >= 40 and len(code) == 6
    html = message.alternatives[0][0]
    assert link(token) in html and code in html
    page = client.get(CODE)
    assert olive in page.content.decode() and "6-digit code" in page.content.decode()


def test_a_customer_of_several_shops_gets_one_email(ask, owners):
    ask(owners.two_shops.email)
    assert [m.to for m in mail.outbox] == [[owners.two_shops.email]]


def test_a_customer_only_of_a_shop_that_is_not_connected_gets_no_email(ask, owners):
    assert ask(owners.stranger.email).status_code == 302
    assert mail.outbox == []


def test_an_unknown_email_gets_the_same_answer_and_no_email(client, ask, olive):
    known = ask(olive)
    known_page = _anonymous(client.get(CODE), olive)
    stranger = Client()
    unknown = ask("nobody@example.com", browser=stranger)
    unknown_page = _anonymous(stranger.get(CODE), "nobody@example.com")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    # The pages differ only in their CSRF tokens.
    assert _without_tokens(unknown_page) == _without_tokens(known_page)
    assert [m.to for m in mail.outbox] == [[olive]]


def _anonymous(response, email: str) -> str:
    html = response.content.decode()
    return html.replace(email, "EMAIL").replace(email.replace("@", "%40"), "EMAIL")


def _without_tokens(html: str) -> str:
    return re.sub(r'(name="csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html)


def test_asking_costs_the_same_queries_whether_or_not_a_shop_knows_the_email(
    olive, django_capture_on_commit_callbacks
):
    def queries(email: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            signin.start(email)
        return [q["sql"].split(" ")[0] for q in captured.captured_queries]

    with django_capture_on_commit_callbacks(execute=False):
        assert queries(olive) == queries("nobody@example.com")


def test_a_customer_of_a_disconnected_shop_gets_no_email(ask, cast, olive):
    Connection.objects.filter(pk=cast.connection.pk).update(status=Connection.Status.DISCONNECTED)
    assert ask(olive).status_code == 302
    assert mail.outbox == []


def test_a_bad_address_is_refused_and_kept_in_the_form(client):
    response = client.post(SIGN_IN, {"email": "olive@"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="olive@"' in html and "Enter a valid email address." in html
    assert not SignInRequest.objects.exists()


def test_the_code_page_without_asking_first_sends_to_the_form(client):
    assert client.get(CODE)["Location"] == SIGN_IN


# --- The link ---------------------------------------------------------------------------------


def test_opening_the_link_shows_a_button_and_signs_nobody_in(client, ask, olive):
    ask(olive)
    token, _ = last_sign_in_email()
    scanner = Client()
    for _ in range(3):  # a mail scanner, then a preview, then the owner
        page = scanner.get(link(token))
        assert page.status_code == 200
        assert "Sign in" in page.content.decode() and olive in page.content.decode()
        assert signed_in_as(scanner) is None
    assert SignInRequest.objects.get().ended_at is None  # not spent
    response = client.post(link(token))
    assert response.status_code == 302 and signed_in_as(client) == olive


def test_the_link_signs_in_in_any_browser_with_a_new_session_key(client, ask, olive):
    ask(olive)
    token, _ = last_sign_in_email()
    phone = Client()
    phone.get(link(token))
    before = phone.session.session_key
    response = phone.post(link(token))
    assert response.status_code == 302 and response["Location"] == "/garage/"
    assert signed_in_as(phone) == olive
    assert phone.session.session_key != before
    assert signed_in_as(client) is None  # the browser that asked is not signed in by it


def test_a_link_works_once(client, ask, olive):
    ask(olive)
    token, code = last_sign_in_email()
    Client().post(link(token))  # on the phone
    other = Client()
    for response in (other.get(link(token)), other.post(link(token))):
        assert response.status_code == 410
        html = response.content.decode()
        assert "already used" in html and "Email me a new link and code" in html
        assert f'value="{olive}"' in html  # the new request's form, filled in
    assert signed_in_as(other) is None
    # ...and so does the code that came with it.
    assert client.post(CODE, {"code": code}).status_code == 410


def test_a_link_that_is_not_ours_says_so(client):
    for response in (client.get(link("forged")), client.post(link("forged"))):
        assert response.status_code == 410
        assert "not one we sent" in response.content.decode()
    assert signed_in_as(client) is None


def test_an_expired_link_says_so_and_offers_a_new_one(client, ask, olive):
    ask(olive)
    token, code = last_sign_in_email()
    SignInRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for response in (client.get(link(token)), client.post(link(token))):
        assert response.status_code == 410
        assert "expired" in response.content.decode()
    response = client.post(CODE, {"code": code})
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_link_still_works_just_before_its_15_minutes_end(client, ask, olive):
    ask(olive)
    token, _ = last_sign_in_email()
    request = SignInRequest.objects.get()
    assert request.expires_at - request.created_at == timedelta(minutes=15)
    SignInRequest.objects.update(expires_at=timezone.now() + timedelta(seconds=5))
    client.post(link(token))
    assert signed_in_as(client) == olive


def test_a_new_request_replaces_the_earlier_link_and_code(client, ask, olive):
    ask(olive)
    old_token, old_code = last_sign_in_email()
    ask(olive)
    new_token, new_code = last_sign_in_email()
    assert len(mail.outbox) == 2 and old_token != new_token
    response = Client().post(link(old_token))
    assert response.status_code == 410 and "newer email" in response.content.decode()
    if old_code != new_code:  # this browser's code is the newest one's
        assert client.post(CODE, {"code": old_code}).status_code == 422
    assert client.post(CODE, {"code": new_code}).status_code == 302
    assert Client().post(link(new_token)).status_code == 410  # it went with its code
    assert SignInRequest.objects.filter(ended_because="used").count() == 1


def test_the_link_and_the_code_are_stored_only_as_hashes(ask, olive):
    ask(olive)
    token, code = last_sign_in_email()
    stored = " ".join(str(value) for value in SignInRequest.objects.values().get().values())
    assert token not in stored and code not in stored
    request = SignInRequest.objects.get()
    assert request.link_digest == signin.link_digest(token)
    assert request.code_digest == signin.code_digest(request.pk, code)
    assert request.code_digest != signin.code_digest(request.pk + 1, code)  # bound to it


# --- The code -------------------------------------------------------------------------------


def test_the_code_signs_in_the_browser_that_asked(client, ask, olive):
    ask(olive)
    _, code = last_sign_in_email()
    before = client.session.session_key
    response = client.post(CODE, {"code": f"{code[:3]} {code[3:]}"})  # as the email shows it
    assert response.status_code == 302 and response["Location"] == "/garage/"
    assert signed_in_as(client) == olive
    assert client.session.session_key != before
    assert "garage_sign_in" not in client.session


def test_a_stranger_cannot_use_another_owners_code(client, ask, olive, owners):
    ask(olive)
    _, code = last_sign_in_email()
    stranger = Client()
    # Without a request of its own, the code page is not even there...
    assert stranger.post(CODE, {"code": code})["Location"] == SIGN_IN
    # ...and with one (for the stranger's own address), Olive's code is just wrong.
    ask(owners.stranger.email, browser=stranger)
    response = stranger.post(CODE, {"code": code})
    assert response.status_code == 422 and "not the code we sent" in response.content.decode()
    assert signed_in_as(stranger) is None
    assert client.post(CODE, {"code": code}).status_code == 302  # still good for Olive


def test_five_wrong_codes_spend_the_request(client, ask, olive):
    ask(olive)
    token, code = last_sign_in_email()
    wrong = "000000" if code != "000000" else "111111"
    for tries_left in (4, 3, 2, 1):
        response = client.post(CODE, {"code": wrong})
        assert response.status_code == 422
        more = "1 more try" if tries_left == 1 else f"{tries_left} more tries"
        assert more in response.content.decode()
    response = client.post(CODE, {"code": wrong})
    assert response.status_code == 410 and "wrong too many times" in response.content.decode()
    assert client.post(CODE, {"code": code}).status_code == 410
    assert Client().post(link(token)).status_code == 410  # the link went with it
    assert signed_in_as(client) is None


def test_an_unknown_email_counts_wrong_codes_the_same_way(client, ask):
    ask("nobody@example.com")
    for _ in range(4):
        assert client.post(CODE, {"code": "123456"}).status_code == 422
    assert client.post(CODE, {"code": "123456"}).status_code == 410


def test_a_code_that_is_not_six_digits_is_refused_without_counting(client, ask, olive):
    ask(olive)
    response = client.post(CODE, {"code": "12345"})
    assert response.status_code == 422
    assert "Enter the 6 digits from the email." in response.content.decode()
    assert SignInRequest.objects.get().wrong_codes == 0


# --- Keep me signed in, where to go, sign out ----------------------------------------------------


def test_without_keep_me_signed_in_the_session_ends_with_the_browser(client, ask, olive):
    ask(olive)
    _, code = last_sign_in_email()
    client.post(CODE, {"code": code})
    assert client.session.get_expire_at_browser_close()
    assert not client.cookies[settings.SESSION_COOKIE_NAME]["expires"]


def test_keep_me_signed_in_is_an_explicit_choice(client, ask, olive):
    ask(olive)
    token, _ = last_sign_in_email()
    page = client.get(link(token)).content.decode()
    assert 'name="remember"' in page and "checked" not in page
    client.post(link(token), {"remember": "on"})
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == settings.OWNER_SESSION_REMEMBER_SECONDS
    assert client.cookies[settings.SESSION_COOKIE_NAME]["expires"]


def test_signing_in_returns_to_the_page_that_asked(client, ask, olive):
    response = client.get("/garage/preferences/")
    assert response["Location"] == f"{SIGN_IN}?next=%2Fgarage%2Fpreferences%2F"
    form = client.get(response["Location"]).content.decode()
    assert 'name="next" value="/garage/preferences/"' in form
    ask(olive, next="/garage/preferences/")
    token, _ = last_sign_in_email()
    assert Client().post(link(token))["Location"] == "/garage/preferences/"


def test_a_next_page_on_another_site_is_ignored(client, ask, olive):
    ask(olive, next="https://evil.example/")
    _, code = last_sign_in_email()
    assert client.post(CODE, {"code": code})["Location"] == "/garage/"


def test_sign_out_forgets_the_owner_and_only_answers_a_post(client, ask, olive):
    ask(olive)
    _, code = last_sign_in_email()
    client.post(CODE, {"code": code})
    assert client.get("/garage/sign-out/").status_code == 405
    response = client.post("/garage/sign-out/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) is None
    assert client.get("/garage/preferences/").status_code == 302


def test_a_signed_in_owner_asking_to_sign_in_goes_to_their_garage(client, ask, olive):
    ask(olive)
    _, code = last_sign_in_email()
    client.post(CODE, {"code": code})
    assert client.get(SIGN_IN)["Location"] == "/garage/"


# --- Throttles --------------------------------------------------------------------------------


def test_requests_for_one_email_are_throttled_whatever_the_ip(ask, olive):
    for n in range(5):
        browser = Client(REMOTE_ADDR=f"10.0.0.{n}")
        assert ask(olive, browser=browser).status_code == 302
    response = ask(olive, browser=Client(REMOTE_ADDR="10.0.0.99"))
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    assert len(mail.outbox) == 5
    # The letters' case makes no new address.
    assert ask(olive.upper(), browser=Client(REMOTE_ADDR="10.0.0.98")).status_code == 429


def test_requests_from_one_ip_are_throttled_whatever_the_email(ask):
    browser = Client(REMOTE_ADDR="10.1.0.1")
    for n in range(20):
        assert ask(f"person{n}@example.com", browser=browser).status_code == 302
    assert ask("person99@example.com", browser=browser).status_code == 429
    assert ask("person99@example.com", browser=Client(REMOTE_ADDR="10.1.0.2")).status_code == 302


def test_codes_typed_from_one_ip_are_throttled(ask):
    browser = Client(REMOTE_ADDR="10.2.0.1")
    typed = []
    for n in range(7):  # requests of their own, five tries each at most
        ask(f"guess{n}@example.com", browser=browser)
        for _ in range(5):
            typed.append(browser.post(CODE, {"code": "123456"}).status_code)
    assert 429 not in typed[:30] and typed[30:] == [429] * 5


# --- The worker's side --------------------------------------------------------------------------


def test_the_task_run_twice_sends_one_email(olive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        request = signin.start(olive)
    assert send_sign_in.run(request.pk) == "sent"
    assert send_sign_in.run(request.pk) == "nothing to send"
    assert len(mail.outbox) == 1


def test_a_failed_send_leaves_nothing_that_signs_in_and_is_retried(
    olive, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = signin.start(olive)

    def down(*args):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(signin.emails, "send_sign_in", down)
    with pytest.raises(ConnectionRefusedError):
        signin.send(request.pk)
    request.refresh_from_db()
    assert (request.sent_at, request.link_digest, request.code_digest) == (None, None, "")
    monkeypatch.undo()
    assert signin.send(request.pk) == "sent" and len(mail.outbox) == 1


def test_an_expired_request_is_not_sent_late(olive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        request = signin.start(olive)
    SignInRequest.objects.update(expires_at=timezone.now())
    assert signin.send(request.pk) == "nothing to send" and mail.outbox == []


def test_requests_older_than_a_day_are_deleted(olive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        old = signin.start(olive)
        SignInRequest.objects.update(created_at=timezone.now() - timedelta(days=1, seconds=1))
        signin.start("someone@example.com")
    assert not SignInRequest.objects.filter(pk=old.pk).exists()


def test_the_links_secret_is_kept_out_of_the_access_log(ask, olive):
    from portal.logfilters import RedactQuery

    ask(olive)
    token, _ = last_sign_in_email()
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        "",
        0,
        '"%s" %s',
        (f"GET {link(token)} HTTP/1.1", "200"),
        None,
    )
    RedactQuery().filter(record)
    assert token not in record.getMessage() and "/garage/sign-in/link/" in record.getMessage()


def test_a_link_posted_by_several_browsers_at_once_signs_in_one(transactional_db, olive):
    now = timezone.now()
    SignInRequest.objects.create(
        email=olive,
        expires_at=now + signin.LIFETIME,
        link_digest=signin.link_digest("the-token"),
        sent_at=now,
    )
    start, outcomes = threading.Barrier(8), []

    def browser() -> None:
        try:
            start.wait()
            outcomes.append(signin.use_link("the-token").email)
        except signin.Unusable as unusable:
            outcomes.append(unusable.reason)
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=browser) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [olive] + ["used"] * 7
