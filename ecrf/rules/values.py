"""Values of the expression language: partial dates and the coercion of context values.

Inside the evaluator a value is one of: ``None`` (blank), ``bool``, ``Decimal`` (every number),
``str``, ``datetime.date``, ``datetime.datetime``, ``datetime.time``, an incomplete
:class:`PartialDate`, or a non-empty ``list`` of such scalars (a multiple-choice answer).
:func:`normalize` turns whatever a context hands over into that form.
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import re
from dataclasses import dataclass
from decimal import Decimal

from .errors import ExpressionTypeError

#: Arithmetic context: 28 significant digits, banker's rounding of the last digit, traps on.
DECIMAL_CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

UNKNOWN = "UN"
_PARTIAL_RE = re.compile(r"(\d{4})-(\d{2}|UN)-(\d{2}|UN)")


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date whose month and/or day may be unknown, written ``2024-03-UN`` or ``2024-UN-UN``.

    It stands for every calendar date it could be, from :meth:`earliest` to :meth:`latest`.
    A day with an unknown month is invalid.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        for part in (self.year, self.month, self.day):
            if part is not None and (isinstance(part, bool) or not isinstance(part, int)):
                raise ValueError(f"partial date parts must be integers, got {part!r}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year {self.year} is out of range 1-9999")
        if self.month is None:
            if self.day is not None:
                raise ValueError("a partial date cannot have a day when its month is unknown")
            return
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is out of range 1-12")
        if self.day is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise ValueError(f"day {self.day} is out of range 1-{last} for {self.year}-{self.month:02d}")

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY-MM-DD`` where MM and DD may be ``UN`` (unknown); raises ValueError."""
        match = _PARTIAL_RE.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"{text!r} is not a date of the form YYYY-MM-DD, YYYY-MM-UN or YYYY-UN-UN")
        year, month, day = match.groups()
        return cls(
            int(year),
            None if month == UNKNOWN else int(month),
            None if day == UNKNOWN else int(day),
        )

    @classmethod
    def from_date(cls, value: dt.date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    @property
    def is_complete(self) -> bool:
        return self.month is not None and self.day is not None

    def to_date(self) -> dt.date | None:
        """The date when complete, else None."""
        if self.month is not None and self.day is not None:
            return dt.date(self.year, self.month, self.day)
        return None

    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date:
        month = self.month or 12
        return dt.date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        month = UNKNOWN if self.month is None else f"{self.month:02d}"
        day = UNKNOWN if self.day is None else f"{self.day:02d}"
        return f"{self.year:04d}-{month}-{day}"


def to_decimal(value: int | float | Decimal) -> Decimal:
    """An exact Decimal for a number; floats go through ``str`` (0.1 -> Decimal('0.1'))."""
    if isinstance(value, bool):
        raise ExpressionTypeError("a boolean is not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))
    else:
        raise ExpressionTypeError(f"{kind_of(value)} is not a number")
    if not result.is_finite():
        raise ExpressionTypeError(f"{value!r} is not a finite number")
    return result


def normalize(value: object) -> object:
    """Bring a value from a context into evaluator form (see the module docstring).

    ``None`` and ``""`` are blank; ints and floats become Decimals; a complete PartialDate
    becomes a date; a list keeps its non-blank members and is blank when none remain.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (bool, str, dt.date, dt.time)):  # dt.datetime is a dt.date
        return value
    if isinstance(value, (int, float, Decimal)):
        return to_decimal(value)
    if isinstance(value, PartialDate):
        return value.to_date() or value
    if isinstance(value, (list, tuple, frozenset, set)):
        members = []
        for member in value:
            if isinstance(member, (list, tuple, frozenset, set)):
                raise ExpressionTypeError("a list value cannot contain lists")
            member = normalize(member)
            if member is not None:
                members.append(member)
        return members or None
    raise ExpressionTypeError(f"unsupported value of Python type {type(value).__name__}")


def kind_of(value: object) -> str:
    """The name of a value's type as used in error messages."""
    if value is None:
        return "blank"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.datetime):
        return "a datetime"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dt.time):
        return "a time"
    if isinstance(value, PartialDate):
        return "a partial date"
    if isinstance(value, list):
        return "a list (multiple choice)"
    return f"a {type(value).__name__}"


def is_number(value: object) -> bool:
    return isinstance(value, Decimal)


def is_datelike(value: object) -> bool:
    """A date, a datetime or a partial date."""
    return isinstance(value, (dt.date, PartialDate))


def as_integer(value: object, what: str) -> int:
    """An integral Decimal as int; anything else is a type error naming ``what``."""
    if not isinstance(value, Decimal) or value != value.to_integral_value():
        raise ExpressionTypeError(f"{what} must be a whole number, got {kind_of(value)}")
    return int(value)
