"""Teams: members see only their shops; owners invite by email with a signed, expiring link."""

import re

import pytest
from django.core import mail, signing

from portal.shops import invites
from portal.shops.invites import link_for
from portal.shops.models import Invite, Membership, Role

pytestmark = pytest.mark.django_db


def shop_urls(shop_id: int) -> list[str]:
    return [
        f"/shops/{shop_id}/",
        f"/shops/{shop_id}/disconnect/",
    ]


def test_a_stranger_gets_404_on_every_url_of_a_shop_they_are_not_in(client, cast):
    client.force_login(cast.stranger)
    for url in shop_urls(cast.shop.pk):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code in (404, 405), url
    invite = client.post(
        f"/shops/{cast.shop.pk}/invite/", {"email": "x@example.com", "role": "owner"}
    )
    assert invite.status_code == 404
    assert not Invite.objects.exists()


def test_a_stranger_does_not_see_the_shop_in_their_list(client, cast):
    client.force_login(cast.stranger)
    page = client.get("/shops/").content.decode()
    assert "Elsewhere Motors" in page and "Main Street Garage" not in page


def test_a_visitor_is_sent_to_sign_in(client, cast):
    for url in ["/shops/", *shop_urls(cast.shop.pk)]:
        assert client.get(url)["Location"].startswith("/accounts/login/"), url


def test_a_teammate_sees_the_shop_but_cannot_invite_or_disconnect(client, cast):
    client.force_login(cast.teammate)
    detail = client.get(f"/shops/{cast.shop.pk}/")
    assert detail.status_code == 200
    assert b"Invite a teammate" not in detail.content
    refused = client.get(f"/shops/{cast.shop.pk}/disconnect/")
    assert refused.status_code == 403 and b"Only the shop&#x27;s owners" in refused.content
    invite = client.post(
        f"/shops/{cast.shop.pk}/invite/", {"email": "x@example.com", "role": "owner"}
    )
    assert invite.status_code == 403


def test_the_shop_page_lists_the_team(client, cast):
    client.force_login(cast.owner)
    page = client.get(f"/shops/{cast.shop.pk}/").content.decode()
    assert "Alice" in page and "Bob" in page and "Charlie" not in page


def invite_link(message) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/shops/invites/\S+/)", message.body).group(1)


