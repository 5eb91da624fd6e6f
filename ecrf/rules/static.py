"""Load-time type checking of an expression against the declared types of its items.

Conservative: it reports only combinations that would certainly fail at evaluation (or can
never be true), and stays quiet whenever a type is unknown. A choice item may hold text or
integer codes, so it is compatible with both text and numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .errors import line_and_column
from .expression import Expression, compile_expression
from .nodes import Aggregate, And, Arith, Call, Compare, Literal, Member, Negate, Node, Not, Or, Ref, Reference

#: Declared item type -> static kind (partial dates and datetimes compare with dates).
ITEM_TYPES = {
    "text": "text",
    "integer": "number",
    "decimal": "number",
    "date": "date",
    "partial_date": "date",
    "datetime": "date",
    "time": "time",
    "boolean": "boolean",
    "choice": "choice",
    "multichoice": "list",
}
_NAMES = {
    "number": "a number", "text": "text", "date": "a date", "time": "a time",
    "boolean": "true/false", "list": "a multiple-choice value", "choice": "a choice",
}
_VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}
_NOT_LOGICAL = {"number", "text", "date", "time", "list"}
_NOT_NUMERIC = {"text", "date", "time", "boolean", "list"}
_NOT_DATE = {"number", "text", "time", "boolean", "list"}


def static_check(expr: Expression | str, item_types: Mapping[Reference, str]) -> list[str]:
    """Problems found in ``expr`` given each referenced item's declared type; [] when none."""
    if isinstance(expr, str):
        expr = compile_expression(expr)
    checker = _Checker(expr.source, item_types)
    checker.kind(expr.root)
    return checker.problems


def _compatible(a: str | None, b: str | None) -> bool:
    if a is None or b is None or a == b:
        return True
    return {a, b} in ({"choice", "number"}, {"choice", "text"})


