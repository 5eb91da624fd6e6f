"""The expression language of CRF definitions (show_if, required_if, checks); see
docs/expressions.md. Pure: no Flask, no database, never Python's eval.

    expr = compile_expression("[AGE] >= 18 and not isblank([ECOG])")
    expr.evaluate(MappingContext({"AGE": 70, "ECOG": 1}))   # True
"""

from .context import EvaluationContext, MappingContext
from .errors import ExpressionError, ExpressionSyntaxError, ExpressionTypeError
from .expression import Expression, compile_expression
from .functions import AGGREGATES, FUNCTIONS
from .nodes import Reference
from .parser import MAX_DEPTH, MAX_LENGTH
from .static import ITEM_TYPES, static_check
from .values import PartialDate

FUNCTION_NAMES = frozenset(FUNCTIONS) | frozenset(AGGREGATES)

__all__ = [
    "FUNCTION_NAMES",
    "ITEM_TYPES",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "EvaluationContext",
    "Expression",
    "ExpressionError",
    "ExpressionSyntaxError",
    "ExpressionTypeError",
    "MappingContext",
    "PartialDate",
    "Reference",
    "compile_expression",
    "static_check",
]
