"""How long a work order may sit in a status before the board flags it: the shop's own
thresholds over the defaults."""

from datetime import timedelta

import pytest
from django.db import IntegrityError

from portal.dashboard.models import DEFAULT_HOURS, StuckThreshold, thresholds_for

pytestmark = pytest.mark.django_db


def test_a_shop_without_thresholds_of_its_own_gets_the_defaults(cast):
    assert thresholds_for(cast.shop) == {
        status: timedelta(hours=hours) for status, hours in DEFAULT_HOURS.items()
    }


def test_a_shops_own_threshold_replaces_the_default_for_its_status_only(cast):
    StuckThreshold.objects.create(shop=cast.shop, status="waiting_parts", hours=24)
    thresholds = thresholds_for(cast.shop)
    assert thresholds["waiting_parts"] == timedelta(days=1)
    assert thresholds["draft"] == timedelta(hours=DEFAULT_HOURS["draft"])


def test_another_shops_thresholds_do_not_count(cast):
    other = cast.stranger.memberships.get().shop
    StuckThreshold.objects.create(shop=other, status="waiting_parts", hours=1)
    assert thresholds_for(cast.shop)["waiting_parts"] == timedelta(hours=48)


def test_a_status_has_one_threshold_per_shop(cast):
    StuckThreshold.objects.create(shop=cast.shop, status="draft", hours=2)
    with pytest.raises(IntegrityError):
        StuckThreshold.objects.create(shop=cast.shop, status="draft", hours=3)
