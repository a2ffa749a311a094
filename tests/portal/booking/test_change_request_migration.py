"""Migration booking 0006: the change requests made before it (all about bookings) get their
booking's shop and email, so that the inbox, which finds requests by shop, still lists them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from portal.booking.models import ChangeRequest
from portal.dashboard.waiting import changes_of
from portal.shops.models import Shop


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_requests_their_bookings_shop_and_email():
    before = [("booking", "0005_calendar_version")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    shop = apps.get_model("shops", "Shop").objects.create(remote_id=91001, name="Old Garage")
    start = timezone.now() + timedelta(days=3)
    booking = apps.get_model("booking", "Booking").objects.create(
        shop=shop, state="confirmed", starts_at=start, ends_at=start + timedelta(hours=1),
        name="Olive", email="olive@example.com", phone="+13125550143", vehicle_year=2019,
        vehicle_make="Honda", vehicle_model="Civic", manage_token_hash="x" * 64,
    )  # fmt: skip
    apps.get_model("booking", "ChangeRequest").objects.create(booking=booking, kind="cancel")

    executor = MigrationExecutor(connection)  # back to the latest schema, for the tests after
    executor.migrate(executor.loader.graph.leaf_nodes())

    change = ChangeRequest.objects.get()
    assert (change.shop_id, change.email) == (shop.pk, "olive@example.com")
    assert list(changes_of(Shop.objects.get(pk=shop.pk))) == [change]
