"""Creating, changing and completing form records, with validation, ETags and per-item audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecrf.audit.services import ItemEvent, record_event, record_item_events
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.definitions.models import FormVersion
from ecrf.entry import schedule
from ecrf.entry.access import where_for
from ecrf.entry.compiled import CompiledForm, compiled_version
from ecrf.entry.locks import ensure_editable
from ecrf.entry.models import Record, Subject, Visit
from ecrf.entry.anchors import anchors_set_by
from ecrf.entry.resolver import SubjectResolver
from ecrf.entry.hooks import RecordChange, record_changed
from ecrf.entry.subjects import study_definition
from ecrf.entry.validators import extra_issues
from ecrf.entry.validation import Change, Evaluation, add_outside_issues, apply_patch, errors_by_key, evaluate
from ecrf.errors import Conflict, PreconditionFailed, PreconditionRequired, RuleViolation
from ecrf.db import utcnow

MAX_REASON = 2000


def etag(record: Record) -> str:
    return f'"r{record.id}-v{record.version}"'


def check_if_match(record: Record, if_match: str | None) -> None:
    """Optimistic concurrency: 428 without If-Match, 412 when it names an older version."""
    if not if_match:
        raise PreconditionRequired("send If-Match with the record's ETag to change it",
                                   errors={"If-Match": ["required; GET the record for its ETag"]})
    offered = [tag.strip() for tag in if_match.split(",")]
    if etag(record) not in offered and f"W/{etag(record)}" not in offered:
        raise PreconditionFailed("the record changed since you read it; reload it and apply your change again",
                                 errors={"If-Match": [f"current ETag is {etag(record)}"]})


def compiled_for(db: Session, record: Record) -> CompiledForm:
    return compiled_version(db, record.form_version_id)


class ReasonRequired(RuleViolation):
    """A change to data that was ever complete came without a reason; names the changed items."""

    def __init__(self, changes: list[Change]):
        super().__init__("this record has been completed before: give a reason for the change",
                         errors={"reason": ["required for changes to data that was ever complete"]})
        self.changes = changes


def _reason(reason: str | None, record: Record | None, changes: list[Change] | None = None) -> str | None:
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise RuleViolation("reason is too long", errors={"reason": [f"at most {MAX_REASON} characters"]})
    if record is not None and record.ever_completed and reason is None:
        raise ReasonRequired(list(changes or []))
    return reason


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def _validate(db: Session, form: CompiledForm, subject: Subject, visit: Visit, record: Record | None,
              current: dict, patch: Any, completing: bool) -> tuple[dict, list[Change], Evaluation]:
    data, changes, errors = apply_patch(form, current, patch)
    if errors:
        raise RuleViolation("some values cannot be saved; nothing was changed", errors=errors_by_key(errors))
    resolver = SubjectResolver(db, subject, visit, record,
                               pending_anchors=anchors_set_by(study_definition(db, subject), visit, form.oid, data))
    result = evaluate(form, data, completing=completing, resolve=resolver.resolve, today=_today())
    add_outside_issues(result, extra_issues(db, form, subject, data), completing=completing)
    if result.errors:
        message = ("the record cannot be completed: fix the errors listed" if completing
                   else "some values are not consistent with the form; nothing was changed")
        raise RuleViolation(message, errors=errors_by_key(result.errors))
    return data, changes + result.cleared, result


def _audit_changes(db: Session, where, changes: list[Change], reason: str | None, action: str) -> None:
    record_item_events(db, action, where, [ItemEvent(c.item_oid, c.group_oid, c.row, c.old, c.new) for c in changes],
                       reason=reason)


def _warnings(result: Evaluation) -> list[dict]:
    return [w.as_dict() for w in result.warnings]


def form_ref_for(db: Session, subject: Subject, visit: Visit, form_oid: str) -> dict:
    refs = schedule.forms_for(study_definition(db, subject), visit.key)
    ref = next((r for r in refs if r["form"] == form_oid), None)
    if ref is None:
        raise RuleViolation(f"form {form_oid} is not collected at {visit.name}",
                            errors={"form_oid": [f"allowed here: {', '.join(r['form'] for r in refs) or 'none'}"]})
    return ref


def _refuse_after_screen_failure(db: Session, subject: Subject, visit: Visit) -> None:
    """A screen failure never entered the trial: its screening visits (those anchored on consent) and
    the logs (an adverse event after consent) take new records, no treatment or follow-up visit."""
    if subject.status != "screen_failed" or visit.kind == "log":
        return
    screening = {v["key"] for v in study_definition(db, subject)["schedule"] if v.get("anchor") == "consent"}
    if visit.key not in screening:
        raise Conflict(f"subject {subject.code} is a screen failure: only screening visits and logs take new records",
                       errors={"visit": [f"{visit.key} follows enrolment, and {subject.code} was never enrolled"]})


def create_record(db: Session, principal: Principal, subject: Subject, visit: Visit, form_oid: str,
                  patch: dict, reason: str | None) -> tuple[Record, Evaluation]:
    principal.require(Action.ENTER_DATA, subject.study_id)
    ensure_editable(db, subject)
    if visit.status == "missed":
        raise Conflict(f"{visit.name} is marked missed; undo that before entering data",
                       errors={"visit": ["missed"]})
    ref = form_ref_for(db, subject, visit, form_oid)
    _refuse_after_screen_failure(db, subject, visit)
    form_row = db.execute(select(FormVersion.id, FormVersion.version).where(
        FormVersion.oid == form_oid, FormVersion.version == ref["version"])).one()
    form = compiled_version(db, form_row.id)
    existing = db.execute(select(func.max(Record.repeat)).where(Record.visit_id == visit.id,
                                                               Record.form_oid == form_oid)).scalar()
    if existing and not form.repeating:
        raise Conflict(f"{form.title} already exists for {visit.name}; change that record instead",
                       errors={"form_oid": ["already entered at this visit"]})
    reason = _reason(reason, None)
    data, changes, result = _validate(db, form, subject, visit, None, {}, patch, completing=False)
    record = Record(subject_id=subject.id, visit_id=visit.id, form_oid=form_oid, form_version_id=form_row.id,
                    form_version=form_row.version, repeat=(existing or 0) + 1, status="draft",
                    ever_completed=False, data=data, warnings=_warnings(result),
                    created_by_id=principal.user_id, updated_by_id=principal.user_id)
    record.visit = visit
    db.add(record)
    db.flush()
    where = where_for(subject, visit, record)
    record_event(db, "record.created", where, reason=reason, details={"repeat": record.repeat})
    _audit_changes(db, where, changes, reason, "item.entered")
    if visit.status == "not_started":
        visit.status = "in_progress"
    _after_change(db, subject, visit, record, form, changes, "created", reason)
    return record, result


def update_record(db: Session, principal: Principal, record: Record, subject: Subject, if_match: str | None,
                  patch: dict, reason: str | None) -> tuple[Record, Evaluation]:
    principal.require(Action.ENTER_DATA, subject.study_id)
    ensure_editable(db, subject, record)
    check_if_match(record, if_match)
    form = compiled_for(db, record)
    visit = record.visit
    data, changes, result = _validate(db, form, subject, visit, record, record.data, patch,
                                      completing=record.status == "complete")
    # a reason justifies a change: a patch that changes nothing needs none (an import of unchanged values)
    reason = _reason(reason, record if changes else None, changes)
    if not changes:
        return record, result
    record.data = data
    record.warnings = _warnings(result)
    record.updated_at, record.updated_by_id = utcnow(), principal.user_id
    db.flush()
    _audit_changes(db, where_for(subject, visit, record), changes, reason, "item.changed")
    _after_change(db, subject, visit, record, form, changes, "updated", reason)
    return record, result


def complete_record(db: Session, principal: Principal, record: Record, subject: Subject, if_match: str | None,
                    reason: str | None) -> tuple[Record, Evaluation]:
    principal.require(Action.ENTER_DATA, subject.study_id)
    ensure_editable(db, subject, record)
    check_if_match(record, if_match)
    if record.status == "complete":
        raise Conflict("the record is already complete", errors={"status": ["complete"]})
    reason = (reason or "").strip() or None
    form = compiled_for(db, record)
    data, changes, result = _validate(db, form, subject, record.visit, record, record.data, {}, completing=True)
    record.data, record.status, record.ever_completed = data, "complete", True
    record.warnings = _warnings(result)
    record.completed_at = record.updated_at = utcnow()
    record.updated_by_id = principal.user_id
    db.flush()
    where = where_for(subject, record.visit, record)
    _audit_changes(db, where, changes, reason or "cleared: item does not apply", "item.changed")
    record_event(db, "record.completed", where, old_value="draft", new_value="complete", reason=reason,
                 details={"warnings": len(result.warnings)})
    _after_change(db, subject, record.visit, record, form, changes, "completed", reason)
    _update_visit_status(db, subject, record.visit)
    return record, result


def _update_visit_status(db: Session, subject: Subject, visit: Visit) -> None:
    """A visit is complete when every required form of it has a complete record."""
    if visit.kind == "log":
        return
    refs = schedule.forms_for(study_definition(db, subject), visit.key)
    required = {r["form"] for r in refs if r.get("required", True)}
    done = set(db.execute(select(Record.form_oid).where(Record.visit_id == visit.id,
                                                        Record.status == "complete")).scalars())
    status = "complete" if required and required <= done else "in_progress"
    if visit.status != status and visit.status != "missed":
        record_event(db, "visit.status_changed", where_for(subject, visit), old_value=visit.status, new_value=status)
        visit.status = status


def _after_change(db: Session, subject: Subject, visit: Visit, record: Record, form: CompiledForm,
                  changes: list[Change] | None = None, action: str = "updated", reason: str | None = None) -> None:
    """Tell the other domains (automatic queries, anchors, derivations, review state)."""
    record_changed(db, RecordChange(action=action, subject=subject, visit=visit, record=record, form=form,
                                    changes=list(changes or []), reason=reason))
