"""Applying an ODM file through the entry services, all or nothing.

Import is a site data-entry channel: the caller needs ENTER_DATA (coordinator or investigator)
and writes only at their own sites; the audit trail shows the importing user, with each save's
reason for change taken from the file's ReasonForChange (or the ``reason`` parameter), and an
``import.applied`` entry per FormData naming the file and the source audit records.

Every FormData is applied in a savepoint so that one rejected value does not hide the next: the
report lists every rejected value. If anything was rejected, the whole file is refused (422) and
nothing is saved; ``dry_run`` checks everything and saves nothing either way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import Where, record_event
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.db import transaction_cache
from ecrf.definitions.models import FormVersion
from ecrf.entry import records as record_services
from ecrf.entry import subjects as subject_services
from ecrf.entry.access import where_for
from ecrf.entry.compiled import compiled_version
from ecrf.entry.records import form_ref_for
from ecrf.errors import DomainError, RuleViolation
from ecrf.exports import naming as n
from ecrf.exports.importer import targets
from ecrf.exports.importer.parse import FormTx, OdmFileError, parse_odm
from ecrf.exports.importer.targets import Rejected
from ecrf.studies.services import current_definition, get_study

MAX_REJECTIONS = 500


@dataclass
class Report:
    file_oid: str | None
    file_type: str | None
    dry_run: bool
    subjects_created: list[str] = field(default_factory=list)
    records_created: int = 0
    records_updated: int = 0
    records_completed: int = 0
    visit_dates_set: int = 0
    values_written: int = 0
    transactions: int = 0


def import_odm(db: Session, principal: Principal, study_oid: str, data: bytes, *, reason: str | None = None,
               dry_run: bool = False) -> dict:
    study = get_study(db, principal, study_oid)
    principal.require(Action.ENTER_DATA, study.id)
    try:
        odm = parse_odm(data)
    except OdmFileError as exc:
        raise RuleViolation(str(exc), errors={"file": [str(exc)]}) from None
    if odm.study_oid != study.oid:
        raise RuleViolation("the file is for another study",
                            errors={"ClinicalData.StudyOID": [f"expected {study.oid}, got {odm.study_oid}"]})
    report = Report(odm.file_oid, odm.file_type, dry_run)
    rejected: list[dict] = []
    definition = current_definition(db, study).content
    digest = hashlib.sha256(data).hexdigest()
    whole = db.begin_nested()
    for tx in odm.forms:
        if len(rejected) >= MAX_REJECTIONS:
            break
        savepoint = db.begin_nested()
        try:
            _apply(db, principal, study, definition, odm, tx, report, reason, digest)
            savepoint.commit()
        except (Rejected, DomainError) as problem:
            savepoint.rollback()
            transaction_cache(db).pop("audit_heads", None)  # heads written in the savepoint are gone
            rejected.extend(_rejections(tx, problem))
    if rejected or dry_run:
        whole.rollback()
        transaction_cache(db).pop("audit_heads", None)
    else:
        whole.commit()
    if rejected:
        raise RuleViolation(f"the file was not imported: {len(rejected)} value(s) rejected; nothing was saved",
                            errors={"rejected": rejected})
    if not dry_run:
        record_event(db, "import.odm", Where(study_id=study.id, study_oid=study.oid), actor=principal,
                     details={"file_oid": odm.file_oid, "file_type": odm.file_type, "sha256": digest,
                              **{k: v for k, v in asdict(report).items() if k not in ("file_oid", "file_type")}})
    return asdict(report)


def _apply(db: Session, principal: Principal, study, definition: dict, odm, tx: FormTx, report: Report,
           reason: str | None, digest: str) -> None:
    subject = targets.find_subject(db, principal, study, tx, set(report.subjects_created))
    if subject is None:
        if tx.subject_transaction == "Update":
            raise Rejected("SubjectData Update: the subject does not exist")
        subject = targets.create_subject(db, principal, study, tx,
                                         targets.consent_date(definition, odm.forms, tx.subject_key))
        report.subjects_created.append(subject.code)
    visit = targets.find_visit(db, principal, subject, tx)
    save_reason = tx.reason or next((i.reason for g in tx.groups for i in g.items if i.reason), None) or reason
    report.transactions += 1
    if tx.form_oid == n.VISIT_FORM:
        _visit_date(db, principal, subject, visit, tx, save_reason, report)
    else:
        _record(db, principal, subject, visit, tx, save_reason, report)
    record_event(db, "import.applied", where_for(subject, visit), actor=principal, reason=save_reason,
                 details={"file_oid": odm.file_oid, "sha256": digest, "form": tx.form_oid,
                          "sources": tx.sources[:50]})


def _visit_date(db, principal, subject, visit, tx: FormTx, reason, report: Report) -> None:
    values = [i for g in tx.groups for i in g.items if i.oid == n.VISIT_DATE]
    if not values:
        return
    item = values[-1]
    text = None if item.transaction == "Remove" else item.text
    try:
        parsed = dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise Rejected(f"{text!r} is not a date", n.VISIT_DATE, value=text) from None
    subject_services.update_visit(db, principal, subject, visit, {"visit_date": parsed, "reason": reason})
    report.visit_dates_set += 1
    report.values_written += 1


def _form(db, form_oid: str, version: int):
    row = db.execute(select(FormVersion.id).where(FormVersion.oid == form_oid, FormVersion.version == version)
                     ).scalar_one()
    return compiled_version(db, row)


def _record(db, principal, subject, visit, tx: FormTx, reason, report: Report) -> None:
    form_oid, version = n.parse_form_def_oid(tx.form_oid)
    ref = form_ref_for(db, subject, visit, form_oid)
    record = targets.find_record(db, visit, _form(db, form_oid, ref["version"]), tx)
    # a new record is on the version the schedule names; an existing one stays on its own (it may have been
    # migrated); moving a record between versions is a data manager's migration, never a side effect of import
    on = record.form_version if record is not None else ref["version"]
    if version is not None and version != on:
        if record is not None:
            raise Rejected(f"{form_oid} record #{record.repeat} at {visit.key} is on version {on}, not {version}: "
                           f"a data manager migrates it (POST /records/{{id}}/migrate) before this file is imported")
        raise Rejected(f"{form_oid} is collected at {visit.key} in version {on}, not {version}")
    form = _form(db, form_oid, on)
    prefix = n.form_def_oid(form_oid, on) + "."
    patch, written = targets.build_patch(form, prefix, tx, record.data if record is not None else {})
    if record is None:
        record, _ = record_services.create_record(db, principal, subject, visit, form_oid, patch, reason)
        report.records_created += 1
    elif patch:
        before = record.version
        record, _ = record_services.update_record(db, principal, record, subject, record_services.etag(record),
                                                  patch, reason)
        report.records_updated += int(record.version != before)
    report.values_written += written
    if tx.status == "complete" and record.status != "complete":
        record_services.complete_record(db, principal, record, subject, record_services.etag(record), reason)
        report.records_completed += 1


def _rejections(tx: FormTx, problem: Exception) -> list[dict]:
    base = {"subject": tx.subject_key, "event": tx.event_oid, "event_repeat": tx.event_repeat, "form": tx.form_oid,
            "form_repeat": tx.form_repeat, "line": tx.line}
    if isinstance(problem, Rejected):
        return [{**base, "item_group": problem.group, "row": problem.row, "item": problem.item,
                 "value": problem.value, "reason": problem.reason}]
    if isinstance(problem, record_services.ReasonRequired) and problem.changes:
        values = {(i.oid.rsplit(".", 1)[-1], g.repeat_key): i.text for g in tx.groups for i in g.items}
        why = ("a reason for change is required: the record was complete before (send ReasonForChange in the "
               "AuditRecord, or the reason parameter)")
        return [{**base, "item_group": c.group_oid, "row": c.row, "item": c.item_oid,
                 "value": values.get((c.item_oid, str(c.row) if c.row is not None else None)), "reason": why}
                for c in problem.changes]
    errors = problem.errors if isinstance(problem.errors, dict) else {}
    if not errors:
        return [{**base, "item_group": None, "row": None, "item": None, "value": None, "reason": problem.message}]
    values = {(i.oid.rsplit(".", 1)[-1], g.repeat_key): i.text for g in tx.groups for i in g.items}
    out = []
    for key, messages in errors.items():
        group, row, item = _split_key(key)
        for message in messages if isinstance(messages, list) else [messages]:
            out.append({**base, "item_group": group, "row": row, "item": item,
                        "value": values.get((item, str(row) if row is not None else None)),
                        "reason": message})
    return out


def _split_key(key: str) -> tuple[str | None, int | None, str]:
    """``IG_TL[2].TRORRES`` -> (IG_TL, 2, TRORRES); ``ECOG`` -> (None, None, ECOG)."""
    if "[" in key and "]." in key:
        group, rest = key.split("[", 1)
        row, item = rest.split("].", 1)
        return group, int(row) if row.isdigit() else None, item
    return None, None, key
