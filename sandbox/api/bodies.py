"""Strict JSON request bodies: each endpoint declares its fields, and anything else is refused
with a message naming the field, before the service layer sees it."""

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest

from sandbox.core.money import MAX_MONEY

from .envelope import ApiError, invalid
from .values import MAX_ID, parse_datetime, text_problem

# What the database columns hold: money is numeric(12, 2), quantities numeric(10, 2),
# counts a 32-bit integer.
MAX_QUANTITY = Decimal("99999999.99")
MAX_INT32 = 2**31 - 1
MAX_LINE_ITEMS = 100  # line items one job may be created with
# Four-digit years only: that is what ISO 8601 times in answers can show.
MIN_YEAR = 1000


class Field(ABC):
    """One member of a body. `clean` returns the value the service layer takes."""

    kind = "a value"

    def __init__(self, *, required: bool = False, nullable: bool = False):
        self.required = required
        self.nullable = nullable

    def clean(self, name: str, value):
        if value is None:
            if self.nullable:
                return self.empty()
            raise invalid(name, f"The '{name}' field must not be null.")
        return self.check(name, value)

    def empty(self):
        return None

    @abstractmethod
    def check(self, name: str, value):
        """The value, checked and converted; raises ApiError(422) naming `name`."""

    def wrong_type(self, name: str) -> ApiError:
        return invalid(name, f"The '{name}' field must be {self.kind}.")


class Text(Field):
    kind = "a string"

    def empty(self) -> str:
        return ""

    def check(self, name: str, value) -> str:
        if not isinstance(value, str):
            raise self.wrong_type(name)
        problem = text_problem(value)
        if problem:
            raise invalid(name, f"The '{name}' field {problem}.")
        return value


class Boolean(Field):
    kind = "true or false"

    def check(self, name: str, value) -> bool:
        if not isinstance(value, bool):
            raise self.wrong_type(name)
        return value


class Integer(Field):
    kind = "an integer"

    def __init__(self, *, minimum: int = 0, maximum: int = MAX_INT32, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def check(self, name: str, value) -> int:
        # JSON true/false are Python ints: refuse them explicitly.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.wrong_type(name)
        if not self.minimum <= value <= self.maximum:
            raise invalid(
                name, f"The '{name}' field must be between {self.minimum} and {self.maximum}."
            )
        return value


class Id(Integer):
    """A reference to another record; the service layer says whether it names one."""

    kind = "an integer id"

    def __init__(self, **kwargs):
        super().__init__(minimum=1, maximum=MAX_ID, **kwargs)


class Decimal2(Field):
    """A JSON number with at most two decimals (money, quantities), as an exact Decimal."""

    kind = "a number"

    def __init__(
        self,
        *,
        minimum: Decimal = Decimal(0),
        maximum: Decimal = MAX_MONEY,
        exclusive_minimum: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.minimum, self.maximum, self.exclusive_minimum = minimum, maximum, exclusive_minimum

    def check(self, name: str, value) -> Decimal:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.wrong_type(name)
        # repr of a float is its shortest round-trip form: 19.99 stays 19.99, not 19.989999….
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        too_small = number <= self.minimum if self.exclusive_minimum else number < self.minimum
        if too_small or number > self.maximum:
            low = (
                f"greater than {self.minimum}"
                if self.exclusive_minimum
                else f"at least {self.minimum}"
            )
            raise invalid(name, f"The '{name}' field must be {low} and at most {self.maximum}.")
        if number != number.quantize(Decimal("0.01")):
            raise invalid(name, f"The '{name}' field must have at most two decimal places.")
        return number


class DateTime(Field):
    kind = "an ISO 8601 date-time"

    def check(self, name: str, value) -> datetime:
        if not isinstance(value, str):
            raise self.wrong_type(name)
        moment = parse_datetime(value, allow_date=False)
        if moment is None:
            raise invalid(name, f"The '{name}' field must be an ISO 8601 date-time.")
        if moment.year < MIN_YEAR:
            raise invalid(name, f"The '{name}' field must be in the year {MIN_YEAR} or later.")
        return moment


class Object(Field):
    kind = "an object"

    def __init__(self, fields: dict[str, Field], **kwargs):
        super().__init__(**kwargs)
        self.fields = fields

    def check(self, name: str, value) -> dict:
        if not isinstance(value, dict):
            raise self.wrong_type(name)
        return clean_fields(value, self.fields, prefix=f"{name}.")


class ArrayOf(Field):
    kind = "an array"

    def __init__(self, item: Field, *, max_items: int, **kwargs):
        super().__init__(**kwargs)
        self.item, self.max_items = item, max_items

    def empty(self) -> list:
        return []

    def check(self, name: str, value) -> list:
        if not isinstance(value, list):
            raise self.wrong_type(name)
        if len(value) > self.max_items:
            raise invalid(name, f"The '{name}' field holds at most {self.max_items} items.")
        return [self.item.clean(f"{name}[{i}]", item) for i, item in enumerate(value)]


def clean_fields(data: Mapping, fields: dict[str, Field], prefix: str = "") -> dict:
    """The members of `data` cleaned by `fields`; unknown members and missing required ones
    are refused, members not given stay absent (so updates change only what was sent)."""
    for name in data:
        if name not in fields:
            raise invalid(f"{prefix}{name}", f"The '{prefix}{name}' field is not accepted here.")
    cleaned = {}
    for name, spec in fields.items():
        if name in data:
            cleaned[name] = spec.clean(f"{prefix}{name}", data[name])
        elif spec.required:
            raise invalid(f"{prefix}{name}", f"The '{prefix}{name}' field is required.")
    return cleaned


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Body:
    """The accepted members of one endpoint's JSON body."""

    fields: dict[str, Field]

    def parse(self, request: HttpRequest) -> dict:
        try:
            data = json.loads(request.body, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            # ValueError covers bad syntax, bad encodings and NaN/Infinity.
            raise ApiError(
                400, "The request body is not valid JSON.", code="invalid_json"
            ) from None
        if not isinstance(data, dict):
            raise invalid("body", "The request body must be a JSON object.")
        return clean_fields(data, self.fields)
