"""Validating a record against its compiled form version (pure: no app, no database).

Two steps. :func:`apply_patch` checks each value a client sends (type, code list, length,
pattern, hard range) and merges it into the record's data. :func:`evaluate` then runs the
form's logic over the whole record: visibility (``show_if``), required and ``required_if`` (when
completing), soft ranges, and the edit checks. Hard failures are errors keyed by item OID (with
the group row for repeating groups); soft failures are warnings.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from ecrf.entry.compiled import CompiledForm, ItemSpec
from ecrf.entry.values import ValueProblem, coerce, numeric, to_expression_value
from ecrf.rules import ExpressionError, Reference

ROW_KEY = "_row"


@dataclass(frozen=True)
class Issue:
    key: str
    message: str
    rule: str
    severity: str  # "hard" or "soft"
    item_oid: str | None = None
    group_oid: str | None = None
    row: int | None = None
    value: Any = None

    def as_dict(self) -> dict:
        return {"key": self.key, "message": self.message, "rule": self.rule, "severity": self.severity,
                "item": self.item_oid, "group": self.group_oid, "row": self.row, "value": self.value}


@dataclass(frozen=True)
class Change:
    item_oid: str
    group_oid: str | None
    row: int | None
    old: Any
    new: Any


@dataclass
class Evaluation:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    cleared: list[Change] = field(default_factory=list)


def add_outside_issues(result: Evaluation, issues: list[Issue], *, completing: bool) -> None:
    """Issues raised outside the form's own checks (domain validators): a soft one warns; a hard one
    refuses completion and, in a draft, is kept as a ``hard_pending`` warning."""
    for issue in issues:
        if issue.severity == "soft":
            result.warnings.append(issue)
        elif completing:
            result.errors.append(issue)
        else:
            result.warnings.append(replace(issue, severity="hard_pending"))


def issue_key(item_oid: str, group_oid: str | None = None, row: int | None = None) -> str:
    return f"{group_oid}[{row}].{item_oid}" if group_oid is not None and row is not None else item_oid


def errors_by_key(issues: list[Issue]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for issue in issues:
        out.setdefault(issue.key, []).append(issue.message)
    return out


def empty_data(form: CompiledForm) -> dict:
    return {g.oid: [] for g in form.groups.values() if g.repeating}


# ---------------------------------------------------------------- step 1: values from the client

def _coerce_item(spec: ItemSpec, value: Any, key: str, group: str | None, row: int | None,
                 errors: list[Issue]) -> tuple[bool, Any]:
    try:
        stored = coerce(spec, value)
    except ValueProblem as problem:
        errors.append(Issue(key, f"{spec.label} {problem}", "type", "hard", spec.oid, group, row, value))
        return False, None
    number = numeric(spec.type, stored)
    if number is not None and spec.hard is not None and spec.hard.violated_by(number):
        message = spec.hard.message or f"{spec.label} must be {spec.hard.describe(spec.unit)}"
        errors.append(Issue(key, message, "hard_range", "hard", spec.oid, group, row, stored))
        return False, None
    return True, stored


def apply_patch(form: CompiledForm, current: Mapping, patch: Mapping) -> tuple[dict, list[Change], list[Issue]]:
    """Merge client values into a copy of ``current``; return (data, changes, errors)."""
    data = copy.deepcopy(dict(current)) if current else empty_data(form)
    for group in form.groups.values():
        if group.repeating:
            data.setdefault(group.oid, [])
    errors: list[Issue] = []
    changes: list[Change] = []
    if not isinstance(patch, Mapping):
        return data, changes, [Issue("data", "data must be an object of item OIDs", "type", "hard")]
    for key, value in patch.items():
        if key in form.groups and form.groups[key].repeating:
            _apply_rows(form, data, key, value, changes, errors)
            continue
        spec = form.items.get(key)
        if spec is None:
            errors.append(Issue(key, f"{key} is not an item of form {form.oid} version {form.version}",
                                "unknown_item", "hard", key))
            continue
        if spec.repeating:
            errors.append(Issue(key, f"{key} belongs to repeating group {spec.group_oid}: send it inside "
                                     f"{spec.group_oid} rows", "unknown_item", "hard", key))
            continue
        ok, stored = _coerce_item(spec, value, key, None, None, errors)
        if ok and data.get(key) != stored:
            changes.append(Change(key, None, None, data.get(key), stored))
            if stored is None:
                data.pop(key, None)
            else:
                data[key] = stored
    return data, changes, errors


def _apply_rows(form: CompiledForm, data: dict, group_oid: str, rows: Any, changes: list[Change],
                errors: list[Issue]) -> None:
    group = form.groups[group_oid]
    if not isinstance(rows, list):
        errors.append(Issue(group_oid, f"{group.label} must be a list of rows", "type", "hard", None, group_oid))
        return
    existing = {row[ROW_KEY]: row for row in data.get(group_oid, [])}
    sent = [r.get(ROW_KEY) for r in rows if isinstance(r, Mapping) and isinstance(r.get(ROW_KEY), int)
            and not isinstance(r.get(ROW_KEY), bool)]
    next_key = max([*existing, *sent], default=0) + 1
    new_rows, seen = [], set()
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors.append(Issue(f"{group_oid}[{index}]", "each row must be an object", "type", "hard", None, group_oid))
            continue
        key = row.get(ROW_KEY)
        if key is None:
            key, next_key = next_key, next_key + 1
        elif isinstance(key, bool) or not isinstance(key, int) or key < 1:
            errors.append(Issue(f"{group_oid}[{index}]", f"{ROW_KEY} must be a positive whole number",
                                "type", "hard", None, group_oid))
            continue
        if key in seen:
            errors.append(Issue(f"{group_oid}[{key}]", f"row {key} is sent twice", "duplicate_row", "hard",
                                None, group_oid, key))
            continue
        seen.add(key)
        next_key = max(next_key, key + 1)
        old_row = existing.get(key, {ROW_KEY: key})
        new_row = dict(old_row)
        for item_oid, value in row.items():
            if item_oid == ROW_KEY:
                continue
            spec = form.items.get(item_oid)
            if spec is None or spec.group_oid != group_oid:
                errors.append(Issue(issue_key(item_oid, group_oid, key),
                                    f"{item_oid} is not an item of group {group_oid}", "unknown_item", "hard",
                                    item_oid, group_oid, key))
                continue
            ok, stored = _coerce_item(spec, value, issue_key(item_oid, group_oid, key), group_oid, key, errors)
            if ok:
                if stored is None:
                    new_row.pop(item_oid, None)
                else:
                    new_row[item_oid] = stored
        for item_oid in group.items:
            if old_row.get(item_oid) != new_row.get(item_oid):
                changes.append(Change(item_oid, group_oid, key, old_row.get(item_oid), new_row.get(item_oid)))
        new_rows.append(new_row)
    for key, old_row in existing.items():
        if key not in seen:  # a row left out of the list is removed, value by value
            for item_oid in group.items:
                if old_row.get(item_oid) is not None:
                    changes.append(Change(item_oid, group_oid, key, old_row[item_oid], None))
    if group.max_rows is not None and len(new_rows) > group.max_rows:
        errors.append(Issue(group_oid, f"{group.label} allows at most {group.max_rows} rows", "max_rows", "hard",
                            None, group_oid))
    data[group_oid] = sorted(new_rows, key=lambda r: r[ROW_KEY])


# ---------------------------------------------------------------- step 2: the form's logic

class RecordContext:
    """Expression context over one record; other scopes go to ``resolve`` (the service's)."""

    def __init__(self, form: CompiledForm, data: Mapping, row: Mapping | None,
                 resolve: Callable[[Reference], Any], today: dt.date):
        self.form, self.data, self.row, self._resolve, self._today = form, data, row, resolve, today

    def value(self, ref: Reference) -> Any:
        if ref.scope is not None:
            return self._resolve(ref)
        spec = self.form.items.get(ref.name)
        if spec is None:
            return None
        if spec.repeating:
            if self.row is None or self.row.get(ROW_KEY) is None:
                return None
            return to_expression_value(spec.type, self.row.get(ref.name))
        return to_expression_value(spec.type, self.data.get(ref.name))

    def values(self, ref: Reference) -> list:
        if ref.scope is not None:
            value = self._resolve(ref)
            return value if isinstance(value, list) else [value]
        spec = self.form.items.get(ref.name)
        if spec is None or not spec.repeating:
            return [self.value(ref)]
        return [to_expression_value(spec.type, row.get(ref.name)) for row in self.data.get(spec.group_oid, [])]

    def today(self) -> dt.date:
        return self._today


def _holds(expr, context) -> bool | None:
    """True/False, or None when blank; a type error in data counts as 'cannot decide'."""
    try:
        result = expr.evaluate(context)
    except ExpressionError:
        return None
    return result if isinstance(result, bool) else None


def evaluate(form: CompiledForm, data: dict, *, completing: bool, resolve: Callable[[Reference], Any],
             today: dt.date, changed_keys: set[str] | None = None) -> Evaluation:
    """Run visibility, required, soft ranges and checks over ``data`` (hidden values may be cleared)."""
    result = Evaluation()
    context = lambda row=None: RecordContext(form, data, row, resolve, today)  # noqa: E731
    for group in form.groups.values():
        group_visible = group.show_if is None or _holds(group.show_if, context()) is True
        rows = data.get(group.oid, []) if group.repeating else [None]
        if group.repeating and completing and group_visible and len(rows) < group.min_rows:
            result.errors.append(Issue(group.oid, f"{group.label} needs at least {group.min_rows} row(s)",
                                       "min_rows", "hard", None, group.oid))
        if group.repeating and group.row_key:
            _unique_row_keys(form, group, rows, result)
        for row in rows:
            row_number = row[ROW_KEY] if row is not None else None
            for item_oid in group.items:
                spec = form.items[item_oid]
                holder = row if row is not None else data
                key = issue_key(item_oid, group.oid if row is not None else None, row_number)
                visible = group_visible and (spec.show_if is None or _holds(spec.show_if, context(row)) is True)
                value = holder.get(item_oid)
                if not visible:
                    if value is not None:
                        _hidden_value(spec, holder, key, group.oid if row is not None else None, row_number,
                                      value, result, changed_keys)
                    continue
                if value is None:
                    if completing and (spec.required or (spec.required_if is not None
                                                         and _holds(spec.required_if, context(row)) is True)):
                        why = "is required" if spec.required else "is required here"
                        result.errors.append(Issue(key, f"{spec.label} {why}", "required", "hard", item_oid,
                                                   group.oid if row is not None else None, row_number))
                    continue
                number = numeric(spec.type, value)
                if number is not None and spec.soft is not None and spec.soft.violated_by(number):
                    message = spec.soft.message or (f"{spec.label} is outside the expected range "
                                                    f"({spec.soft.describe(spec.unit)}); please confirm")
                    result.warnings.append(Issue(key, message, f"soft_range:{item_oid}", "soft", item_oid,
                                                 group.oid if row is not None else None, row_number, value))
    _run_checks(form, data, context, completing, result)
    return result


def _unique_row_keys(form, group, rows, result: Evaluation) -> None:
    seen: dict[Any, int] = {}
    for row in rows:
        value = row.get(group.row_key)
        if value is None:
            continue
        if value in seen:
            label = form.items[group.row_key].label
            result.errors.append(Issue(issue_key(group.row_key, group.oid, row[ROW_KEY]),
                                       f"{label} {value!r} is already used in row {seen[value]}", "row_key",
                                       "hard", group.row_key, group.oid, row[ROW_KEY], value))
        else:
            seen[value] = row[ROW_KEY]


def _hidden_value(spec: ItemSpec, holder: dict, key: str, group_oid, row, value, result: Evaluation,
                  changed_keys: set[str] | None) -> None:
    if spec.when_hidden == "clear":
        holder.pop(spec.oid, None)
        result.cleared.append(Change(spec.oid, group_oid, row, value, None))
        return
    result.errors.append(Issue(key, f"{spec.label} does not apply given the other answers; clear it",
                               "hidden_value", "hard", spec.oid, group_oid, row, value))


def _run_checks(form: CompiledForm, data: dict, context, completing: bool, result: Evaluation) -> None:
    for check in form.checks:
        rows = [r for r in data.get(check.row_group, [])] if check.row_group else [None]
        for row in rows:
            ctx = context(row)
            if check.when is not None and _holds(check.when, ctx) is not True:
                continue
            if _holds(check.assertion, ctx) is not False:
                continue
            row_number = row[ROW_KEY] if row is not None else None
            group = check.row_group
            keys = [issue_key(i, group if form.items[i].repeating else None, row_number)
                    for i in check.items if i in form.items] or ["_record"]
            for key, item in zip(keys, check.items or (None,)):
                value = None
                if item in form.items:
                    holder = row if (row is not None and form.items[item].repeating) else data
                    value = holder.get(item)
                issue = Issue(key, check.message, check.id, check.severity, item, group, row_number, value)
                if check.severity == "soft":
                    result.warnings.append(issue)
                elif completing:
                    result.errors.append(issue)
                else:
                    result.warnings.append(Issue(key, check.message, check.id, "hard_pending", item, group,
                                                 row_number, value))