class _Checker:
    def __init__(self, source: str, item_types: Mapping[Reference, str]):
        self.source = source
        self.item_types = item_types
        self.problems: list[str] = []

    def report(self, reason: str, node: Node) -> None:
        start, end = node.span
        line, column = line_and_column(self.source, start)
        where = f"column {column}" if "\n" not in self.source else f"line {line}, column {column}"
        self.problems.append(f"{reason} in '{self.source[start:end]}' ({where})")

    def describe(self, node: Node, kind: str | None) -> str:
        if isinstance(node, Ref):
            return f"{node.ref} ({self.item_types.get(node.ref)})"
        if isinstance(node, Aggregate):
            return f"{node.name}({node.ref})"
        return _NAMES.get(kind, "a value")

    def expect(self, node: Node, forbidden: set[str], what: str) -> str | None:
        kind = self.kind(node)
        if kind in forbidden:
            self.report(f"{what}, not {self.describe(node, kind)}", node)
        return kind

    def kind(self, node: Node) -> str | None:
        match node:
            case Literal(value=value):
                if isinstance(value, bool):
                    return "boolean"
                return "number" if isinstance(value, Decimal) else "text"
            case Ref(ref=ref):
                return ITEM_TYPES.get(self.item_types.get(ref))
            case Not(operand=operand):
                self.expect(operand, _NOT_LOGICAL, "'not' needs true/false")
                return "boolean"
            case And(operands=operands) | Or(operands=operands):
                word = "and" if isinstance(node, And) else "or"
                for operand in operands:
                    self.expect(operand, _NOT_LOGICAL, f"'{word}' needs true/false")
                return "boolean"
            case Compare():
                self.compare(node)
                return "boolean"
            case Member(operand=operand, options=options):
                kind = self.expect(operand, {"list"}, "'in' needs a single value (use contains() for multiple choice)")
                for option in options:
                    option_kind = self.kind(option)
                    if kind != "list" and not _compatible(kind, option_kind):
                        self.report(f"cannot compare {self.describe(operand, kind)} with "
                                    f"{self.describe(option, option_kind)}", node)
                return "boolean"
            case Arith():
                return self.arith(node)
            case Negate(operand=operand):
                self.expect(operand, _NOT_NUMERIC, "unary minus needs a number")
                return "number"
            case Aggregate(name=name, ref=ref):
                kind = ITEM_TYPES.get(self.item_types.get(ref))
                if name == "sum" and kind in _NOT_NUMERIC:
                    self.report(f"sum() needs a numeric item, not {self.describe(Ref(ref), kind)}", node)
                if name in ("minof", "maxof") and kind in ("boolean", "list"):
                    self.report(f"{name}() needs an orderable item, not {self.describe(Ref(ref), kind)}", node)
                return "number" if name in ("count", "sum") else kind
            case Call():
                return self.call(node)
        return None

    def compare(self, node: Compare) -> None:
        left, right = self.kind(node.left), self.kind(node.right)
        for side, kind in ((node.left, left), (node.right, right)):
            if kind == "list":
                self.report(f"cannot compare {self.describe(side, kind)}; use contains()", node)
                return
            if kind == "boolean" and node.op not in ("=", "!="):
                self.report(f"cannot order {self.describe(side, kind)}", node)
                return
        if not _compatible(left, right):
            self.report(f"cannot compare {self.describe(node.left, left)} with {self.describe(node.right, right)}", node)

    def arith(self, node: Arith) -> str | None:
        kinds = [self.expect(operand, {"text", "time", "boolean", "list"}, "arithmetic needs numbers or dates")
                 for operand in node.operands]
        result = kinds[0]
        for op, kind, operand in zip(node.operators, kinds[1:], node.operands[1:]):
            if result in _NOT_NUMERIC - {"date"} or kind in _NOT_NUMERIC - {"date"}:
                result = None  # already reported
            elif result == "date" or kind == "date":
                result = self.date_arith(op, result, kind, node, operand)
            elif result == "number" and kind == "number":
                result = "number"
            else:
                result = None
        return result

    def date_arith(self, op: str, left: str | None, right: str | None, node: Arith, operand: Node) -> str | None:
        if op == "-" and left == right == "date":
            return "number"
        if (op == "+" and {left, right} == {"date", "number"}) or (op == "-" and left == "date" and right == "number"):
            return "date"
        if None in (left, right) or "choice" in (left, right):
            return "date" if op in "+-" and left == "date" and right != "date" else None
        left_name = self.describe(node.operands[0], left) if operand is node.operands[1] else _NAMES[left]
        self.report(f"cannot {_VERBS[op]} {left_name} and {self.describe(operand, right)}", node)
        return None

    def call(self, node: Call) -> str | None:
        name, args = node.name, node.args
        if name in ("datediff", "year", "adddays", "date"):
            if name == "date":
                self.expect(args[0], _NOT_DATE - {"text"}, "date() needs text or a date")
            else:
                self.expect(args[0], _NOT_DATE, f"{name}() needs a date")
            if name == "datediff":
                self.expect(args[1], _NOT_DATE, "datediff() needs a date")
            if name == "adddays":
                self.expect(args[1], _NOT_NUMERIC, "adddays() needs a number of days")
            return "date" if name in ("adddays", "date") else "number"
        if name in ("abs", "round"):
            for arg in args:
                self.expect(arg, _NOT_NUMERIC, f"{name}() needs a number")
            return "number"
        if name == "len":
            self.expect(args[0], {"number", "date", "time", "boolean"}, "len() needs text")
            return "number"
        if name == "contains":
            self.expect(args[0], {"number", "text", "date", "time", "boolean", "choice"},
                        "contains() needs a multiple-choice item")
            self.kind(args[1])
            return "boolean"
        if name == "if":
            self.expect(args[0], _NOT_LOGICAL, "if() needs a true/false condition")
            return self.common([self.kind(arg) for arg in args[1:]])
        kinds = [self.kind(arg) for arg in args]
        if name in ("min", "max"):
            first = next((kind for kind in kinds if kind is not None), None)
            if not all(_compatible(first, kind) for kind in kinds):
                self.report(f"{name}() needs values of one type", node)
                return None
            return self.common(kinds)
        if name == "coalesce":
            return self.common(kinds)
        return {"isblank": "boolean", "today": "date"}.get(name)

    @staticmethod
    def common(kinds: list[str | None]) -> str | None:
        return kinds[0] if kinds and all(kind == kinds[0] for kind in kinds) else None
