"""Parse expression text with the lark grammar and build the immutable syntax tree.

Every problem that can be seen without data is reported here as an ExpressionSyntaxError
naming the column: bad syntax, unknown functions, wrong arity, malformed item references,
chained comparisons, invalid date literals, too long or too deeply nested input.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .errors import ExpressionSyntaxError
from .functions import AGGREGATES, DATEDIFF_UNITS, FUNCTIONS, ROUND_LIMIT, parse_date_text
from .nodes import (
    SUBJECT_SCOPE, VISIT_SCOPE, Aggregate, And, Arith, Call, Compare, Literal, Member, Negate, Node,
    Not, Or, Ref, Reference,
)

MAX_LENGTH = 2000
MAX_DEPTH = 50

_LARK = Lark(
    Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8"),
    parser="lalr",
    propagate_positions=True,
    maybe_placeholders=True,
)
# Parse-tree nodes that are part of their parent's construct, not a level of nesting.
_NOT_NESTING = {"arglist", "compare_tail", "in_tail", "not_in_tail"}
_KEYWORDS = {"and", "or", "not", "in", "true", "false"}
_VALUE_STARTS = {"NUMBER", "STRING", "REF", "NAME"}
_PUNCTUATION = {"RPAR": "')'", "COMMA": "','", "LPAR": "'('"}
_REFERENCE_HINT = (
    "item OIDs are upper case, such as [AGE] or [F_DM.RFICDTC] or [VISIT.DATE], "
    "and anchor keys lower case, such as [SUBJECT.consent]"
)
_ESCAPE_RE = re.compile(r"\\(.)")
_TRAILING_NAME_RE = re.compile(r"([A-Za-z][A-Za-z0-9_]*)\s*$")


def parse(source: str) -> Node:
    """The syntax tree of ``source``; raises ExpressionSyntaxError."""
    if len(source) > MAX_LENGTH:
        raise ExpressionSyntaxError(f"expression is too long ({len(source)} characters, at most {MAX_LENGTH})")
    if not source.strip():
        raise ExpressionSyntaxError("expression is empty")
    try:
        tree = _LARK.parse(source)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, source) from None
    _check_depth(tree, source)
    return _Builder(source).build(tree)


def _quoted(text: str) -> str:
    return f'"{text}"' if "'" in text else f"'{text}'"


def _syntax_error(exc: UnexpectedInput, source: str) -> ExpressionSyntaxError:
    if isinstance(exc, UnexpectedCharacters):
        position, char = exc.pos_in_stream, source[exc.pos_in_stream]
        if char in "'\"":
            return ExpressionSyntaxError("text is not closed (missing quote)", source, position)
        if char == "[":
            return ExpressionSyntaxError("item reference is not closed (missing ']')", source, position)
        return ExpressionSyntaxError(f"unexpected character {_quoted(char)}", source, position)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        token, position = exc.token, exc.token.start_pos
        reason, hint = f"unexpected {_quoted(str(token))}", None
        expected = set(exc.expected)
        name = _TRAILING_NAME_RE.search(source[:position])
        if expected == {"LPAR"} and name and name.group(1).lower() not in _KEYWORDS:
            hint = f"write items in brackets such as [{name.group(1)}] and call functions with parentheses"
        elif token.type == "COMP_OP" and source[max(0, position - 1)] in "=<>!":
            hint = "the comparison operators are = != <> < <= > >="
        elif expected and expected <= set(_PUNCTUATION):
            hint = "expected " + " or ".join(sorted(_PUNCTUATION[e] for e in expected))
        return ExpressionSyntaxError(reason, source, position, hint)
    expected = set(getattr(exc, "expected", ()) or ())
    hint = None
    if _VALUE_STARTS <= expected:
        hint = "expected a value"
    elif "RPAR" in expected:
        hint = "expected ')'"
    return ExpressionSyntaxError("unexpected end of expression", source, len(source.rstrip()), hint)


def _check_depth(tree: Tree, source: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH (iteratively, before anything recurses)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionSyntaxError(
                f"expression is nested too deeply (more than {MAX_DEPTH} levels)", source, node.meta.start_pos
            )
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth if child.data in _NOT_NESTING else depth + 1))


def _span(tree: Tree | Token) -> tuple[int, int]:
    if isinstance(tree, Token):
        return tree.start_pos, tree.end_pos
    return tree.meta.start_pos, tree.meta.end_pos


class _Builder:
    """Turns the lark parse tree into nodes (recursion bounded by MAX_DEPTH)."""

    def __init__(self, source: str):
        self.source = source

    def error(self, reason: str, at: Tree | Token | Node, hint: str | None = None) -> ExpressionSyntaxError:
        position = at.span[0] if isinstance(at, Node) else _span(at)[0]
        return ExpressionSyntaxError(reason, self.source, position, hint)

    def build(self, tree: Tree) -> Node:
        return getattr(self, f"_{tree.data}")(tree, _span(tree))

    def _args(self, arglist: Tree | None) -> tuple[Node, ...]:
        return () if arglist is None else tuple(self.build(child) for child in arglist.children)

    def _or_test(self, tree, span):
        return Or(tuple(self.build(child) for child in tree.children), span=span)

    def _and_test(self, tree, span):
        return And(tuple(self.build(child) for child in tree.children), span=span)

    def _not_op(self, tree, span):
        return Not(self.build(tree.children[0]), span=span)

    def _comparison(self, tree, span):
        first, *tails = tree.children
        if len(tails) > 1:
            raise self.error("comparisons cannot be chained", tails[1],
                             "write 1 < [X] and [X] < 5 rather than 1 < [X] < 5")
        operand, (tail,) = self.build(first), tails
        if tail.data == "compare_tail":
            op_token, right = tail.children
            op = "!=" if op_token == "<>" else str(op_token)
            return Compare(op, operand, self.build(right), span=span)
        return Member(operand, self._args(tail.children[0]), tail.data == "not_in_tail", span=span)

    def _arith(self, tree, span):
        children = tree.children
        return Arith(
            tuple(self.build(child) for child in children[::2]),
            tuple(str(token) for token in children[1::2]),
            span=span,
        )

    _term = _arith

    def _negate(self, tree, span):
        operand = self.build(tree.children[1])
        if isinstance(operand, Literal) and isinstance(operand.value, Decimal):
            return Literal(-operand.value, span=span)
        return Negate(operand, span=span)

    def _number(self, tree, span):
        return Literal(Decimal(str(tree.children[0])), span=span)

    def _string(self, tree, span):
        text = _ESCAPE_RE.sub(r"\1", str(tree.children[0])[1:-1])
        if not text:
            raise self.error("empty text is always blank", tree, "use isblank([X]) to test for a blank")
        return Literal(text, span=span)

    def _true(self, tree, span):
        return Literal(True, span=span)

    def _false(self, tree, span):
        return Literal(False, span=span)

    def _ref(self, tree, span):
        try:
            return Ref(Reference.parse(str(tree.children[0])), span=span)
        except ValueError:
            raise self.error(f"invalid item reference {_quoted(str(tree.children[0]))}", tree, _REFERENCE_HINT) from None

    def _paren(self, tree, span):
        return self.build(tree.children[0])

    def _call(self, tree, span):
        name_token, arglist = tree.children
        name = str(name_token).lower()
        args = self._args(arglist)
        function = FUNCTIONS.get(name)
        if name in AGGREGATES:
            return self._aggregate(name, args, name_token, span)
        if function is None:
            reason = f"unknown function '{name_token}'"
            close = difflib.get_close_matches(name, [*FUNCTIONS, *AGGREGATES], n=1)
            raise self.error(reason, name_token, f"did you mean '{close[0]}'?" if close else None)
        problem = function.arity_message(len(args))
        if problem:
            raise self.error(problem, name_token)
        self._check_literal_args(name, args)
        return Call(name, args, span=span)

    def _aggregate(self, name, args, name_token, span):
        if len(args) != 1:
            raise self.error(f"{name}() takes 1 argument, got {len(args)}", name_token)
        (arg,) = args
        if not isinstance(arg, Ref):
            raise self.error(f"{name}() takes one item reference", arg, f"such as {name}([AETOXGR])")
        if arg.ref.scope in (SUBJECT_SCOPE, VISIT_SCOPE):
            raise self.error(f"{name}() needs an item of a repeating group, not {arg.ref}", arg)
        return Aggregate(name, arg.ref, span=span)

    def _check_literal_args(self, name: str, args: tuple[Node, ...]) -> None:
        """Refuse at compile time what a literal argument already shows to be wrong."""
        if name == "datediff" and len(args) == 3:
            unit = args[2]
            if not (isinstance(unit, Literal) and isinstance(unit.value, str) and unit.value.lower() in DATEDIFF_UNITS):
                raise self.error("datediff() unit must be 'd', 'm' or 'y'", unit)
        if name == "date" and isinstance(args[0], Literal) and isinstance(args[0].value, str):
            try:
                parse_date_text(args[0].value)
            except ValueError as exc:
                raise self.error(f"invalid date: {exc}", args[0]) from None
        if name == "round" and len(args) == 2 and isinstance(args[1], Literal):
            places = args[1].value
            if not (isinstance(places, Decimal) and places == places.to_integral_value()
                    and -ROUND_LIMIT <= places <= ROUND_LIMIT):
                raise self.error(f"round() places must be a whole number from {-ROUND_LIMIT} to {ROUND_LIMIT}", args[1])
