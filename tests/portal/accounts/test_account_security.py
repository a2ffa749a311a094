"""ASVS level 2 on the portal's accounts: throttles with a cool-off, case-insensitive
addresses, verified addresses for invites, session lifetimes, and the account page."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, connection
from django.utils import timezone

from portal.accounts import middleware
from portal.shops.invites import link_for
from portal.shops.models import Invite, Membership
from tests.support.portal import PASSWORD

pytestmark = pytest.mark.django_db

OTHER_IP = {"REMOTE_ADDR": "198.51.100.20"}


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def invite_path(invite: Invite) -> str:
    return link_for(invite).removeprefix("http://127.0.0.1:8000")


# --- Addresses are compared without case --------------------------------------------------


def test_sign_in_ignores_the_case_of_the_email(client, cast):
    response = sign_in(client, "ALICE@Example.COM")
    assert response.status_code == 302 and response["Location"] == "/shops/"


def test_a_password_reset_ignores_the_case_of_the_email(client, cast):
    client.post("/accounts/password_reset/", {"email": "Alice@EXAMPLE.com"})
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_an_invite_to_a_differently_cased_address_is_accepted(client, cast):
    invite = Invite.objects.create(shop=cast.shop, email="Charlie@Example.COM", role="staff")
    client.force_login(cast.stranger)
    assert client.post(invite_path(invite)).status_code == 302
    assert Membership.objects.filter(user=cast.stranger, shop=cast.shop).exists()


def test_two_accounts_cannot_share_an_address_in_different_cases(cast, django_user_model):
    with pytest.raises(IntegrityError):
        django_user_model.objects.create(email="ALICE@example.com")


# --- Throttles ----------------------------------------------------------------------------


def test_five_wrong_passwords_pause_the_account_whatever_the_address_or_case(client, cast):
    for attempt in range(4):
        email = "alice@example.com" if attempt % 2 else "ALICE@example.com"
        assert sign_in(client, email, "wrong password", **OTHER_IP).status_code == 200
    assert sign_in(client, "Alice@example.com", "wrong password", **OTHER_IP).status_code == 429
    # Even the right password, from another address, waits for the cool-off.
    locked = sign_in(client, "alice@example.com", REMOTE_ADDR="192.0.2.99")
    assert locked.status_code == 429
    assert b"Sign-in paused" in locked.content and b"wait" in locked.content
    # Others are not affected.
    assert sign_in(client, "bob@example.com", REMOTE_ADDR="192.0.2.99").status_code == 302


def test_five_failures_from_one_address_pause_that_address(client, cast):
    for name in ("x1", "x2", "x3", "x4", "x5"):
        sign_in(client, f"{name}@example.com", "wrong password", **OTHER_IP)
    assert sign_in(client, "bob@example.com", **OTHER_IP).status_code == 429
    assert sign_in(client, "bob@example.com").status_code == 302  # another address


def aware(value) -> datetime:
    """A datetime read with a raw cursor (SQLite gives naive UTC, as the cache stored it)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def test_a_lock_out_ends_after_the_cool_off(client, cast, settings):
    for _ in range(5):
        sign_in(client, "alice@example.com", "wrong password")
    assert sign_in(client, "alice@example.com").status_code == 429
    # The pause is a cache entry that expires after the cool-off (15 minutes), not a lock that
    # someone must lift.
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM portal_cache WHERE cache_key LIKE %s", [":1:axes-%"])
        expiries = [aware(row[0]) for row in cursor.fetchall()]
    cool_off = settings.AXES_COOLOFF_TIME.total_seconds()
    assert expiries and all(
        abs((expires - timezone.now()).total_seconds() - cool_off) < 60 for expires in expiries
    )
    # When the cool-off has passed (moved forward here rather than waited for):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_cache SET expires = %s WHERE cache_key LIKE %s",
            [
                connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(seconds=1)),
                ":1:axes-%",
            ],
        )
    assert sign_in(client, "alice@example.com").status_code == 302


def test_password_resets_for_one_address_are_throttled(client, cast):
    for _ in range(3):
        assert (
            client.post("/accounts/password_reset/", {"email": "alice@example.com"}).status_code
            == 302
        )
    again = client.post("/accounts/password_reset/", {"email": "alice@example.com"}, **OTHER_IP)
    assert again.status_code == 429 and b"Too many attempts" in again.content
    assert len(mail.outbox) == 3


def test_sign_ups_from_one_ip_address_are_throttled(client):
    def sign_up(n: int):
        data = {"email": f"p{n}@example.com", "password1": PASSWORD, "password2": PASSWORD}
        return client.post("/accounts/signup/", data)

    assert all(sign_up(n).status_code == 302 for n in range(10))
    assert sign_up(10).status_code == 429


# --- Verified addresses --------------------------------------------------------------------


