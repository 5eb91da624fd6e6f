"""Comparison and arithmetic on non-blank evaluator values, with the partial-date rules.

Callers handle blanks first; every function here takes normalized, non-blank values (see
:mod:`ecrf.rules.values`) and returns True/False/None (None = blank = undecided) or a value.
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

from .errors import ExpressionTypeError
from .values import DECIMAL_CONTEXT, PartialDate, as_integer, is_datelike, kind_of

ORDERING = ("<", "<=", ">", ">=")


def _date_range(value: dt.date | PartialDate) -> tuple[dt.date, dt.date]:
    """Earliest and latest calendar date a date-like value can be (a datetime gives its date)."""
    if isinstance(value, PartialDate):
        return value.earliest(), value.latest()
    if isinstance(value, dt.datetime):
        value = value.date()
    return value, value


def _mismatch(a: object, b: object, verb: str = "compare") -> ExpressionTypeError:
    return ExpressionTypeError(f"cannot {verb} {kind_of(a)} with {kind_of(b)}")


def _check_datetimes(a: dt.datetime, b: dt.datetime) -> None:
    if (a.tzinfo is None) != (b.tzinfo is None):
        raise ExpressionTypeError("cannot compare a datetime with a time zone with one without")


def _compare_ranges(op: str, a: tuple[dt.date, dt.date], b: tuple[dt.date, dt.date]) -> bool | None:
    """Decide ``a op b`` over every pair of dates in two ranges; None when they disagree."""
    (a_lo, a_hi), (b_lo, b_hi) = a, b
    if op == "=":
        if a_hi < b_lo or b_hi < a_lo:
            return False
        return True if a_lo == a_hi == b_lo == b_hi else None
    if op in (">", ">="):
        return _compare_ranges("<" if op == ">" else "<=", b, a)
    strict = op == "<"
    if (a_hi < b_lo) if strict else (a_hi <= b_lo):
        return True
    if (a_lo >= b_hi) if strict else (a_lo > b_hi):
        return False
    return None


def _ordered_pair(a: object, b: object, op: str) -> tuple[object, object]:
    """The two values made directly comparable by Python, or a type error."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        _check_datetimes(a, b)
        return a, b
    if isinstance(a, dt.time) and isinstance(b, dt.time):
        if (a.tzinfo is None) != (b.tzinfo is None):
            raise ExpressionTypeError("cannot compare a time with a time zone with one without")
        return a, b
    if isinstance(a, bool) and isinstance(b, bool):
        if op == "=":
            return a, b
        raise ExpressionTypeError("true and false cannot be ordered (use = or !=)")
    if isinstance(a, list) or isinstance(b, list):
        raise ExpressionTypeError(
            f"cannot compare {kind_of(a)} with {kind_of(b)}: use contains() for multiple-choice items"
        )
    raise _mismatch(a, b)


def compare(op: str, a: object, b: object) -> bool | None:
    """``a op b`` for op in = != < <= > >=; None when a partial date leaves it undecided."""
    if op == "!=":
        result = compare("=", a, b)
        return None if result is None else not result
    if is_datelike(a) and is_datelike(b) and not (
        isinstance(a, dt.datetime) and isinstance(b, dt.datetime)
    ):
        return _compare_ranges(op, _date_range(a), _date_range(b))
    left, right = _ordered_pair(a, b, op)
    if op == "=":
        return left == right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    raise ValueError(f"unknown comparison operator {op!r}")


def _days(value: object, what: str) -> dt.timedelta | None:
    try:
        return dt.timedelta(days=as_integer(value, what))
    except OverflowError:
        return None


def _shift(date: dt.date, delta: dt.timedelta | None, sign: int) -> dt.date | None:
    """``date ± delta``; blank when the result falls outside years 1-9999."""
    if delta is None:
        return None
    try:
        return date + delta if sign > 0 else date - delta
    except OverflowError:
        return None


def _decimal_op(op: str, a: Decimal, b: Decimal) -> Decimal | None:
    if op == "/" and b == 0:
        return None  # division by zero is blank, not an error
    try:
        if op == "+":
            return DECIMAL_CONTEXT.add(a, b)
        if op == "-":
            return DECIMAL_CONTEXT.subtract(a, b)
        if op == "*":
            return DECIMAL_CONTEXT.multiply(a, b)
        return DECIMAL_CONTEXT.divide(a, b)
    except decimal.DecimalException:
        return None  # overflow beyond any sensible clinical value: no result


def arithmetic(op: str, a: object, b: object) -> object:
    """``a op b`` for op in + - * /; numbers are exact Decimals; dates shift by whole days.

    A partial date in date arithmetic gives blank (like datediff), a result that does not
    exist (division by zero, a date past 9999) is blank; wrong types raise.
    """
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return _decimal_op(op, a, b)
    verb = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}[op]
    if op == "+" and isinstance(a, Decimal) and is_datelike(b):
        a, b = b, a
    if op in "+-" and is_datelike(a) and isinstance(b, Decimal):
        delta = _days(b, "the number of days added to a date")
        return None if isinstance(a, PartialDate) else _shift(a, delta, 1 if op == "+" else -1)
    if op == "-" and is_datelike(a) and is_datelike(b):
        if isinstance(a, PartialDate) or isinstance(b, PartialDate):
            return None
        return Decimal(date_part(a).toordinal() - date_part(b).toordinal())
    raise ExpressionTypeError(f"cannot {verb} {kind_of(a)} and {kind_of(b)}")


def negate(value: object) -> Decimal:
    if not isinstance(value, Decimal):
        raise ExpressionTypeError(f"cannot negate {kind_of(value)}")
    return DECIMAL_CONTEXT.minus(value)


def date_part(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
