"""A connection's tokens stay alive: refreshed before expiry, at most once per rejection, and a
grant AutoSync rejects asks the owners to reconnect."""

import logging
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal.autosync import conf, errors, grants
from portal.shops.models import Connection, Shop
from portal.shops.signals import shop_disconnected
from portal.shops.tokens import ConnectionTokens, client_for
from tests.portal.shops.test_token_safety import raw_columns
from tests.support.portal import api_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(cast, connect_as, shop_owner) -> Connection:
    """The stranger connected the two shops of Johnson's Auto Care."""
    assert connect_as(cast.stranger, shop_owner).status_code == 302
    return Connection.objects.get(connected_by=cast.stranger)


def test_a_fresh_token_is_used_as_it_is(connected):
    assert ConnectionTokens(connected.pk).access_token() == connected.access_token
    connected.refresh_from_db()
    assert connected.refresh_count == 0


def test_a_token_about_to_expire_is_refreshed_before_use(connected):
    old = connected.access_token
    Connection.objects.filter(pk=connected.pk).update(
        access_token_expires_at=timezone.now() + timedelta(seconds=30)
    )
    new = ConnectionTokens(connected.pk).access_token()
    assert new != old and api_status(new) == 200
    connected.refresh_from_db()
    assert connected.access_token == new and connected.refresh_count == 1
    assert connected.last_refreshed_at is not None
    assert connected.access_token_expires_at > timezone.now() + timedelta(minutes=30)


def test_a_rejected_token_that_was_already_replaced_is_not_refreshed_again(connected):
    tokens = ConnectionTokens(connected.pk)
    rejected = connected.access_token
    first = tokens.refresh(rejected)
    second = tokens.refresh(rejected)  # a second worker that saw the same 401
    assert first == second != rejected
    connected.refresh_from_db()
    assert connected.refresh_count == 1
    assert api_status(second) == 200


def test_a_revoked_grant_needs_reconnecting_pauses_syncing_and_emails_the_owners(
    client, cast, connected, connect_as, shop_owner, django_capture_on_commit_callbacks
):
    grants.revoke(connected.refresh_token)  # e.g. the shop removed the app in AutoSync
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(errors.ReconnectRequired):
        ConnectionTokens(connected.pk).refresh(connected.access_token)

    connected.refresh_from_db()
    assert connected.status == Connection.Status.NEEDS_RECONNECTING
    assert not Shop.objects.filter(connection=connected).syncable().exists()
    assert [m.to for m in mail.outbox] == [["charlie@example.com"]]
    assert "Reconnect" in mail.outbox[0].subject
    # Later callers are told at once, without asking AutoSync again.
    with pytest.raises(errors.ReconnectRequired):
        ConnectionTokens(connected.pk).access_token()

    page = client.get("/shops/").content.decode()
    assert "Needs reconnecting" in page and "Reconnect</button>" in page

    assert connect_as(cast.stranger, shop_owner).status_code == 302
    connected.refresh_from_db()
    assert connected.status == Connection.Status.CONNECTED
    assert Shop.objects.filter(connection=connected).syncable().count() == 2
    assert api_status(ConnectionTokens(connected.pk).access_token()) == 200


def test_disconnecting_asks_for_confirmation_and_names_the_personal_data(client, connected):
    shop = connected.shops.first()
    page = client.get(f"/shops/{shop.pk}/disconnect/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "customers" in text and "vehicles" in text
    for other in connected.shops.all():
        assert other.name.replace("'", "&#x27;") in text
    connected.refresh_from_db()
    assert connected.is_connected


def test_disconnecting_revokes_at_autosync_forgets_the_tokens_and_stops_syncing(client, connected):
    access = connected.access_token
    received = []

    def receiver(sender, shop, **kwargs):
        received.append(shop.remote_id)

    shop_disconnected.connect(receiver)
    try:
        response = client.post(f"/shops/{connected.shops.first().pk}/disconnect/")
    finally:
        shop_disconnected.disconnect(receiver)
    assert response.status_code == 302
    assert api_status(access) == 401
    assert raw_columns(connected.pk) == ("", "")
    connected.refresh_from_db()
    assert connected.status == Connection.Status.DISCONNECTED
    assert sorted(received) == sorted(connected.shops.values_list("remote_id", flat=True))
    assert not Shop.objects.filter(connection=connected).syncable().exists()
    assert b"Disconnected" in client.get("/shops/").content
    with pytest.raises(errors.ReconnectRequired):
        ConnectionTokens(connected.pk).access_token()


def test_tokens_never_reach_the_logs(cast, connect_as, shop_owner, caplog):
    caplog.set_level(logging.DEBUG)
    assert connect_as(cast.stranger, shop_owner).status_code == 302
    connection = Connection.objects.get(connected_by=cast.stranger)
    secrets = {connection.access_token, connection.refresh_token}
    tokens = ConnectionTokens(connection.pk)
    tokens.refresh(connection.access_token)
    connection.refresh_from_db()
    secrets |= {connection.access_token, connection.refresh_token}
    grants.revoke(connection.refresh_token)
    with pytest.raises(errors.ReconnectRequired):
        tokens.refresh(connection.access_token)
    assert caplog.records
    for secret in secrets:
        assert secret not in caplog.text


@pytest.fixture
def private_budget(settings):
    settings.AUTOSYNC_BUDGET_URL = "memory://"
    conf.shared_budget.cache_clear()
    yield conf.shared_budget()
    conf.shared_budget.cache_clear()


def spend_background_share(budget, connection: Connection) -> None:
    while True:
        try:
            budget.acquire(f"grant:{connection.pk}", "background", timeout=0)
        except errors.BudgetExhausted:
            return


def test_a_person_waiting_may_use_the_reserve_that_background_work_leaves(
    connected, private_budget
):
    shop = connected.shops.first()
    spend_background_share(private_budget, connected)

    background = client_for(shop, priority="background")
    started = time.monotonic()
    with pytest.raises(errors.BudgetExhausted) as info:
        background.get_shop(shop.remote_id)
    assert time.monotonic() - started < 1  # a worker is never held: it is told when to return
    assert info.value.retry_after > 0 and background.requests_made == 0

    interactive = client_for(shop, priority="interactive")
    assert interactive.get_shop(shop.remote_id)["id"] == shop.remote_id


def test_the_shops_of_one_grant_share_its_budget(connected, private_budget):
    first, second = connected.shops.order_by("pk")
    assert client_for(first, priority="background").get_shop(first.remote_id)
    spend_background_share(private_budget, connected)
    with pytest.raises(errors.BudgetExhausted):
        client_for(second, priority="background").get_shop(second.remote_id)
