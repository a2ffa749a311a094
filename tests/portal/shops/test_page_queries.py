"""Each staff page costs the same number of queries with one row as with many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.shops.models import Membership, Role, Shop
from tests.support.portal import PASSWORD, connection_with


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def add_shops(owner, count: int) -> None:
    for n in range(count):
        shop = Shop.objects.create(
            remote_id=91000 + n, name=f"Garage {n}", connection=connection_with()
        )
        Membership.objects.create(user=owner, shop=shop, role=Role.OWNER)


def add_teammates(shop, django_user_model, count: int) -> None:
    for n in range(count):
        user = django_user_model.objects.create_user(f"mate{n}@example.com", PASSWORD)
        Membership.objects.create(user=user, shop=shop, role=Role.STAFF)


@pytest.mark.django_db
def test_the_shops_list_costs_the_same_queries_for_one_shop_and_many(client, cast):
    client.force_login(cast.owner)
    one = queries_for(client, "/shops/")
    add_shops(cast.owner, 12)
    assert queries_for(client, "/shops/") == one


@pytest.mark.django_db
def test_the_shop_page_costs_the_same_queries_for_a_small_team_and_a_big_one(
    client, cast, django_user_model
):
    client.force_login(cast.owner)
    url = f"/shops/{cast.shop.pk}/"
    small = queries_for(client, url)
    add_teammates(cast.shop, django_user_model, 12)
    assert queries_for(client, url) == small


@pytest.mark.django_db
def test_the_sync_page_costs_the_same_queries_for_one_record_and_many(client, cast):
    from django.utils import timezone

    from portal.mirror.models import Customer

    client.force_login(cast.owner)
    url = f"/shops/{cast.shop.pk}/sync/"
    Customer.objects.create(
        shop=cast.shop, remote_id=1, observed_at=timezone.now(), confirmed_at=timezone.now()
    )
    one = queries_for(client, url)
    for n in range(2, 14):
        Customer.objects.create(
            shop=cast.shop, remote_id=n, observed_at=timezone.now(), confirmed_at=timezone.now()
        )
    assert queries_for(client, url) == one
