"""Poll passes (portal/accounts/passes.py): an unchanged poll with its page's pass is answered
before the session is read, and a pass earns nothing more than that "nothing changed"."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.mirror.models import WorkOrder
from portal.shops.models import Shop
from tests.support.garage import garage_client

pytestmark = pytest.mark.django_db


def work_order_url(scene) -> str:
    order = scene.tom_main.work_order
    return f"/garage/work-orders/{order.shop_id}/{order.remote_id}/"


def pass_and_version(client: Client, url: str) -> tuple[str, str]:
    page = client.get(url).content.decode()
    granted = re.search(r'"X-Poll-Pass": "([^"]+)"', page)[1]
    version = re.search(r'status/\?v=([^"&]+)"', page)[1]
    return granted, version


def poll(client: Client, url: str, version: str, granted: str):
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(f"{url}status/?v={version}", headers={"X-Poll-Pass": granted})
    return answer, [query["sql"].lower() for query in captured]


def read_the_session(queries: list[str]) -> bool:
    return any("django_session" in sql for sql in queries)


@pytest.fixture
def tom(client, scene):
    garage_client(client, scene.owners.two_shops.email)
    return client


def test_a_pass_answers_an_unchanged_poll_without_the_session(tom, scene):
    url = work_order_url(scene)
    granted, version = pass_and_version(tom, url)
    answer, queries = poll(tom, url, version, granted)
    assert answer.status_code == 204
    assert len(queries) == 1 and not read_the_session(queries)


def test_a_change_goes_the_normal_way_and_renders_the_new_live_part(tom, scene):
    url = work_order_url(scene)
    granted, version = pass_and_version(tom, url)
    WorkOrder.objects.filter(pk=scene.tom_main.work_order.pk).update(status="waiting_parts")
    answer, queries = poll(tom, url, version, granted)
    assert answer.status_code == 200
    assert b'id="live"' in answer.content
    assert read_the_session(queries)


def test_a_pass_is_worth_nothing_with_another_session_cookie(tom, scene):
    url = work_order_url(scene)
    granted, version = pass_and_version(tom, url)
    stranger = garage_client(Client(), scene.owners.stranger.email)
    answer, queries = poll(stranger, url, version, granted)
    assert answer.status_code == 404  # the normal way: not the stranger's work order
    assert read_the_session(queries)


def test_a_pass_is_worth_nothing_without_a_session_cookie(tom, scene):
    url = work_order_url(scene)
    granted, version = pass_and_version(tom, url)
    answer, _ = poll(Client(), url, version, granted)
    assert answer.status_code == 302 and "/garage/sign-in/" in answer["Location"]


def test_a_pass_is_worth_nothing_after_signing_out(tom, scene):
    url = work_order_url(scene)
    granted, version = pass_and_version(tom, url)
    tom.post("/garage/sign-out/")
    answer, _ = poll(tom, url, version, granted)
    assert answer.status_code == 302 and "/garage/sign-in/" in answer["Location"]


def test_a_tampered_pass_goes_the_normal_way(tom, scene):
    url = work_order_url(scene)
    granted, version = pass_and_version(tom, url)
    value, signature = granted.rsplit(":", 1)
    for bad in (f"{value}:{signature[::-1]}", "junk", f"{value}x:{signature}"):
        answer, queries = poll(tom, url, version, bad)
        assert answer.status_code == 204  # the session still says Tom: answered the normal way
        assert read_the_session(queries)


def test_a_pass_for_one_work_order_is_asked_about_the_one_in_the_address(tom, scene):
    """The pass names the owner, not the work order: another owner's work order in the address
    is looked up under the pass's owner, found to be none of theirs, and goes the normal way."""
    url = work_order_url(scene)
    granted, _ = pass_and_version(tom, url)
    theirs = scene.olive.work_order  # another owner's, at the same shop
    other = f"/garage/work-orders/{theirs.shop_id}/{theirs.remote_id}/"
    answer, _ = poll(tom, other, "anything", granted)
    assert answer.status_code == 404


def test_a_pass_earns_nothing_once_the_shops_connection_is_removed(tom, scene):
    """The pass's query leaves out the owner's scope: the connection is among what it reads, so
    its removal sends the poll the normal way, which finds the work order no longer shown."""
    url = work_order_url(scene)
    granted, version = pass_and_version(tom, url)
    Shop.objects.filter(pk=scene.main.pk).update(connection=None)
    answer, queries = poll(tom, url, version, granted)
    assert answer.status_code == 404
    assert read_the_session(queries)
