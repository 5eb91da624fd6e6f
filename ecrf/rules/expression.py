"""Compiled expressions: the public entry point of the language."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .context import EvaluationContext
from .errors import ExpressionTypeError
from .evaluator import evaluate
from .nodes import Aggregate, Node, Ref, Reference, walk
from .parser import parse


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled, immutable expression; safe to share and cache."""

    source: str
    root: Node = field(repr=False)
    references: frozenset[Reference] = field(repr=False)
    aggregate_references: frozenset[Reference] = field(repr=False)

    def evaluate(self, context: EvaluationContext) -> object:
        """True/False/None (blank)/Decimal/date/datetime/time/PartialDate/str/list.

        Raises ExpressionTypeError when values of the wrong type meet.
        """
        try:
            return evaluate(self.root, context)
        except ExpressionTypeError as exc:
            if exc.span is not None and exc.snippet is None:
                exc.snippet = self.source[exc.span[0]:exc.span[1]]
            raise

    def is_true(self, context: EvaluationContext) -> bool:
        """The result is true (blank counts as not true): for show_if and required_if."""
        return self.evaluate(context) is True

    def is_false(self, context: EvaluationContext) -> bool:
        """The result is false (blank counts as not false): a check fails only then."""
        return self.evaluate(context) is False


def compile_expression(source: str) -> Expression:
    """Parse and check ``source``; raises ExpressionSyntaxError. Results are cached."""
    if not isinstance(source, str):
        raise TypeError(f"an expression must be a string, not {type(source).__name__}")
    return _compile(source)


@lru_cache(maxsize=4096)
def _compile(source: str) -> Expression:
    root = parse(source)
    references, aggregated = set(), set()
    for node in walk(root):
        if isinstance(node, Ref):
            references.add(node.ref)
        elif isinstance(node, Aggregate):
            references.add(node.ref)
            aggregated.add(node.ref)
    return Expression(source, root, frozenset(references), frozenset(aggregated))
