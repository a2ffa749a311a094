"""Money as AutoSync keeps it: decimals rounded half-up to cents, in numeric(12, 2) columns."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999.99")  # what the 12-digit money columns hold


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