def test_an_owner_invites_by_email_and_the_link_makes_a_member(client, cast, django_user_model):
    client.force_login(cast.owner)
    response = client.post(
        f"/shops/{cast.shop.pk}/invite/", {"email": "Dana@Example.com", "role": "manager"}
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dana@example.com"]
    link = invite_link(mail.outbox[0])

    client.logout()
    landing = client.get(link)
    assert b"Create an account to accept" in landing.content
    signup = client.post(
        f"/accounts/signup/?next={link}",
        {"email": "dana@example.com", "password1": "x7-long-pass!", "password2": "x7-long-pass!"},
    )
    assert signup["Location"] == "/accounts/signup/done/"
    # The address is confirmed through the emailed link, which leads back to the invite.
    confirm = re.search(r"http://127.0.0.1:8000(/accounts/verify/\S+)", mail.outbox[-1].body)
    sign_in = client.post(confirm.group(1))
    signed_in = client.post(
        sign_in["Location"], {"username": "dana@example.com", "password": "x7-long-pass!"}
    )
    assert signed_in["Location"] == link
    accepted = client.post(link)
    assert accepted["Location"] == f"/shops/{cast.shop.pk}/"
    dana = django_user_model.objects.get(email="dana@example.com")
    assert Membership.objects.get(user=dana, shop=cast.shop).role == Role.MANAGER
    assert client.get(f"/shops/{cast.shop.pk}/").status_code == 200


def test_an_invite_works_once(client, cast, django_user_model):
    invite = Invite.objects.create(shop=cast.shop, email="charlie@example.com", role="staff")
    path = link_for(invite).removeprefix("http://127.0.0.1:8000")
    client.force_login(cast.stranger)
    assert client.post(path).status_code == 302
    again = client.post(path)
    assert again.status_code == 410 and b"already used" in again.content


def test_an_invite_for_someone_else_is_refused(client, cast):
    invite = Invite.objects.create(shop=cast.shop, email="dana@example.com", role="owner")
    client.force_login(cast.stranger)
    response = client.post(link_for(invite).removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 403
    assert b"sent to dana@example.com" in response.content
    assert not Membership.objects.filter(user=cast.stranger, shop=cast.shop).exists()


def test_an_expired_or_forged_invite_link_is_refused(client, cast, monkeypatch):
    invite = Invite.objects.create(shop=cast.shop, email="charlie@example.com", role="owner")
    client.force_login(cast.stranger)
    forged = signing.dumps({"invite": invite.pk}, salt="something else")
    assert client.get(f"/shops/invites/{forged}/").status_code == 410

    token = signing.dumps({"invite": invite.pk}, salt=invites.SALT)
    monkeypatch.setattr(invites, "MAX_AGE_SECONDS", -1)
    response = client.get(f"/shops/invites/{token}/")
    assert response.status_code == 410 and b"expired" in response.content


def test_inviting_someone_already_in_the_team_says_so(client, cast):
    client.force_login(cast.owner)
    response = client.post(
        f"/shops/{cast.shop.pk}/invite/", {"email": "bob@example.com", "role": "staff"}
    )
    assert response.status_code == 422
    assert b"already in the team" in response.content
    assert mail.outbox == []


def test_the_invite_form_answers_htmx_with_the_team_section_only(client, cast):
    client.force_login(cast.owner)
    response = client.post(
        f"/shops/{cast.shop.pk}/invite/",
        {"email": "erin@example.com", "role": "staff"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="team"')
    assert "erin@example.com" in body and "<html" not in body


def invite_as(client, shop, email="dana@example.com", role="staff", **headers):
    return client.post(f"/shops/{shop.pk}/invite/", {"email": email, "role": role}, **headers)


def test_inviting_the_same_address_again_sends_no_second_email(client, cast):
    client.force_login(cast.owner)
    invite_as(client, cast.shop)
    again = invite_as(client, cast.shop, email="DANA@example.com")
    assert again.status_code == 422
    assert "already invited" in again.content.decode()
    assert Invite.objects.filter(shop=cast.shop).count() == 1
    assert len(mail.outbox) == 1


def test_resend_sends_the_pending_invite_again_and_cancel_withdraws_its_link(client, cast):
    client.force_login(cast.owner)
    invite_as(client, cast.shop)
    invite = Invite.objects.get()
    client.post(f"/shops/{cast.shop.pk}/invites/{invite.pk}/resend/")
    assert len(mail.outbox) == 2 and Invite.objects.count() == 1
    client.post(f"/shops/{cast.shop.pk}/invites/{invite.pk}/cancel/")
    assert not Invite.objects.exists()
    page = client.get(link_for(invite).split("testserver", 1)[-1])
    assert page.status_code == 410 and "Accept and join" not in page.content.decode()


def test_joining_clears_the_leftover_invites_and_the_old_link_says_it_was_used(
    client, cast, django_user_model
):
    first = Invite.objects.create(shop=cast.shop, email="dana@example.com", role="staff")
    first.accepted_at = first.created_at  # an older, used invite of the same address
    first.save()
    pending = Invite.objects.create(shop=cast.shop, email="dana@example.com", role="staff")
    dana = django_user_model.objects.create_user("dana@example.com", "pw-long-enough-1")
    dana.mark_email_verified()
    invites.accept(pending, dana)
    assert not Invite.objects.filter(accepted_at__isnull=True).exists()
    client.force_login(dana)
    old = client.get(link_for(first).split("testserver", 1)[-1]).content.decode()
    assert "already used" in old and "Accept and join" not in old


def test_an_owner_changes_a_role_and_removes_a_teammate(client, cast):
    client.force_login(cast.owner)
    bob = Membership.objects.get(user=cast.teammate)
    client.post(f"/shops/{cast.shop.pk}/members/{bob.pk}/role/", {"role": "manager"})
    bob.refresh_from_db()
    assert bob.role == Role.MANAGER
    client.post(f"/shops/{cast.shop.pk}/members/{bob.pk}/remove/")
    assert not Membership.objects.filter(pk=bob.pk).exists()


def test_an_owner_cannot_demote_or_remove_themselves(client, cast):
    client.force_login(cast.owner)
    me = Membership.objects.get(user=cast.owner, shop=cast.shop)
    assert (
        client.post(f"/shops/{cast.shop.pk}/members/{me.pk}/role/", {"role": "staff"}).status_code
        == 403
    )
    assert client.post(f"/shops/{cast.shop.pk}/members/{me.pk}/remove/").status_code == 403
    me.refresh_from_db()
    assert me.role == Role.OWNER


def test_a_manager_invites_staff_only_and_cannot_change_the_team(client, cast):
    Membership.objects.filter(user=cast.teammate).update(role=Role.MANAGER)
    owner = Membership.objects.get(user=cast.owner, shop=cast.shop)
    client.force_login(cast.teammate)
    assert invite_as(client, cast.shop, role="owner").status_code == 422
    assert invite_as(client, cast.shop, role="staff").status_code == 302
    assert client.post(f"/shops/{cast.shop.pk}/members/{owner.pk}/remove/").status_code == 403
    role = client.post(f"/shops/{cast.shop.pk}/members/{owner.pk}/role/", {"role": "staff"})
    assert role.status_code == 403
    assert client.get(f"/shops/{cast.shop.pk}/disconnect/").status_code == 403


def test_staff_cannot_invite_or_manage_invites(client, cast):
    invite = Invite.objects.create(shop=cast.shop, email="dana@example.com", role="staff")
    client.force_login(cast.teammate)
    assert invite_as(client, cast.shop, email="eve@example.com").status_code == 403
    assert client.post(f"/shops/{cast.shop.pk}/invites/{invite.pk}/cancel/").status_code == 403
    assert Invite.objects.count() == 1


def test_the_team_list_says_what_each_role_may_do(client, cast):
    client.force_login(cast.teammate)
    page = client.get(f"/shops/{cast.shop.pk}/").content.decode()
    assert "invites staff" in page and "connects and disconnects AutoSync" in page


def test_a_stranger_cannot_touch_another_shops_invites_or_members(client, cast):
    invite = Invite.objects.create(shop=cast.shop, email="dana@example.com", role="staff")
    bob = Membership.objects.get(user=cast.teammate)
    client.force_login(cast.stranger)
    for url in (
        f"/shops/{cast.shop.pk}/invites/{invite.pk}/resend/",
        f"/shops/{cast.shop.pk}/invites/{invite.pk}/cancel/",
        f"/shops/{cast.shop.pk}/members/{bob.pk}/remove/",
    ):
        assert client.post(url).status_code == 404, url
    assert Invite.objects.count() == 1 and Membership.objects.filter(pk=bob.pk).exists()


def test_an_invite_link_emailed_before_invites_moved_under_shops_still_leads_to_it(client, cast):
    invite = Invite.objects.create(shop=cast.shop, email="dana@example.com", role="staff")
    path = link_for(invite).removeprefix("http://127.0.0.1:8000")
    old = client.get(path.removeprefix("/shops"))
    assert old.status_code == 301 and old["Location"] == path
    assert client.get(old["Location"]).status_code == 200
