"""What an expression needs from its caller: item values, repeating-group rows and today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from .nodes import Reference


@runtime_checkable
class EvaluationContext(Protocol):
    """The caller resolves every scope (same record, same row, other form, VISIT, SUBJECT)."""

    def value(self, ref: Reference) -> object:
        """The value of a referenced item; None (or "") when blank."""

    def values(self, ref: Reference) -> list[object]:
        """Every row's value of an item of a repeating group (for count/sum/minof/maxof)."""

    def today(self) -> dt.date:
        """The current date (the server's UTC date in the application)."""


def _as_reference(key: Reference | str | tuple[str | None, str]) -> Reference:
    if isinstance(key, Reference):
        return key
    if isinstance(key, tuple):
        scope, name = key
        return Reference(scope, name)
    scope, dot, name = key.strip("[]").rpartition(".")
    return Reference(scope if dot else None, name)


class MappingContext:
    """A context over plain dicts, for tests and simple callers.

    Keys may be ``"AGE"``, ``"F_DM.RFICDTC"``, ``("F_DM", "RFICDTC")`` or a Reference; a
    missing key is blank. ``rows`` maps keys to the list of row values of a repeating group.
    ``today`` defaults to the current UTC date.
    """

    def __init__(
        self,
        values: Mapping[object, object] | None = None,
        rows: Mapping[object, Iterable[object]] | None = None,
        today: dt.date | None = None,
    ):
        self._values = {_as_reference(key): value for key, value in (values or {}).items()}
        self._rows = {_as_reference(key): list(value) for key, value in (rows or {}).items()}
        self._today = today

    def value(self, ref: Reference) -> object:
        return self._values.get(ref)

    def values(self, ref: Reference) -> list[object]:
        return list(self._rows.get(ref, ()))

    def today(self) -> dt.date:
        if self._today is not None:
            return self._today
        return dt.datetime.now(dt.timezone.utc).date()
