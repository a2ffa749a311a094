"""Vehicle identification numbers: the format the API accepts and the ISO 3779 check digit."""

import re

VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def is_valid_format(vin: str) -> bool:
    return bool(VIN_RE.match(vin))


def check_digit(vin: str) -> str:
    """The ninth character a North American VIN must have (0-9 or X)."""
    remainder = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def with_check_digit(vin: str) -> str:
    """`vin` (17 characters, any ninth one) with its correct check digit in place."""
    return vin[:8] + check_digit(vin) + vin[9:]
