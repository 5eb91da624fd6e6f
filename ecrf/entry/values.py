"""Item values: what a client may send for each item type, and how it is stored.

Stored values are JSON scalars in a canonical form (decimals as strings, dates as ISO text), so
that the database, the audit trail and exports all see the same text. :func:`to_expression_value`
turns a stored value into what the expression language computes with.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ecrf.rules import PartialDate

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$")
# a local date and time as on the source document: no time zone, no fraction of a second
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$")
_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,18}$")
_DECIMAL_TEXT = re.compile(r"^[+-]?(\d{1,18}(\.\d{1,18})?|\.\d{1,18})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_TEXT = 4000


class ValueProblem(ValueError):
    """A value that cannot be stored for this item; the message is for the site user."""


def _text(spec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueProblem("must be text")
    if _CONTROL.search(value):
        raise ValueProblem("must not contain control characters")
    limit = spec.max_length or MAX_TEXT
    if len(value) > limit:
        raise ValueProblem(f"must be at most {limit} characters (got {len(value)})")
    if spec.pattern is not None and not spec.pattern.fullmatch(value):
        raise ValueProblem(spec.pattern_message)
    return value


def _integer(spec, value: Any) -> int:
    if isinstance(value, bool):
        raise ValueProblem("must be a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        number = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        number = int(value.strip())
    else:
        raise ValueProblem("must be a whole number")
    if abs(number) > 10**15:
        raise ValueProblem("is too large")
    return number


def _decimal(spec, value: Any) -> str:
    if isinstance(value, bool):
        raise ValueProblem("must be a number")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
        if "e" in text or "inf" in text or "nan" in text:
            raise ValueProblem("must be a plain decimal number")
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueProblem("must be a number")
    if not _DECIMAL_TEXT.match(text):
        raise ValueProblem("must be a decimal number such as 12.5")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid text
        raise ValueProblem("must be a decimal number") from exc
    places = -number.as_tuple().exponent if number.as_tuple().exponent < 0 else 0
    if spec.digits is not None and places > spec.digits:
        raise ValueProblem(f"must have at most {spec.digits} decimal place{'s' if spec.digits != 1 else ''}")
    return format(number, "f")


def _date(spec, value: Any) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueProblem("must be a date written YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise ValueProblem(f"is not a real calendar date ({value})") from exc


def _partial_date(spec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueProblem("must be a date written YYYY-MM-DD, YYYY-MM-UN or YYYY-UN-UN")
    try:
        return str(PartialDate.parse(value.strip().upper()))
    except ValueError as exc:
        raise ValueProblem(f"must be a date written YYYY-MM-DD, YYYY-MM-UN or YYYY-UN-UN ({exc})") from exc


def _time(spec, value: Any) -> str:
    if not isinstance(value, str) or not _TIME.match(value):
        raise ValueProblem("must be a time written HH:MM (24-hour) or HH:MM:SS")
    return value


def _datetime(spec, value: Any) -> str:
    """Local clinical time, as on the source: a time zone would make some values incomparable."""
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise ValueProblem("must be a local date and time written YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS "
                           "(the time on the source document: no time zone, no fraction of a second)")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueProblem("is not a real calendar date") from exc
    return parsed.isoformat(timespec="seconds" if parsed.second else "minutes")


def _boolean(spec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueProblem("must be true or false")
    return value


def _code(spec, value: Any):
    codes = spec.codes
    if spec.integer_codes and isinstance(value, str) and _INTEGER_TEXT.match(value):
        value = int(value)
    elif spec.integer_codes and isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or value not in codes:
        shown = ", ".join(str(c) for c in list(codes)[:12]) + (", ..." if len(codes) > 12 else "")
        raise ValueProblem(f"must be one of the codes of {spec.codelist}: {shown}")
    return value


def _choice(spec, value: Any):
    return _code(spec, value)


def _multichoice(spec, value: Any) -> list:
    if not isinstance(value, list) or not value:
        raise ValueProblem("must be a non-empty list of codes (send null to clear)")
    codes = [_code(spec, v) for v in value]
    if len(set(map(str, codes))) != len(codes):
        raise ValueProblem("must not list a code twice")
    order = {code: index for index, code in enumerate(spec.codes)}
    return sorted(codes, key=order.__getitem__)


COERCERS = {
    "text": _text, "integer": _integer, "decimal": _decimal, "date": _date, "partial_date": _partial_date,
    "time": _time, "datetime": _datetime, "boolean": _boolean, "choice": _choice, "multichoice": _multichoice,
}


def coerce(spec, value: Any) -> Any:
    """Check a client value against an item and return its stored form; None, "" and blanks clear."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    return COERCERS[spec.type](spec, value)


def to_expression_value(item_type: str, stored: Any) -> Any:
    """A stored value as the expression language sees it."""
    if stored is None:
        return None
    if item_type == "decimal":
        return Decimal(stored)
    if item_type == "date":
        return dt.date.fromisoformat(stored)
    if item_type == "partial_date":
        parsed = PartialDate.parse(stored)
        complete = parsed.to_date()
        return complete if complete is not None else parsed
    if item_type == "datetime":
        return dt.datetime.fromisoformat(stored)
    if item_type == "time":
        return dt.time.fromisoformat(stored)
    return stored


def numeric(item_type: str, stored: Any) -> Decimal | None:
    if stored is None or item_type not in ("integer", "decimal"):
        return None
    return Decimal(str(stored))
