"""What owners type: VINs and phone numbers."""

import pytest
from django.core.exceptions import ValidationError

from portal.booking.validation import clean_phone, clean_vin


@pytest.mark.parametrize(
    ("typed", "vin"),
    [
        ("1HGCM82633A004352", "1HGCM82633A004352"),  # a Honda made in the US
        (" 1m8gdm9axkp042788 ", "1M8GDM9AXKP042788"),  # check digit X, typed loosely
        ("1HGCM826 33A004352", "1HGCM82633A004352"),
        ("WVWZZZ1JZXW000001", "WVWZZZ1JZXW000001"),  # European: no check digit required
    ],
)
def test_a_good_vin_comes_back_in_capitals_without_spaces(typed, vin):
    assert clean_vin(typed) == vin


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1HGCM82633A00435", "vin_length"),
        ("1HGCM82633A0043521", "vin_length"),
        ("1HGCM82633A00435-", "vin_length"),
        ("1HGCM82633A00435É", "vin_length"),
        ("1HGCM82633A0O4352", "vin_letters"),
        ("IHGCM82633A004352", "vin_letters"),
        ("1HGCM82643A004352", "vin_check_digit"),  # one digit mistyped
        ("1HGCM82633A004353", "vin_check_digit"),
    ],
)
def test_a_wrong_vin_is_refused_with_a_reason(typed, code):
    with pytest.raises(ValidationError) as refused:
        clean_vin(typed)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("(312) 555-0143", "+13125550143"),
        ("312.555.0143", "+13125550143"),
        ("+1 312 555 0143", "+13125550143"),
        ("+49 30 901820", "+4930901820"),
    ],
)
def test_a_phone_number_is_kept_in_international_form(typed, number):
    assert clean_phone(typed) == number


def test_a_number_without_a_country_code_is_read_in_the_shops_country():
    assert clean_phone("030 901820", region="DE") == "+4930901820"


@pytest.mark.parametrize("typed", ["12345", "call me", "", "+1 555 555 0100", "9" * 300])
def test_a_number_that_cannot_be_called_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        clean_phone(typed)
    assert refused.value.code == "phone"
