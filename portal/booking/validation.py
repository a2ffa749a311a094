"""What owners type, checked and put in one form: a vehicle's VIN and a phone number."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError

_VIN = re.compile(r"[A-Z0-9]{17}")
#: Each character's value in the check digit's sum (49 CFR 565.15); I, O and Q are never used.
_VIN_VALUES = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
#: The first character of a VIN made for North America (the United States, Canada, Mexico),
#: where the ninth is a check digit; elsewhere it may be anything.
_NORTH_AMERICA = "12345"


def vin_check_digit(vin: str) -> str:
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def clean_vin(value: str) -> str:
    """`value` as a VIN: capitals, no spaces. Raises ValidationError unless it has 17 letters
    and digits, none of them I, O or Q, and, for a North American vehicle, the right check
    digit (which catches most typos)."""
    vin = "".join(value.split()).upper()
    if not _VIN.fullmatch(vin):
        raise ValidationError("A VIN has 17 letters and digits.", code="vin_length")
    if set(vin) & set("IOQ"):
        raise ValidationError(
            "A VIN never has the letters I, O or Q: they are the digits 1 and 0.",
            code="vin_letters",
        )
    if vin[0] in _NORTH_AMERICA and vin[8] != vin_check_digit(vin):
        raise ValidationError(
            "This VIN has a typo somewhere: please copy it again from the car or its papers.",
            code="vin_check_digit",
        )
    return vin


def clean_phone(value: str, region: str = "US") -> str:
    """`value` as a phone number in international (E.164) form, "+13125550143"; a number
    without a country code is read as one of `region`. Raises ValidationError unless it is a
    number that can be called."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "Enter a phone number the shop can call you on, such as (312) 555-0143.",
            code="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
