"""A shop's public details, taken from AutoSync's shop record."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.shops.models import Shop

RECORD = {
    "id": 7,
    "name": "Johnson's Auto Care",
    "timezone": "America/Chicago",
    "phone": "(312) 555-0143",
    "email": "desk@johnsons.example",
    "address": {"street": "12 Main St", "city": "Springfield", "state": "IL", "zip": "62701"},
    "tax_rate": 0.0725,
}


def shop_with(**record) -> Shop:
    shop = Shop(remote_id=7, name="Johnson's Auto Care")
    shop.keep_public_details({**RECORD, **record})
    return shop


def test_a_shop_keeps_its_zone_phone_email_address_and_tax_rate():
    shop = shop_with()
    assert shop.zone == ZoneInfo("America/Chicago")
    assert (shop.phone, shop.email) == ("(312) 555-0143", "desk@johnsons.example")
    assert shop.address == "12 Main St, Springfield, IL 62701"
    assert shop.tax_rate == Decimal("0.0725")


def test_a_new_shop_is_in_utc_until_autosync_names_its_zone():
    assert Shop(remote_id=8, name="New").zone == ZoneInfo("UTC")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "", 5, None])
def test_a_zone_that_is_not_an_iana_name_keeps_the_one_the_shop_had(zone):
    shop = shop_with()
    shop.keep_public_details({"timezone": zone})
    assert shop.timezone == "America/Chicago"


@pytest.mark.parametrize("rate", [-0.1, 1.5, "NaN", "Infinity", "lots", True, None])
def test_a_tax_rate_that_is_not_a_rate_keeps_the_one_the_shop_had(rate):
    shop = shop_with()
    shop.keep_public_details({"tax_rate": rate})
    assert shop.tax_rate == Decimal("0.0725")


def test_a_record_without_the_details_leaves_them_as_they_were():
    """The API reference's shop listing shows none of them: the portal keeps what it had."""
    shop = shop_with()
    shop.keep_public_details({"id": 7, "name": "Johnson's Auto Care", "slug": "johnsons"})
    assert (shop.timezone, shop.phone, shop.address) == (
        "America/Chicago",
        "(312) 555-0143",
        "12 Main St, Springfield, IL 62701",
    )


def test_control_characters_and_line_breaks_never_reach_the_details():
    shop = shop_with(
        phone="555\x00-0143", address={"street": "12 Main St\r\nBcc: x", "city": "Springfield"}
    )
    assert shop.phone == "555-0143"
    assert shop.address == "12 Main St Bcc: x, Springfield"
