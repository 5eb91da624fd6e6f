"""Moving records to a new version of their form: dry run, then apply with a reason (data managers).

Applying is refused while any value would fail the target version's rules (the site corrects
the data first) and, unless ``accept_losses`` is sent, while any value would be lost. A lost
value is audited item by item (old value -> null) before the record moves; the record's
history stays in the audit trail under the version it had.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecrf.audit.services import record_event
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.db import utcnow
from ecrf.definitions.models import FormVersion
from ecrf.entry import records as entry_records
from ecrf.entry.access import where_for
from ecrf.entry.compiled import compile_form
from ecrf.entry.hooks import RecordChange, record_changed
from ecrf.entry.locks import active_lock, ensure_editable, study_frozen_at
from ecrf.entry.models import Record, Subject
from ecrf.entry.resolver import SubjectResolver
from ecrf.entry.validation import Change
from ecrf.errors import Conflict, NotFound, RuleViolation
from ecrf.review import sdv, signatures
from ecrf.review.migration_plan import MigrationPlan, plan_migration
from ecrf.review.rules import changed_definitions

MAX_REASON = 2000


def target_version(db: Session, form_oid: str, version: int | None) -> FormVersion:
    """The requested version of the form, or its latest published one."""
    if version is None:
        version = db.execute(select(func.max(FormVersion.version)).where(FormVersion.oid == form_oid)).scalar()
    row = db.execute(select(FormVersion).where(FormVersion.oid == form_oid, FormVersion.version == version)
                     ).scalar_one_or_none() if version is not None else None
    if row is None:
        raise NotFound(f"form {form_oid} version {version} is not published")
    return row


def plan_for(db: Session, record: Record, subject: Subject, target: FormVersion) -> MigrationPlan:
    from ecrf.entry.validators import extra_issues

    if target.version <= record.form_version:
        raise RuleViolation(f"the record is on version {record.form_version}; migrate only to a later version",
                            errors={"target_version": [f"must be greater than {record.form_version}"]})
    resolver = SubjectResolver(db, subject, record.visit, record)
    return plan_migration(entry_records.compiled_for(db, record), compile_form(target.content), record.data,
                          record_status=record.status, resolve=resolver.resolve,
                          today=dt.datetime.now(dt.timezone.utc).date(),
                          extra_issues=lambda form, data: extra_issues(db, form, subject, data))


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("applying a migration needs a reason", errors={"reason": ["required"]})
    if len(reason) > MAX_REASON:
        raise RuleViolation("reason is too long", errors={"reason": [f"at most {MAX_REASON} characters"]})
    return reason


def _lock_note(db: Session, record: Record, subject: Subject) -> str | None:
    if study_frozen_at(db, subject.study_id) is not None:
        return "study frozen"
    lock = active_lock(db, subject, record)
    return f"{lock.scope} locked" if lock is not None else None


def _apply(db: Session, principal: Principal, record: Record, subject: Subject, plan: MigrationPlan,
           target: FormVersion, reason: str) -> None:
    ensure_editable(db, subject, record)
    source_content = db.get(FormVersion, record.form_version_id).content
    details = {"from_version": record.form_version, "to_version": target.version, "cause": "migration"}
    where = where_for(subject, record.visit, record)
    lost = [Change(o.item_oid, o.group_oid, o.row, o.value, None) for o in plan.lost]
    for outcome in plan.lost:
        record_event(db, "item.changed", where, item_oid=outcome.item_oid, group_oid=outcome.group_oid,
                     group_row=outcome.row, old_value=outcome.value, new_value=None, reason=reason,
                     details={**details, "why": outcome.reason})
    redefined = changed_definitions(source_content, target.content)
    affected = [o.key for o in plan.lost] + [o.key for o in plan.mapped if o.item_oid in redefined]
    cause = f"{record.form_oid} record {record.id} migrated from version {record.form_version} to {target.version}"
    sdv.clear(db, subject, record, affected, cause)
    old_version, old_status = record.form_version, record.status
    record.form_version_id, record.form_version = target.id, target.version
    record.data, record.warnings = plan.data_after, [w.as_dict() for w in plan.warnings]
    record.status = plan.status_after
    record.updated_at, record.updated_by_id = utcnow(), principal.user_id
    db.flush()
    where = where_for(subject, record.visit, record)
    record_event(db, "record.migrated", where, old_value=old_version, new_value=target.version, reason=reason,
                 details={**details, "status_before": old_status, "status_after": record.status,
                          "mapped": [o.key for o in plan.mapped], "added": [a["item"] for a in plan.added],
                          "lost": [o.key for o in plan.lost], "needs_value": plan.needs_value,
                          "definition_changed": sorted(redefined)})
    signatures.invalidate_changed(db, subject, record, affected, cause)
    record_changed(db, RecordChange(action="migrated", subject=subject, visit=record.visit, record=record,
                                    form=compile_form(target.content), changes=lost, reason=reason))
    if old_status != record.status:
        entry_records._update_visit_status(db, subject, record.visit)  # noqa: SLF001 - the visit follows its records


def migrate_record(db: Session, principal: Principal, record: Record, subject: Subject, *, version: int | None,
                   dry_run: bool, reason: str | None, accept_losses: bool, if_match: str | None) -> dict:
    principal.require(Action.MIGRATE_VERSION, subject.study_id)
    target = target_version(db, record.form_oid, version)
    plan = plan_for(db, record, subject, target)
    report = {"record_id": record.id, "dry_run": dry_run, "applied": False, "locked": _lock_note(db, record, subject),
              **plan.as_dict()}
    if dry_run:
        return report
    entry_records.check_if_match(record, if_match)
    reason = _reason(reason)
    ensure_editable(db, subject, record)
    blockers = plan.blockers(accept_losses)
    if blockers:
        raise Conflict("the migration would lose or break values; nothing was changed", errors=blockers)
    _apply(db, principal, record, subject, plan, target, reason)
    report.update(applied=True, version=record.version)
    return report


def migrate_form(db: Session, principal: Principal, study, form_oid: str, *, version: int | None,
                 site_code: str | None, dry_run: bool, reason: str | None, accept_losses: bool) -> dict:
    """The same for every record of the form in the study (or one site): all or nothing."""
    principal.require(Action.MIGRATE_VERSION, study.id)
    target = target_version(db, form_oid, version)
    statement = (select(Record).join(Subject, Record.subject_id == Subject.id)
                 .where(Subject.study_id == study.id, Record.form_oid == form_oid,
                        Record.form_version < target.version).order_by(Record.subject_id, Record.id))
    if site_code:
        site = next((s for s in study.sites if s.code == site_code), None)
        if site is None:
            raise RuleViolation("unknown site", errors={"site": [f"{study.oid} has no site {site_code}"]})
        statement = statement.where(Subject.site_id == site.id)
    if not dry_run:
        reason = _reason(reason)
        statement = statement.with_for_update(of=Record)
    items, plans, blockers = [], [], {}
    for record in db.execute(statement).scalars():
        subject = db.get(Subject, record.subject_id)
        plan = plan_for(db, record, subject, target)
        locked = _lock_note(db, record, subject)
        items.append({"record_id": record.id, "subject": subject.code, "site": subject.site.code,
                      "visit_key": record.visit.key, "visit_repeat": record.visit.repeat, "locked": locked,
                      **plan.as_dict()})
        plans.append((record, subject, plan))
        for key, why in plan.blockers(accept_losses).items():
            blockers[f"record {record.id}: {key}"] = why
        if locked:
            blockers[f"record {record.id}"] = [f"{locked}: unlock it before migrating"]
    summary = {"records": len(items), "can_apply": not any(i["failing"] or i["locked"] for i in items)}
    for outcome in ("mapped", "added", "lost", "failing"):
        summary[outcome] = sum(i["summary"][outcome] for i in items)
    report = {"form_oid": form_oid, "to_version": target.version, "site": site_code, "dry_run": dry_run,
              "applied": False, "summary": summary, "records": items}
    if dry_run:
        return report
    if blockers:
        raise Conflict("the migration would lose or break values, or touch locked data; nothing was changed",
                       errors=blockers)
    for record, subject, plan in plans:
        _apply(db, principal, record, subject, plan, target, reason)
    report["applied"] = True
    return report
