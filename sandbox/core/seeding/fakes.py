"""Plausible people, addresses, phones, VINs and plates, drawn from a seeded `random.Random`."""

import random

from sandbox.core.vin import with_check_digit

from .catalogues import (
    BUSINESS_NAMES,
    BUSINESS_SUFFIXES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    STREET_NAMES,
    STREET_TYPES,
    Region,
    VehicleModel,
)

VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# The VIN's tenth character encodes the model year, in a 30-year cycle that began in 1980.
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def business(rng: random.Random) -> tuple[str, str]:
    """A business customer: its trade name as first name, its legal form as last name."""
    return rng.choice(BUSINESS_NAMES), rng.choice(BUSINESS_SUFFIXES)


def email(rng: random.Random, first: str, last: str) -> str:
    local = f"{first}.{last}" if rng.random() < 0.6 else f"{first[0]}{last}{rng.randint(1, 99)}"
    local = "".join(c for c in local.lower() if c.isalnum() or c == ".")
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def phone(rng: random.Random, region: Region) -> str:
    """A number in the 555-01xx block, which North America reserves for fiction."""
    return f"({rng.choice(region.area_codes)}) 555-01{rng.randint(0, 99):02d}"


def address(rng: random.Random, region: Region) -> dict:
    city, zip_code = rng.choice(region.towns)
    street = f"{rng.randint(10, 9899)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_TYPES)}"
    return {"street": street, "city": city, "state": region.state, "zip": zip_code}


def vin(rng: random.Random, model: VehicleModel, year: int) -> str:
    """A VIN with the maker's WMI, the model year code and a valid check digit."""
    descriptor = "".join(rng.choice(VIN_CHARS) for _ in range(5))
    serial = f"{rng.randint(0, 999999):06d}"
    raw = f"{model.wmi}{descriptor}0{YEAR_CODES[(year - 1980) % 30]}{rng.choice(VIN_CHARS)}{serial}"
    return with_check_digit(raw)


def plate(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return f"{letters}{rng.randint(0, 9999):04d}"
