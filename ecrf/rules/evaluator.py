"""Evaluate a syntax tree against a context, with blank (three-valued) semantics.

Blank is ``None``. Comparisons, arithmetic, membership and most functions give blank when an
operand is blank; ``and``/``or``/``not`` follow Kleene's three-valued logic. A value of the
wrong type raises ExpressionTypeError, located at the innermost node that failed.
"""

from __future__ import annotations

from functools import partial

from .context import EvaluationContext
from .errors import ExpressionTypeError
from .functions import AGGREGATES, FUNCTIONS
from .nodes import Aggregate, And, Arith, Call, Compare, Literal, Member, Negate, Node, Not, Or, Ref
from .operators import arithmetic, compare, negate
from .values import kind_of, normalize


def evaluate(node: Node, ctx: EvaluationContext) -> object:
    try:
        return _HANDLERS[type(node)](node, ctx)
    except ExpressionTypeError as exc:
        if exc.span is None:
            exc.span = node.span
        raise


def _truth(value: object, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ExpressionTypeError(f"{what} needs true or false, got {kind_of(value)}")


def _literal(node: Literal, ctx):
    return node.value


def _ref(node: Ref, ctx):
    return normalize(ctx.value(node.ref))


def _not(node: Not, ctx):
    value = _truth(evaluate(node.operand, ctx), "not")
    return None if value is None else not value


def _and(node: And, ctx):
    blank = False
    for operand in node.operands:
        value = _truth(evaluate(operand, ctx), "and")
        if value is False:
            return False
        blank = blank or value is None
    return None if blank else True


def _or(node: Or, ctx):
    blank = False
    for operand in node.operands:
        value = _truth(evaluate(operand, ctx), "or")
        if value is True:
            return True
        blank = blank or value is None
    return None if blank else False


def _compare(node: Compare, ctx):
    left, right = evaluate(node.left, ctx), evaluate(node.right, ctx)
    if left is None or right is None:
        return None
    return compare(node.op, left, right)


def _member(node: Member, ctx):
    value = evaluate(node.operand, ctx)
    options = [evaluate(option, ctx) for option in node.options]
    if isinstance(value, list):
        raise ExpressionTypeError("'in' cannot test a multiple-choice value: use contains()")
    if value is None:
        return None
    results = [None if option is None else compare("=", value, option) for option in options]
    found = True if True in results else (None if None in results else False)
    if node.negated and found is not None:
        return not found
    return found


def _arith(node: Arith, ctx):
    first = node.operands[0]
    result = evaluate(first, ctx)
    for op, operand in zip(node.operators, node.operands[1:]):
        value = evaluate(operand, ctx)
        if result is None or value is None:
            result = None
            continue
        try:
            result = arithmetic(op, result, value)
        except ExpressionTypeError as exc:
            exc.span = (first.span[0], operand.span[1])
            raise
    return result


def _negate(node: Negate, ctx):
    value = evaluate(node.operand, ctx)
    return None if value is None else negate(value)


def _call(node: Call, ctx):
    function = FUNCTIONS[node.name]
    if function.lazy:
        return function.impl(ctx, [partial(evaluate, arg, ctx) for arg in node.args])
    return function.impl(ctx, [evaluate(arg, ctx) for arg in node.args])


def _aggregate(node: Aggregate, ctx):
    values = [normalize(value) for value in ctx.values(node.ref)]
    return AGGREGATES[node.name]([value for value in values if value is not None])


_HANDLERS = {
    Literal: _literal,
    Ref: _ref,
    Not: _not,
    And: _and,
    Or: _or,
    Compare: _compare,
    Member: _member,
    Arith: _arith,
    Negate: _negate,
    Call: _call,
    Aggregate: _aggregate,
}
