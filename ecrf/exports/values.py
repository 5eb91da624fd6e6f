"""Item values in ODM: the ODM data type of each item type, and the text of a stored value.

Stored values are canonical (ecrf.entry.values); ODM text is derived from them without loss and
parsed back to what a client would send, so that an import goes through the normal validation.

=============  ===============  =======================================================
item type      ODM DataType     ItemData Value
=============  ===============  =======================================================
text           text             as stored
integer        integer          decimal digits
decimal        float            as stored (exact decimal text, never a binary float)
date           date             YYYY-MM-DD
partial_date   partialDate      2024-03-15, 2024-03 (day unknown) or 2024 (month unknown)
time           partialTime      HH:MM or HH:MM:SS, as entered (ODM ``time`` needs seconds)
datetime       partialDatetime  YYYY-MM-DDTHH:MM[:SS], as entered (local time, no offset)
boolean        boolean          true / false
choice         code list type   the code (integer or text code list)
multichoice    text             the codes in code-list order, joined by ","
=============  ===============  =======================================================
"""

from __future__ import annotations

import re
from typing import Any

from ecrf.rules import PartialDate

ODM_TYPES = {
    "text": "text", "integer": "integer", "decimal": "float", "date": "date", "partial_date": "partialDate",
    "time": "partialTime", "datetime": "partialDatetime", "boolean": "boolean", "multichoice": "text",
}
MULTI_SEPARATOR = ","
_ODM_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class OdmValueError(ValueError):
    """ODM text that cannot be read as a value of the item."""


def odm_data_type(item: dict, codelist: dict | None = None) -> str:
    if item["type"] == "choice":
        return "integer" if (codelist or {}).get("data_type") == "integer" else "text"
    return ODM_TYPES[item["type"]]


def to_odm(item_type: str, stored: Any) -> str | None:
    """The ItemData Value of a stored value (None for a blank)."""
    if stored is None:
        return None
    if item_type == "partial_date":
        parsed = PartialDate.parse(stored)
        if parsed.month is None:
            return f"{parsed.year:04d}"
        if parsed.day is None:
            return f"{parsed.year:04d}-{parsed.month:02d}"
        return parsed.to_date().isoformat()
    if item_type == "boolean":
        return "true" if stored else "false"
    if item_type == "multichoice":
        return MULTI_SEPARATOR.join(str(code) for code in stored)
    return str(stored)


def from_odm(item_type: str, text: str | None, integer_codes: bool = False) -> Any:
    """What a client would send for this ODM text; the entry services then validate it."""
    if text is None or text == "":
        return None
    if item_type == "integer":
        try:
            return int(text.strip())
        except ValueError as exc:
            raise OdmValueError(f"{text!r} is not an integer") from exc
    if item_type == "partial_date":
        match = _ODM_PARTIAL.match(text.strip())
        if match is None:
            raise OdmValueError(f"{text!r} is not an ODM partialDate (YYYY, YYYY-MM or YYYY-MM-DD)")
        year, month, day = match.groups()
        return f"{year}-{month or 'UN'}-{day or 'UN'}"
    if item_type == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            raise OdmValueError(f"{text!r} is not an ODM boolean")
        return lowered in ("true", "1")
    if item_type == "choice":
        return _code(text, integer_codes)
    if item_type == "multichoice":
        return [_code(part, integer_codes) for part in text.split(MULTI_SEPARATOR) if part.strip()]
    return text


def _code(text: str, integer_codes: bool):
    text = text.strip()
    if integer_codes:
        try:
            return int(text)
        except ValueError:
            return text  # let the code list check say which codes are allowed
    return text
