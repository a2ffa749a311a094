"""The contract's money rules as pure functions, so the seed computes totals exactly as the
service layer does without touching the database."""

from collections.abc import Iterable
from decimal import Decimal

from sandbox.core.money import cents


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """A line item's total: quantity times unit price, half-up to cents."""
    return cents(quantity * unit_price)


def job_subtotal(line_totals: Iterable[Decimal]) -> Decimal:
    return sum(line_totals, Decimal("0"))


def work_order_totals(
    job_subtotals: Iterable[Decimal], tax_rate: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, tax, total): the sum of the jobs, tax at the shop's rate, and their sum."""
    subtotal = cents(sum(job_subtotals, Decimal("0")))
    tax = cents(subtotal * tax_rate)
    return subtotal, tax, subtotal + tax
