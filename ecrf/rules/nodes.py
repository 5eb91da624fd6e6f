"""References and the syntax tree of a compiled expression (immutable, hashable)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OID_RE = re.compile(r"[A-Z][A-Z0-9_]*")
ANCHOR_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
SUBJECT_SCOPE = "SUBJECT"
VISIT_SCOPE = "VISIT"


@dataclass(frozen=True, slots=True)
class Reference:
    """An item named by an expression: ``[AGE]`` is ``Reference(None, "AGE")``,
    ``[F_DM.RFICDTC]`` is ``Reference("F_DM", "RFICDTC")``, ``[SUBJECT.consent]`` is
    ``Reference("SUBJECT", "consent")``."""

    scope: str | None
    name: str

    @classmethod
    def parse(cls, text: str) -> Reference:
        """``"AGE"``, ``"F_DM.RFICDTC"`` or ``"[F_DM.RFICDTC]"``; raises ValueError if malformed."""
        inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        scope, dot, name = inner.rpartition(".")
        if not dot:
            scope = None
        if scope == SUBJECT_SCOPE:
            valid = ANCHOR_KEY_RE.fullmatch(name) is not None
        else:
            valid = OID_RE.fullmatch(name) is not None and (scope is None or OID_RE.fullmatch(scope) is not None)
        if not valid:
            raise ValueError(
                f"invalid item reference '[{inner}]': use upper-case item OIDs such as [AGE] or "
                "[F_DM.RFICDTC], [VISIT.DATE], or a lower-case anchor key such as [SUBJECT.consent]"
            )
        return cls(scope or None, name)

    def __str__(self) -> str:
        return f"[{self.name}]" if self.scope is None else f"[{self.scope}.{self.name}]"


def _span() -> tuple[int, int]:
    return field(default=(0, 0), compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Node:
    """Base of the syntax tree; ``span`` is the (start, end) offset of the node in the source."""

    span: tuple[int, int] = _span()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: object  # None never appears: there is no blank literal


@dataclass(frozen=True, slots=True)
class Ref(Node):
    ref: Reference


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class And(Node):
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or(Node):
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str  # one of = != < <= > >=  ('<>' is stored as '!=')
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Member(Node):
    operand: Node
    options: tuple[Node, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class Arith(Node):
    """``operands[0] operators[0] operands[1] ...`` evaluated left to right (all + - or all * /)."""

    operands: tuple[Node, ...]
    operators: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str  # lower case
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Aggregate(Node):
    name: str  # count, sum, minof, maxof
    ref: Reference


def walk(node: Node):
    """Every node of a tree, parents before children (iterative)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        match current:
            case Not(operand=child) | Negate(operand=child):
                stack.append(child)
            case And(operands=children) | Or(operands=children) | Arith(operands=children):
                stack.extend(reversed(children))
            case Compare(left=left, right=right):
                stack.extend((right, left))
            case Member(operand=operand, options=options):
                stack.extend(reversed((operand, *options)))
            case Call(args=args):
                stack.extend(reversed(args))
