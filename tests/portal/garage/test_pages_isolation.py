"""Nobody reaches anyone else's garage: every page and part (the poll, the receipt, the CSV,
a change request about a booking or a phone appointment) tried by another owner and by a
stranger with each other's ids, by a visitor who is not signed in, and after a shop's
connection was removed."""

from __future__ import annotations

import pytest

from portal.booking.models import ChangeRequest
from portal.shops.models import Connection, Shop
from portal.shops.signals import shop_disconnected
from tests.support.garage import garage_client

pytestmark = pytest.mark.django_db

#: Every garage page that lists the owner's own records (no id in the address).
LISTS = [
    "/garage/",
    "/garage/vehicles/",
    "/garage/appointments/",
    "/garage/work-orders/",
    "/garage/payments/",
    "/garage/payments.csv",
]


def addresses(records) -> dict[str, str]:
    """Every address that names one of `records` by id."""
    order, paid, phoned = records.work_order, records.payment, records.appointment
    return {
        "work order": f"/garage/work-orders/{order.shop_id}/{order.remote_id}/",
        "poll": f"/garage/work-orders/{order.shop_id}/{order.remote_id}/status/?v=x",
        "receipt": f"/garage/payments/{paid.shop_id}/{paid.remote_id}/",
        "booking": f"/garage/appointments/booking/{records.booking.pk}/",
        "appointment": f"/garage/appointments/{phoned.shop_id}/{phoned.remote_id}/",
    }


def body(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def traces(records) -> list[str]:
    """What of `records` a page would show: the work order's number, links with their ids."""
    linked = addresses(records)
    shown = ("work order", "receipt", "booking", "appointment")
    return [records.work_order.number, *(linked[name] for name in shown)]


@pytest.mark.parametrize("page", ["work order", "poll", "receipt", "booking", "appointment"])
@pytest.mark.parametrize(
    "who, whose",
    [
        ("one_shop", "tom_main"),  # another owner of the same shop
        ("stranger", "tom_other"),  # a stranger at the other shop
        ("two_shops", "sid"),  # and the other way round
        ("two_shops", "olive"),
    ],
)
def test_an_owner_gets_404_on_anothers_records(client, scene, who, whose, page):
    garage_client(client, getattr(scene.owners, who).email)
    assert client.get(addresses(getattr(scene, whose))[page]).status_code == 404


def test_a_change_request_for_anothers_booking_is_refused_and_not_kept(client, scene):
    garage_client(client, scene.owners.stranger.email)
    url = addresses(scene.tom_other)["booking"]
    assert client.post(url, {"kind": "cancel"}).status_code == 404
    assert not scene.tom_other.booking.change_requests.exists()


@pytest.mark.parametrize("who, whose", [("one_shop", "tom_main"), ("two_shops", "sid")])
def test_a_change_request_for_anothers_phone_appointment_is_refused_and_not_kept(
    client, scene, who, whose
):
    garage_client(client, getattr(scene.owners, who).email)
    url = addresses(getattr(scene, whose))["appointment"]
    assert client.post(url, {"kind": "cancel", "message": "Not mine"}).status_code == 404
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("url", LISTS)
def test_an_owners_lists_show_nothing_of_anothers_records(client, scene, url):
    text = body(garage_client(client, scene.owners.one_shop.email).get(url))
    for records in (scene.tom_main, scene.tom_other, scene.sid):
        for trace in traces(records):
            assert trace not in text


@pytest.mark.parametrize(
    "url",
    [*LISTS, "work order", "poll", "receipt", "booking", "appointment"],
    ids=lambda url: url,
)
def test_a_visitor_not_signed_in_is_sent_to_sign_in_and_back(client, scene, settings, url):
    settings.OWNER_SIGN_IN_URL = "/garage/sign-in/"  # the sign-in's route: its own branch
    url = addresses(scene.tom_main).get(url, url)
    answer = client.get(url)
    assert answer.status_code == 302
    assert answer["Location"].startswith("/garage/sign-in/?next=")


def test_a_staff_member_signed_in_is_not_an_owner(client, scene, cast, settings):
    settings.OWNER_SIGN_IN_URL = "/garage/sign-in/"
    client.force_login(cast.owner)
    assert client.get("/garage/").status_code == 302


def disconnect(shop: Shop) -> None:
    """As portal.shops.services.disconnect leaves it (without AutoSync's revoke)."""
    Connection.objects.filter(pk=shop.connection_id).update(status=Connection.Status.DISCONNECTED)
    shop_disconnected.send(sender=Shop, shop=shop)


def test_a_disconnected_shops_records_disappear_from_the_garage(client, scene):
    disconnect(scene.other)
    garage_client(client, scene.owners.two_shops.email)
    for url in addresses(scene.tom_other).values():
        assert client.get(url).status_code == 404, url
    for url in LISTS:
        text = body(client.get(url))
        assert "Elsewhere Motors" not in text, url
        for trace in traces(scene.tom_other):
            assert trace not in text
    assert scene.tom_main.work_order.number in body(client.get("/garage/work-orders/"))


def test_a_customer_only_of_a_disconnected_shop_finds_an_empty_garage(client, scene):
    disconnect(scene.other)
    text = body(garage_client(client, scene.owners.stranger.email).get("/garage/"))
    assert "Nothing here yet" in text
    for url in addresses(scene.sid).values():
        assert client.get(url).status_code == 404


def test_a_booking_or_phone_appointment_at_a_shop_no_longer_granted_is_not_shown(client, scene):
    Shop.objects.filter(pk=scene.other.pk).update(granted=False)
    garage_client(client, scene.owners.two_shops.email)
    assert client.get(addresses(scene.tom_other)["booking"]).status_code == 404
    assert client.get(addresses(scene.tom_other)["appointment"]).status_code == 404
    assert "Elsewhere Motors" not in body(client.get("/garage/appointments/"))


def test_a_validator_handed_to_one_owner_gets_another_owner_a_404_not_a_204(client, scene):
    order = scene.tom_main.work_order
    url = f"/garage/work-orders/{order.shop_id}/{order.remote_id}/status/"
    tom = garage_client(client, scene.owners.two_shops.email).get(url)
    version = tom["ETag"].strip('"')
    client.cookies.clear()
    garage_client(client, scene.owners.one_shop.email)
    assert client.get(f"{url}?v={version}").status_code == 404
    assert client.get(url, headers={"If-None-Match": tom["ETag"]}).status_code == 404


def test_the_pages_poll_after_the_session_ended_takes_the_page_to_sign_in(client, scene, settings):
    settings.OWNER_SIGN_IN_URL = "/garage/sign-in/"
    order = scene.tom_main.work_order
    page = f"/garage/work-orders/{order.shop_id}/{order.remote_id}/"
    answer = client.get(f"{page}status/?v=x", headers={"HX-Request": "true"})
    assert answer.status_code == 204 and answer.content == b""
    assert answer["HX-Redirect"] == f"/garage/sign-in/?next={page.replace('/', '%2F')}"


def test_a_wildcard_validator_tells_another_owner_nothing_about_a_work_order(client, scene):
    order = scene.tom_main.work_order
    url = f"/garage/work-orders/{order.shop_id}/{order.remote_id}/status/"
    garage_client(client, scene.owners.one_shop.email)
    answer = client.get(url, headers={"If-None-Match": "*"})
    assert answer.status_code == 404
    assert "ETag" not in answer
