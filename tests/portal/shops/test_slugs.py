"""The portal's own slug for a shop: from its name, unique, and kept when the name changes."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.shops.models import Shop


def shop(remote_id: int, name: str, **fields) -> Shop:
    return Shop.objects.create(remote_id=remote_id, name=name, **fields)


@pytest.mark.django_db
def test_a_shop_is_given_a_slug_from_its_name():
    assert shop(1, "Main Street Garage").slug == "main-street-garage"


@pytest.mark.django_db
def test_shops_of_the_same_name_get_numbered_slugs():
    slugs = [shop(n, "Johnson's Auto Care").slug for n in range(1, 4)]
    assert slugs == ["johnsons-auto-care", "johnsons-auto-care-2", "johnsons-auto-care-3"]


@pytest.mark.django_db
def test_autosyncs_slug_is_kept_apart_and_never_used_as_the_portals():
    first = shop(1, "Garage", remote_slug="downtown")
    second = shop(2, "Garage", remote_slug="downtown")  # another AutoSync account's shop
    assert (first.slug, second.slug) == ("garage", "garage-2")
    assert first.remote_slug == second.remote_slug == "downtown"


@pytest.mark.django_db
def test_a_renamed_shop_keeps_its_slug_so_links_stay_valid():
    renamed = shop(1, "Main Street Garage")
    renamed.name = "Elm Street Garage"
    renamed.save()
    renamed.refresh_from_db()
    assert renamed.slug == "main-street-garage"


@pytest.mark.django_db
def test_a_name_without_letters_or_digits_still_gives_a_slug():
    assert shop(1, "★★★").slug == "shop"
    assert shop(2, "").slug == "shop-2"


@pytest.mark.django_db
def test_a_long_name_gives_a_slug_that_fits_with_its_number():
    name = "Garage " * 36  # 252 characters: the longest name a shop can have
    first, second = shop(1, name), shop(2, name)
    assert second.slug == first.slug + "-2"
    assert len(second.slug) <= Shop._meta.get_field("slug").max_length


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_shops_unique_slugs_and_keeps_autosyncs_as_remote_slug():
    before = [("shops", "0002_one_pending_invite")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("shops", "Shop")
    for remote_id in (1, 2):
        old.objects.create(remote_id=remote_id, name="Main Street Garage", slug="main")

    executor = MigrationExecutor(connection)  # back to the latest schema, for the tests after
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = Shop.objects.order_by("remote_id").values_list("slug", "remote_slug")
    assert list(rows) == [("main-street-garage", "main"), ("main-street-garage-2", "main")]
