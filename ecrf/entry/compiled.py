"""A form version compiled once for validation: item specs, parsed expressions, code lists.

Compiling is pure and cached by content hash; a published version never changes, so the cache
is valid for the life of the process and identical in every worker. :func:`compiled_version`
finds a stored version's compiled form without parsing its content again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.db import transaction_cache
from ecrf.definitions.files import canonical_json, content_hash
from ecrf.definitions.models import FormVersion
from ecrf.rules import Expression, compile_expression


@dataclass(frozen=True)
class Bound:
    min: Decimal | None
    max: Decimal | None
    message: str | None

    @classmethod
    def of(cls, spec: Mapping | None) -> Bound | None:
        if not spec:
            return None
        as_dec = lambda v: None if v is None else Decimal(str(v))  # noqa: E731
        return cls(as_dec(spec.get("min")), as_dec(spec.get("max")), spec.get("message"))

    def violated_by(self, value: Decimal) -> bool:
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)

    def describe(self, unit: str | None) -> str:
        suffix = f" {unit}" if unit else ""
        if self.min is not None and self.max is not None:
            return f"between {self.min} and {self.max}{suffix}"
        if self.min is not None:
            return f"at least {self.min}{suffix}"
        return f"at most {self.max}{suffix}"


@dataclass(frozen=True)
class ItemSpec:
    oid: str
    label: str
    type: str
    group_oid: str
    repeating: bool
    required: bool = False
    max_length: int | None = None
    pattern: re.Pattern | None = None
    pattern_message: str = "does not have the expected format"
    digits: int | None = None
    unit: str | None = None
    codelist: str | None = None
    codes: tuple = ()
    code_labels: Mapping = field(default_factory=dict)
    integer_codes: bool = False
    hard: Bound | None = None
    soft: Bound | None = None
    show_if: Expression | None = None
    when_hidden: str = "refuse"
    required_if: Expression | None = None


@dataclass(frozen=True)
class GroupSpec:
    oid: str
    label: str
    repeating: bool
    items: tuple[str, ...]
    min_rows: int = 0
    max_rows: int | None = None
    row_key: str | None = None
    show_if: Expression | None = None


@dataclass(frozen=True)
class CheckSpec:
    id: str
    assertion: Expression
    severity: str
    message: str
    items: tuple[str, ...]
    when: Expression | None
    row_group: str | None  # evaluated once per row of this repeating group


@dataclass(frozen=True)
class CompiledForm:
    oid: str
    version: int
    title: str
    content_hash: str
    repeating: bool
    items: Mapping[str, ItemSpec]
    groups: Mapping[str, GroupSpec]
    checks: tuple[CheckSpec, ...]

    def group_of(self, item_oid: str) -> GroupSpec:
        return self.groups[self.items[item_oid].group_oid]

    @property
    def other_forms(self) -> frozenset[str]:
        """Forms whose items this form's expressions read (cross-form checks)."""
        scopes = set()
        for expr in self._expressions():
            scopes |= {r.scope for r in expr.references if r.scope and r.scope not in ("VISIT", "SUBJECT")}
        return frozenset(scopes)

    def _expressions(self):
        for item in self.items.values():
            yield from (e for e in (item.show_if, item.required_if) if e is not None)
        for group in self.groups.values():
            if group.show_if is not None:
                yield group.show_if
        for check in self.checks:
            yield check.assertion
            if check.when is not None:
                yield check.when


def _expr(text: str | None) -> Expression | None:
    return compile_expression(text) if text else None


# Compiled forms by content hash (bounded; a published version never changes, so every worker
# may keep them).
_COMPILED: dict[str, CompiledForm] = {}
_COMPILED_CACHE_SIZE = 256


def compile_form(content: Mapping, digest: str | None = None) -> CompiledForm:
    """Compile (once per process) a form definition; ``digest`` is its stored content hash, if known."""
    digest = digest or content_hash(content)
    form = _COMPILED.get(digest)
    if form is None:
        form = _compile(digest, json.loads(canonical_json(content)))
        if len(_COMPILED) >= _COMPILED_CACHE_SIZE:
            _COMPILED.clear()
        _COMPILED[digest] = form
    return form


def compiled_version(db: Session, form_version_id: int) -> CompiledForm:
    """The compiled form of a stored version: its hash is read once per transaction, its content
    only when this process has not compiled it yet."""
    memo = transaction_cache(db).setdefault("compiled_forms", {})
    form = memo.get(form_version_id)
    if form is None:
        digest = db.execute(select(FormVersion.content_hash).where(FormVersion.id == form_version_id)).scalar_one()
        form = _COMPILED.get(digest)
        if form is None:
            content = db.execute(select(FormVersion.content).where(FormVersion.id == form_version_id)).scalar_one()
            form = compile_form(content, digest)
        memo[form_version_id] = form
    return form


def _compile(digest: str, content: dict) -> CompiledForm:
    codelists = content.get("codelists", {})
    items: dict[str, ItemSpec] = {}
    groups: dict[str, GroupSpec] = {}
    for group in content["groups"]:
        repeating = bool(group.get("repeating"))
        for item in group["items"]:
            codelist = codelists.get(item.get("codelist"), {})
            codes = tuple(c["code"] for c in codelist.get("items", []))
            pattern = re.compile(item["pattern"]) if "pattern" in item else None
            items[item["oid"]] = ItemSpec(
                oid=item["oid"], label=item["label"], type=item["type"], group_oid=group["oid"],
                repeating=repeating, required=bool(item.get("required")), max_length=item.get("max_length"),
                pattern=pattern, pattern_message=f"does not have the expected format ({item.get('pattern')})",
                digits=item.get("digits"), unit=item.get("unit"), codelist=item.get("codelist"), codes=codes,
                code_labels={c["code"]: c["label"] for c in codelist.get("items", [])},
                integer_codes=codelist.get("data_type") == "integer",
                hard=Bound.of(item.get("hard")), soft=Bound.of(item.get("soft")),
                show_if=_expr(item.get("show_if")), when_hidden=item.get("when_hidden", "refuse"),
                required_if=_expr(item.get("required_if")),
            )
        groups[group["oid"]] = GroupSpec(
            oid=group["oid"], label=group.get("label", group["oid"]), repeating=repeating,
            items=tuple(i["oid"] for i in group["items"]), min_rows=group.get("min_rows", 0),
            max_rows=group.get("max_rows"), row_key=group.get("row_key"), show_if=_expr(group.get("show_if")),
        )
    checks = []
    for check in content.get("checks", []):
        assertion = compile_expression(check["assert"])
        reported = tuple(check.get("items") or sorted(
            r.name for r in assertion.references if r.scope is None and r.name in items))
        row_groups = {items[o].group_oid for o in reported if o in items and items[o].repeating}
        checks.append(CheckSpec(id=check["id"], assertion=assertion, severity=check["severity"],
                                message=check["message"], items=reported, when=_expr(check.get("when")),
                                row_group=row_groups.pop() if len(row_groups) == 1 else None))
    return CompiledForm(oid=content["oid"], version=content["version"], title=content["title"],
                        content_hash=digest, repeating=bool(content.get("repeating")), items=items,
                        groups=groups, checks=tuple(checks))
