"""Planning the move of one record's data to another version of its form (pure: no database).

Per item the plan says: *mapped* (same OID in the target version and the value passes its rules),
*added* (items the target version introduces), *lost* (values the target version has no place
for, or that it hides and clears) and *failing* (values, or the record as a whole, that break
the target version's item rules or hard checks). The record's own status decides how the checks
run, exactly as a save would under the target version: a complete record is checked as complete.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ecrf.entry.compiled import CompiledForm
from ecrf.entry.validation import ROW_KEY, Issue, add_outside_issues, apply_patch, evaluate, issue_key
from ecrf.review.rules import item_values

MISSING_RULES = frozenset({"required", "min_rows"})


@dataclass(frozen=True)
class Outcome:
    key: str
    item_oid: str | None
    group_oid: str | None
    row: int | None
    value: Any
    reason: str | None = None

    def as_dict(self) -> dict:
        out = {"key": self.key, "item": self.item_oid, "group": self.group_oid, "row": self.row,
               "value": self.value}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class MigrationPlan:
    form_oid: str
    from_version: int
    to_version: int
    record_status: str
    mapped: list[Outcome] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)
    lost: list[Outcome] = field(default_factory=list)
    failing: list[Outcome] = field(default_factory=list)
    needs_value: list[str] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    data_after: dict = field(default_factory=dict)

    @property
    def status_after(self) -> str:
        """A complete record missing a value the new version requires goes back to draft."""
        return "draft" if self.record_status == "complete" and self.needs_value else self.record_status

    def blockers(self, accept_losses: bool) -> dict[str, list[str]]:
        """Why applying is refused: failing values always; lost values unless accepted."""
        out: dict[str, list[str]] = {}
        for outcome in self.failing:
            out.setdefault(outcome.key, []).append(outcome.reason or "fails the new version's rules")
        if not accept_losses:
            for outcome in self.lost:
                out.setdefault(outcome.key, []).append(
                    f"value {outcome.value!r} would be lost ({outcome.reason}); send accept_losses to apply")
        return out

    def as_dict(self) -> dict:
        return {
            "form_oid": self.form_oid, "from_version": self.from_version, "to_version": self.to_version,
            "record_status": self.record_status, "status_after": self.status_after,
            "summary": {"mapped": len(self.mapped), "added": len(self.added), "lost": len(self.lost),
                        "failing": len(self.failing)},
            "mapped": [o.as_dict() for o in self.mapped], "added": self.added,
            "lost": [o.as_dict() for o in self.lost], "failing": [o.as_dict() for o in self.failing],
            "needs_value": self.needs_value, "warnings": [w.as_dict() for w in self.warnings],
            "can_apply": not self.failing,
        }


def _split(source: CompiledForm, target: CompiledForm, data: Mapping) -> tuple[dict, list[Outcome]]:
    """The part of ``data`` the target version has places for, and the values it has none for."""
    kept: dict = {}
    lost: list[Outcome] = []
    why = f"not an item of {target.oid} version {target.version}"
    for key, value in data.items():
        group = source.groups.get(key)
        if group is not None and group.repeating:
            target_group = target.groups.get(key)
            rows = []
            for row in value or []:
                new_row = {ROW_KEY: row[ROW_KEY]}
                for item_oid, item_value in row.items():
                    if item_oid == ROW_KEY or item_value is None:
                        continue
                    spec = target.items.get(item_oid)
                    if target_group is None or not target_group.repeating or spec is None or spec.group_oid != key:
                        lost.append(Outcome(issue_key(item_oid, key, row[ROW_KEY]), item_oid, key, row[ROW_KEY],
                                            item_value, why))
                    else:
                        new_row[item_oid] = item_value
                rows.append(new_row)
            if target_group is not None and target_group.repeating:
                kept[key] = rows
            continue
        spec = target.items.get(key)
        if value is None:
            continue
        if spec is None or spec.repeating:
            lost.append(Outcome(key, key, None, None, value, why))
        else:
            kept[key] = value
    return kept, lost


def plan_migration(source: CompiledForm, target: CompiledForm, data: Mapping, *, record_status: str,
                   resolve: Callable, today: dt.date,
                   extra_issues: Callable[[CompiledForm, dict], list[Issue]] | None = None) -> MigrationPlan:
    plan = MigrationPlan(source.oid, source.version, target.version, record_status)
    kept, plan.lost = _split(source, target, data)
    data_after, _changes, errors = apply_patch(target, {}, kept)
    completing = record_status == "complete"
    result = evaluate(target, data_after, completing=completing, resolve=resolve, today=today)
    add_outside_issues(result, extra_issues(target, data_after) if extra_issues else [], completing=completing)
    plan.data_after, plan.warnings = data_after, result.warnings
    hidden = f"does not apply under {target.oid} version {target.version} (hidden by its answers) and is cleared"
    for change in result.cleared:
        plan.lost.append(Outcome(issue_key(change.item_oid, change.group_oid, change.row), change.item_oid,
                                 change.group_oid, change.row, change.old, hidden))
    failing: dict[str, list[str]] = {}
    for issue in errors + [e for e in result.errors if e.rule not in MISSING_RULES]:
        failing.setdefault(issue.key, []).append(issue.message)
    values = item_values(target, kept)
    lost_keys = {o.key for o in plan.lost}
    for key, item in values.items():
        if key in failing:
            plan.failing.append(Outcome(key, item.item_oid, item.group_oid, item.row, item.value,
                                        "; ".join(failing.pop(key))))
        elif key not in lost_keys:
            plan.mapped.append(Outcome(key, item.item_oid, item.group_oid, item.row, item.value))
    for key, messages in failing.items():  # record-level failures and checks naming blank items
        issue = next(i for i in errors + result.errors if i.key == key)
        plan.failing.append(Outcome(key, issue.item_oid, issue.group_oid, issue.row, None, "; ".join(messages)))
    failed_keys = {o.key for o in plan.failing}
    plan.needs_value = sorted({e.key for e in result.errors if e.rule in MISSING_RULES} - failed_keys)
    plan.added = [{"item": oid, "group": spec.group_oid, "label": spec.label, "required": spec.required}
                  for oid, spec in target.items.items() if oid not in source.items]
    return plan
