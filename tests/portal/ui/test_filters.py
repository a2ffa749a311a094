"""The filters every page shares: times in words, and money in the shop's currency."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.shops.models import Shop
from portal.ui.templatetags.ui import ago, money


def test_a_moment_ago_reads_just_now_and_longer_reads_minutes_ago():
    now = timezone.now()
    assert ago(now - timedelta(seconds=20)) == "just now"
    assert ago(now - timedelta(minutes=2, seconds=5)) == "2\xa0minutes ago"
    assert ago(None) == ""


def test_money_reads_in_the_shops_currency_with_thousands_and_cents():
    assert money(Decimal("1166.4"), Shop.currency) == "$1,166.40"
    assert money(Decimal("1000.5"), "JPY") == "¥1,001"  # no minor unit
    assert money(Decimal("12.5"), "EUR") == "€12.50"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("0.125"), "$0.13"),  # half a cent rounds up, not to even
        (Decimal("0.135"), "$0.14"),
        (Decimal("-0.125"), "-$0.13"),  # and away from zero below it
        (Decimal("0.124"), "$0.12"),
    ],
)
def test_money_rounds_half_a_cent_up(amount, shown):
    assert money(amount, "USD") == shown


def test_money_shows_a_refund_with_a_minus_sign_and_never_a_negative_zero():
    assert money(Decimal("-5"), "USD") == "-$5.00"
    assert money(Decimal("-0.001"), "USD") == "$0.00"


def test_money_reads_a_float_from_a_payload_as_the_decimal_it_prints_as():
    # The float 2.675 is 2.67499999… in binary: read as such it would round down.
    assert money(2.675, "USD") == "$2.68"
    assert money(1166.4, "USD") == "$1,166.40"
    assert money("19.99", "USD") == "$19.99"


def test_money_shows_nothing_for_an_amount_not_known_yet():
    assert money(None, "USD") == ""


@pytest.mark.parametrize("amount", ["abc", "3.402823466e+38", {"value": 1}])
def test_money_shows_nothing_for_what_is_not_an_amount(amount):
    assert money(amount, "USD") == ""
