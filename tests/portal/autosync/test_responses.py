"""Answers that are not what was asked for are errors of the response (permanent, typed), never
a crash or an endless page loop: a page longer than per_page, an answer over the size limit,
JSON nested past what a parser can read, a total no column can hold."""

from __future__ import annotations

import pytest

from portal.autosync.client import ResponseRejected, iter_all
from portal.autosync.pages import Page

from .tamper import TamperingProxy


@pytest.fixture
def proxy(live_sandbox):
    server = TamperingProxy(live_sandbox.api_url.removesuffix("/v1")).start()
    yield server
    server.stop()


def longer_page(method, path, body):
    if path.endswith("/customers"):
        body["data"] = body["data"] * 3  # more records than the page holds
        return body
    return None


def test_a_page_longer_than_asked_for_is_a_permanent_response_error(proxy, make_client, shop_id):
    proxy.tamper = longer_page
    with pytest.raises(ResponseRejected) as refused:
        make_client(proxy).list_customers(shop_id, per_page=5)
    assert refused.value.permanent and "for a page of 5" in str(refused.value)


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "streamed"])
def test_an_answer_over_the_size_limit_is_refused_without_reading_it_whole(
    proxy, make_client, shop_id, declared
):
    padding = b" " * 200_000

    def huge(method, path, body):
        return b'{"success": true, "data": [' + padding + b"]}"

    proxy.tamper = huge
    client = make_client(proxy, max_response_bytes=100_000)
    if not declared:  # a body without a Content-Length is counted as it is read

        def undeclared(response, **kwargs):
            del response.headers["Content-Length"]

        client.session.hooks["response"].append(undeclared)
    with pytest.raises(ResponseRejected) as refused:
        client.list_customers(shop_id)
    assert refused.value.permanent and "more than 100000 bytes" in str(refused.value)


def test_json_nested_past_the_parser_is_a_response_error(proxy, make_client, shop_id):
    proxy.tamper = lambda method, path, body: (
        b'{"success": true, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    )
    with pytest.raises(ResponseRejected) as refused:
        make_client(proxy).get_customer(shop_id, 1)
    assert refused.value.permanent


def test_a_total_no_column_can_hold_is_a_response_error(proxy, make_client, shop_id):
    def enormous(method, path, body):
        body["pagination"]["total"] = 2**40
        return body

    proxy.tamper = enormous
    with pytest.raises(ResponseRejected):
        make_client(proxy).list_customers(shop_id)


def test_every_record_iterates_over_odd_ids_without_a_crash():
    page = Page(items=[{"id": [1]}, "x", {"id": 1}, {"id": 1}], page=1, per_page=100, total=4)
    assert list(iter_all(lambda *args, **kwargs: page)) == [{"id": [1]}, "x", {"id": 1}]