def test_an_unverified_address_cannot_accept_an_invite_until_confirmed(client, cast):
    cast.stranger.email_verified_at = None
    cast.stranger.save()
    invite = Invite.objects.create(shop=cast.shop, email="charlie@example.com", role="staff")
    client.force_login(cast.stranger)
    refused = client.post(invite_path(invite))
    assert refused.status_code == 403 and b"Confirm your email address first" in refused.content
    assert not Membership.objects.filter(user=cast.stranger, shop=cast.shop).exists()

    client.post("/accounts/verify-again/")
    link = re.search(r"http://127.0.0.1:8000(/accounts/verify/\S+)", mail.outbox[-1].body)
    assert client.post(link.group(1)).status_code == 302
    assert client.post(invite_path(invite)).status_code == 302


def test_a_confirmation_link_for_an_old_address_confirms_nothing(client, cast):
    cast.owner.email_verified_at = None
    cast.owner.save()
    client.force_login(cast.owner)
    client.post("/accounts/verify-again/")
    old_link = re.search(r"(/accounts/verify/\S+)", mail.outbox[-1].body).group(1)
    cast.owner.email = "alice.new@example.com"
    cast.owner.save()
    assert client.get(old_link).status_code == 410
    assert client.post(old_link).status_code == 410
    cast.owner.refresh_from_db()
    assert not cast.owner.email_verified


def test_a_forged_confirmation_link_is_refused(client, cast):
    assert client.get("/accounts/verify/not-a-token/").status_code == 410


# --- Sessions ------------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, cast):
    client.get("/accounts/login/")
    session = client.session
    session["before"] = True
    session.save()
    before = session.session_key
    sign_in(client, "alice@example.com")
    assert client.session.session_key != before


def age_session(client, *, idle: int = 0, signed_in: int = 0) -> None:
    session = client.session
    session[middleware.LAST_SEEN_AT] -= idle
    session[middleware.SIGNED_IN_AT] -= signed_in
    session.save()


def test_an_idle_session_is_signed_out(client, cast, settings):
    sign_in(client, "alice@example.com")
    age_session(client, idle=settings.SESSION_IDLE_SECONDS - 120)
    assert client.get("/shops/").status_code == 200  # still within the idle time...
    age_session(client, idle=settings.SESSION_IDLE_SECONDS + 1)
    response = client.get("/shops/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert b"without activity" in client.get(response["Location"]).content


def test_a_busy_session_still_ends_at_its_absolute_lifetime(client, cast, settings):
    sign_in(client, "alice@example.com")
    age_session(client, signed_in=settings.SESSION_STAFF_MAX_SECONDS + 60)
    assert client.get("/shops/").status_code == 200  # a shop user's lifetime is longer
    age_session(client, signed_in=settings.SESSION_MAX_SECONDS)
    assert client.get("/shops/").status_code == 302


def test_an_admin_users_session_has_a_shorter_lifetime(client, admin_user, settings):
    admin_user.set_password(PASSWORD)
    admin_user.save()
    sign_in(client, admin_user.email)
    age_session(client, signed_in=settings.SESSION_STAFF_MAX_SECONDS + 60)
    assert client.get("/shops/").status_code == 302


# --- The account page ----------------------------------------------------------------------


def test_the_account_page_is_linked_from_the_navigation_and_changes_the_name(client, cast):
    client.force_login(cast.owner)
    assert b'href="/accounts/"' in client.get("/shops/").content
    saved = client.post("/accounts/", {"name": "Alice Smith", "email": "alice@example.com"})
    assert saved.status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.name == "Alice Smith" and cast.owner.email_verified
    assert b'href="/accounts/password_change/"' in client.get("/accounts/").content


def test_changing_the_email_needs_the_password_and_the_new_address_to_confirm(client, cast):
    client.force_login(cast.owner)
    refused = client.post("/accounts/", {"name": "Alice", "email": "alice@work.example"})
    assert refused.status_code == 422 and b"current password" in refused.content
    assert b"alice@work.example" not in refused.content.split(b"<main")[0]  # nav unchanged

    asked = client.post(
        "/accounts/",
        {"name": "Alice", "email": "Alice@Work.example", "current_password": PASSWORD},
    )
    assert asked.status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.email == "alice@example.com"  # not before the link is opened
    assert mail.outbox[-1].to == ["alice@work.example"]

    link = re.search(r"(/accounts/verify/\S+)", mail.outbox[-1].body).group(1)
    assert client.post(link).status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.email == "alice@work.example" and cast.owner.email_verified
    assert client.post(link).status_code == 410  # it worked once


def test_the_account_page_does_not_say_whether_another_account_has_an_address(client, cast):
    client.force_login(cast.owner)
    free = client.post(
        "/accounts/", {"name": "A", "email": "free@example.com", "current_password": PASSWORD}
    )
    taken = client.post(
        "/accounts/", {"name": "A", "email": "BOB@example.com", "current_password": PASSWORD}
    )
    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"])
    assert mail.outbox[-1].to == ["bob@example.com"]  # its owner hears of it
    assert "Nothing was changed" in mail.outbox[-1].body
    cast.owner.refresh_from_db()
    assert cast.owner.email == "alice@example.com"
