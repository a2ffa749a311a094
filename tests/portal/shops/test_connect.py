"""Connecting shops through AutoSync's OAuth consent, against a live sandbox."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings

from portal.autosync import grants
from portal.shops.models import Connection, Membership, Role, Shop
from tests.support.portal import SandboxUser, callback_path
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db


def shops_reached(access_token: str) -> requests.Response:
    return requests.get(
        f"{settings.AUTOSYNC_API_URL}/shops",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=30,
    )


def test_connect_sends_the_user_to_autosync_with_state_pkce_and_the_needed_scopes(
    client, cast, autosync
):
    client.force_login(cast.owner)
    response = client.post("/connect/autosync/")
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{autosync.url}/oauth/authorize"
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/connect/autosync/callback/"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert len(query["state"][0]) >= 20
    assert set(query["scope"][0].split()) == {
        "shops:read", "customers:write", "vehicles:write", "workorders:read",
        "appointments:write", "payments:read", "inventory:read", "employees:read",
    }  # fmt: skip


def test_connect_asks_only_for_the_reads_it_mirrors_and_the_writes_booking_needs():
    writes = {scope for scope in grants.SCOPES.split() if scope.endswith(":write")}
    assert writes == {"appointments:write", "customers:write", "vehicles:write"}


def test_opening_connect_explains_each_scope_and_offers_a_button_that_posts(client, cast, autosync):
    client.force_login(cast.owner)
    page = client.get("/connect/autosync/")
    assert page.status_code == 200
    html = page.content.decode()
    for scope, reason in grants.SCOPE_REASONS.items():
        assert scope in html and reason.replace("'", "&#x27;") in html
    assert '<form method="post" action="/connect/autosync/">' in html
    assert "csrfmiddlewaretoken" in html


def test_approving_creates_the_shops_with_the_connecting_person_as_owner(
    client, cast, connect_as, shop_owner
):
    response = connect_as(cast.stranger, shop_owner)
    shops = Shop.objects.filter(remote_id__in=[s["id"] for s in shop_owner["shops"]])
    # The owner lands on a new shop's live sync page.
    assert response.status_code == 302
    assert response["Location"] in {f"/shops/{shop.pk}/sync/" for shop in shops}
    assert sorted(s.name for s in shops) == sorted(s["name"] for s in shop_owner["shops"])
    for shop in shops:
        assert Membership.objects.get(shop=shop, user=cast.stranger).role == Role.OWNER
        assert shop.is_syncable
    connection = shops[0].connection
    assert connection.status == Connection.Status.CONNECTED
    assert "customers:write" in connection.scope
    assert shops_reached(connection.access_token).status_code == 200
    page = client.get("/shops/").content.decode()
    for shop in shop_owner["shops"]:
        assert shop["name"].replace("'", "&#x27;") in page


def test_reconnecting_the_same_account_updates_the_connection_in_place(
    client, cast, connect_as, shop_owner
):
    first, second = shop_owner["shops"][:2]
    connect_as(cast.stranger, shop_owner, shops=[first["id"]])
    connection = Shop.objects.get(remote_id=first["id"]).connection
    old_access = connection.access_token

    # A new shop appears on the same connection...
    assert connect_as(cast.stranger, shop_owner).status_code == 302
    connection.refresh_from_db()
    assert connection.access_token != old_access
    assert Shop.objects.get(remote_id=second["id"]).connection == connection
    # ...and the old grant was revoked at AutoSync, not left behind.
    assert shops_reached(old_access).status_code == 401

    # A shop unticked on AutoSync's page is marked so, and no longer synced.
    assert connect_as(cast.stranger, shop_owner, shops=[second["id"]]).status_code == 302
    unticked = Shop.objects.get(remote_id=first["id"])
    assert unticked.connection == connection
    assert not unticked.granted and unticked.health == "not_granted"
    assert not unticked.is_syncable
    assert Connection.objects.exclude(pk=cast.connection.pk).count() == 1
    assert b"No longer granted" in client.get("/shops/").content


def test_a_shop_connected_by_another_team_is_not_taken_over(client, cast, connect_as, shop_owner):
    connect_as(cast.stranger, shop_owner)
    connection = Connection.objects.get(connected_by=cast.stranger)
    before = connection.access_token

    response = connect_as(cast.teammate, shop_owner)
    assert response.status_code == 409
    assert b"already connected to the portal by another team" in response.content
    assert b"invite" in response.content
    assert not Membership.objects.filter(user=cast.teammate, shop__connection=connection).exists()
    connection.refresh_from_db()
    assert connection.access_token == before and connection.connected_by == cast.stranger


def test_denying_consent_says_so_and_stores_nothing(client, cast, connect_as, shop_owner):
    response = connect_as(cast.stranger, shop_owner, decision="deny")
    assert response.status_code == 200
    assert b"You did not allow access" in response.content
    assert Connection.objects.count() == 1 and Shop.objects.count() == 2  # the cast's only


def test_a_state_that_this_session_did_not_start_is_refused(client, cast, autosync, shop_owner):
    client.force_login(cast.stranger)
    start = client.post("/connect/autosync/")
    location = SandboxUser(shop_owner["username"], shop_owner["password"]).consent(
        start["Location"]
    )
    tampered = location.replace("state=", "state=x")
    response = client.get(callback_path(tampered))
    assert response.status_code == 403
    assert b"could not be verified" in response.content
    assert Connection.objects.count() == 1


def test_going_back_to_a_completed_callback_says_the_shops_are_connected(
    client, cast, autosync, shop_owner
):
    client.force_login(cast.stranger)
    start = client.post("/connect/autosync/")
    location = SandboxUser(shop_owner["username"], shop_owner["password"]).consent(
        start["Location"]
    )
    first = client.get(callback_path(location))
    assert first.status_code == 302
    connection = Connection.objects.get(connected_by=cast.stranger)
    access = connection.access_token

    again = client.get(callback_path(location), follow=True)
    assert again.redirect_chain[0] == (first["Location"], 302)
    assert b"already done" in again.content and b"Nothing was saved" not in again.content
    connection.refresh_from_db()
    assert connection.access_token == access  # the code was not exchanged twice
    assert shops_reached(access).status_code == 200


def test_a_state_works_once_for_another_user_of_the_browser(client, cast, autosync, shop_owner):
    client.force_login(cast.stranger)
    start = client.post("/connect/autosync/")
    location = SandboxUser(shop_owner["username"], shop_owner["password"]).consent(
        start["Location"]
    )
    assert client.get(callback_path(location)).status_code == 302
    client.force_login(cast.teammate)  # the same browser session, now someone else
    assert client.get(callback_path(location)).status_code == 403


def test_a_callback_in_another_browser_session_is_refused(client, cast, autosync, shop_owner):
    client.force_login(cast.stranger)
    start = client.post("/connect/autosync/")
    location = SandboxUser(shop_owner["username"], shop_owner["password"]).consent(
        start["Location"]
    )
    client.logout()
    client.force_login(cast.stranger)  # a new session, without the state
    assert client.get(callback_path(location)).status_code == 403
    assert Connection.objects.count() == 1


def test_an_invalid_code_says_to_start_again_and_stores_nothing(client, cast, autosync):
    client.force_login(cast.stranger)
    start = client.post("/connect/autosync/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(f"/connect/autosync/callback/?code=not-a-code&state={state}")
    assert response.status_code == 400
    assert b"The connection request expired" in response.content
    assert Connection.objects.count() == 1


def test_autosync_down_says_to_try_later_and_stores_nothing(client, cast, autosync, settings):
    client.force_login(cast.stranger)
    start = client.post("/connect/autosync/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    settings.AUTOSYNC_API_URL = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    response = client.get(f"/connect/autosync/callback/?code=some-code&state={state}")
    assert response.status_code == 503
    assert b"AutoSync is not reachable right now" in response.content
    assert Connection.objects.count() == 1


def test_a_portal_without_registration_explains_what_to_do(client, cast, settings):
    settings.AUTOSYNC_CLIENT_ID = ""
    client.force_login(cast.owner)
    response = client.post("/connect/autosync/")
    assert response.status_code == 503
    assert b"register_with_sandbox" in response.content


def test_a_shop_name_with_a_line_break_is_stored_on_one_line_and_invites_still_send(
    cast, mailoutbox
):
    from datetime import timedelta

    from django.utils import timezone

    from portal.autosync.oauth import TokenResponse
    from portal.shops import invites, services
    from portal.shops.models import Invite

    tokens = TokenResponse("at-x", "rt-x", timezone.now() + timedelta(hours=1), "shops:read")
    remote = [{"id": 777, "name": "Evil\r\nBcc: victim@example.com\x00", "slug": "e\nvil"}]
    outcome = services.connect(cast.owner, tokens, remote)
    shop = outcome.shops[0]
    assert shop.name == "Evil Bcc: victim@example.com" and shop.remote_slug == "e vil"
    invites.send(Invite.objects.create(shop=shop, email="dana@example.com"))
    assert mailoutbox[-1].subject.endswith(
        "Evil Bcc: victim@example.com on the AutoSync customer portal"
    )


def test_connecting_keeps_each_shops_public_details_from_autosync(cast, connect_as, shop_owner):
    connect_as(cast.stranger, shop_owner)
    connection = Connection.objects.get(connected_by=cast.stranger)
    for remote in shops_reached(connection.access_token).json()["data"]:
        shop = Shop.objects.get(remote_id=remote["id"])
        assert (shop.timezone, shop.phone, shop.email) == (
            remote["timezone"],
            remote["phone"],
            remote["email"],
        )
        assert shop.address.startswith(remote["address"]["street"])
        assert float(shop.tax_rate) == remote["tax_rate"]
