"""The fixed table of functions of the expression language.

Each eager function receives its evaluated arguments and decides itself what a blank
argument means; lazy functions (``if``, ``coalesce``) receive thunks and evaluate only what
they need. Aggregates receive the non-blank row values of one item of a repeating group.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .errors import ExpressionTypeError
from .operators import arithmetic, compare, date_part
from .values import DECIMAL_CONTEXT, PartialDate, as_integer, kind_of, normalize

DATEDIFF_UNITS = ("d", "m", "y")
ROUND_LIMIT = 28


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    min_args: int
    max_args: int | None  # None: any number
    impl: Callable
    lazy: bool = False

    def arity_message(self, given: int) -> str | None:
        """Why ``given`` arguments are wrong, or None when they are fine."""
        if self.min_args <= given and (self.max_args is None or given <= self.max_args):
            return None
        if self.max_args is None:
            wanted = f"at least {self.min_args} arguments"
        elif self.min_args == self.max_args:
            wanted = {0: "no arguments", 1: "1 argument"}.get(self.min_args, f"{self.min_args} arguments")
        else:
            wanted = f"{self.min_args} or {self.max_args} arguments" if self.max_args == self.min_args + 1 \
                else f"{self.min_args} to {self.max_args} arguments"
        return f"{self.name}() takes {wanted}, got {given}"


def _date_arg(value: object, function: str) -> dt.date | PartialDate:
    if not (isinstance(value, (dt.date, PartialDate))):
        raise ExpressionTypeError(f"{function}() needs a date, got {kind_of(value)}")
    return value


def _number_arg(value: object, function: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise ExpressionTypeError(f"{function}() needs a number, got {kind_of(value)}")
    return value


def whole_months(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (signed, truncated toward zero).

    A month is complete when the day of the month of ``start`` is reached; when that day does
    not exist in the month (31st, 29 February), on the first day of the following month.
    """
    if end < start:
        return -whole_months(end, start)
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return months


def _today(ctx, args) -> dt.date:
    today = ctx.today()
    if not isinstance(today, dt.date):
        raise ExpressionTypeError(f"the context's today() gave {kind_of(today)}, not a date")
    return date_part(today)


def parse_date_text(text: str) -> dt.date | PartialDate:
    """``'2024-03-05'`` -> date, ``'2024-03-UN'`` -> PartialDate; ValueError if invalid."""
    return normalize(PartialDate.parse(text))


def _date(ctx, args):
    (value,) = args
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_date_text(value)
        except ValueError as exc:
            raise ExpressionTypeError(f"date(): {exc}") from None
    if isinstance(value, dt.date):
        return date_part(value)
    if isinstance(value, PartialDate):
        return value
    raise ExpressionTypeError(f"date() needs text or a date, got {kind_of(value)}")


def _datediff(ctx, args):
    a, b, unit = (*args, "d")[:3]
    if a is None or b is None:
        return None
    a, b = _date_arg(a, "datediff"), _date_arg(b, "datediff")
    if isinstance(a, PartialDate) or isinstance(b, PartialDate):
        return None
    a, b = date_part(a), date_part(b)
    unit = unit.lower()
    if unit == "d":
        return Decimal(b.toordinal() - a.toordinal())
    months = whole_months(a, b)
    if unit == "m":
        return Decimal(months)
    return Decimal(months // 12 if months >= 0 else -(-months // 12))


def _adddays(ctx, args):
    value, days = args
    if value is None or days is None:
        return None
    _date_arg(value, "adddays")
    _number_arg(days, "adddays")
    as_integer(days, "adddays() days")
    return arithmetic("+", value, days)


def _year(ctx, args):
    (value,) = args
    return None if value is None else Decimal(_date_arg(value, "year").year)


def _abs(ctx, args):
    (value,) = args
    return None if value is None else DECIMAL_CONTEXT.abs(_number_arg(value, "abs"))


def extreme(values: Sequence[object], op: str) -> object:
    """The smallest (op '<') or largest (op '>') value; blank when a comparison is undecided."""
    best = values[0]
    for value in values[1:]:
        better = compare(op, value, best)
        if better is None:
            return None
        if better:
            best = value
    return best


def _min(ctx, args):
    return None if any(value is None for value in args) else extreme(args, "<")


def _max(ctx, args):
    return None if any(value is None for value in args) else extreme(args, ">")


def _round(ctx, args):
    value, places = (*args, Decimal(0))[:2]
    if value is None or places is None:
        return None
    _number_arg(value, "round")
    places = as_integer(places, "round() places")
    if not -ROUND_LIMIT <= places <= ROUND_LIMIT:
        raise ExpressionTypeError(f"round() places must be between {-ROUND_LIMIT} and {ROUND_LIMIT}")
    context = decimal.Context(prec=100)
    try:
        result = value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP, context=context)
        return result.quantize(Decimal(1), context=context) if places < 0 else result  # 1200, not 1.2E+3
    except decimal.InvalidOperation:
        raise ExpressionTypeError("round(): the number is too large") from None


def _coalesce(ctx, thunks):
    for thunk in thunks:
        value = thunk()
        if value is not None:
            return value
    return None


def _len(ctx, args):
    (value,) = args
    if value is None:
        return None
    if not isinstance(value, (str, list)):
        raise ExpressionTypeError(f"len() needs text or a multiple-choice value, got {kind_of(value)}")
    return Decimal(len(value))


def _contains(ctx, args):
    values, code = args
    if values is None or code is None:
        return None
    if not isinstance(values, list):
        raise ExpressionTypeError(f"contains() needs a multiple-choice value first, got {kind_of(values)}")
    return any([compare("=", member, code) for member in values])


def _if(ctx, thunks):
    condition = thunks[0]()
    if condition is None:
        return None
    if not isinstance(condition, bool):
        raise ExpressionTypeError(f"if() needs true or false as its condition, got {kind_of(condition)}")
    return thunks[1]() if condition else thunks[2]()


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("isblank", 1, 1, lambda ctx, args: args[0] is None),
        Function("today", 0, 0, _today),
        Function("date", 1, 1, _date),
        Function("datediff", 2, 3, _datediff),
        Function("adddays", 2, 2, _adddays),
        Function("year", 1, 1, _year),
        Function("abs", 1, 1, _abs),
        Function("min", 2, None, _min),
        Function("max", 2, None, _max),
        Function("round", 1, 2, _round),
        Function("coalesce", 2, None, _coalesce, lazy=True),
        Function("len", 1, 1, _len),
        Function("contains", 2, 2, _contains),
        Function("if", 3, 3, _if, lazy=True),
    )
}


def _sum(values: list[object]) -> Decimal:
    total = Decimal(0)
    for value in values:
        if not isinstance(value, Decimal):
            raise ExpressionTypeError(f"sum() needs numbers, got {kind_of(value)}")
        total = DECIMAL_CONTEXT.add(total, value)
    return total


def _ordered_values(values: list[object], function: str) -> list[object]:
    for value in values:
        if isinstance(value, (bool, list)):
            raise ExpressionTypeError(f"{function}() cannot order {kind_of(value)}")
    return values


AGGREGATES: dict[str, Callable[[list[object]], object]] = {
    "count": lambda values: Decimal(len(values)),
    "sum": _sum,
    "minof": lambda values: extreme(_ordered_values(values, "minof"), "<") if values else None,
    "maxof": lambda values: extreme(_ordered_values(values, "maxof"), ">") if values else None,
}
