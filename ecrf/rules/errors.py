"""Exceptions raised by the expression language."""

from __future__ import annotations


def line_and_column(source: str, position: int) -> tuple[int, int]:
    """1-based line and column of a 0-based character offset into ``source``."""
    position = max(0, min(position, len(source)))
    line = source.count("\n", 0, position) + 1
    column = position - (source.rfind("\n", 0, position) + 1) + 1
    return line, column


class ExpressionError(Exception):
    """Base class of every error of the expression language."""


class ExpressionSyntaxError(ExpressionError):
    """An expression cannot be compiled: bad syntax, unknown function, wrong arity, ...

    ``reason`` is the bare explanation, ``hint`` an optional suggestion, ``position`` the 0-based offset into the source (or
    None), ``line``/``column`` its 1-based coordinates. ``str()`` gives a readable message
    such as ``unexpected ')' at column 14``.
    """

    def __init__(self, reason: str, source: str = "", position: int | None = None, hint: str | None = None):
        self.reason = reason
        self.hint = hint
        self.source = source
        self.position = position
        if position is None:
            self.line = self.column = None
            message = reason
        else:
            self.line, self.column = line_and_column(source, position)
            where = f"column {self.column}"
            if "\n" in source:
                where = f"line {self.line}, {where}"
            message = f"{reason} at {where}"
        if hint:
            message = f"{message}: {hint}"
        super().__init__(message)


class ExpressionTypeError(ExpressionError):
    """A value of the wrong type met an operator or function while evaluating.

    The evaluator records which part of the expression failed (``span``, ``snippet``) so the
    message says where, e.g. ``cannot compare text with a number in '[X] > 3'``.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.span: tuple[int, int] | None = None
        self.snippet: str | None = None

    def __str__(self) -> str:
        if self.snippet:
            return f"{self.reason} in '{self.snippet}'"
        return self.reason
