"""Eligibility of a subject from its screening data; enrolment guard and data manager override."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import record_event
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.db import utcnow
from ecrf.entry.access import where_for
from ecrf.entry.locks import ensure_editable
from ecrf.entry.models import Record, Subject, Visit
from ecrf.entry.records import compiled_for
from ecrf.errors import Conflict, RuleViolation
from ecrf.oncology.eligibility import EligibilityResult, evaluate_eligibility
from ecrf.oncology.eligibility_mapping import baseline_inputs
from ecrf.oncology.models import EligibilityOverride

SCREENING_FORMS = ("F_DM", "F_BASELINE", "F_ECOG", "F_TNM", "F_LB")
ENGINE_VERSION = "eligibility/1"


def screening_records(db: Session, subject: Subject) -> dict[str, Record]:
    rows = db.execute(select(Record).join(Visit, Visit.id == Record.visit_id).where(
        Record.subject_id == subject.id, Visit.key == "SCR", Record.form_oid.in_(SCREENING_FORMS))).scalars()
    return {row.form_oid: row for row in rows}


def evaluate(db: Session, subject: Subject) -> tuple[EligibilityResult, dict[str, Record]]:
    records = screening_records(db, subject)
    data = {oid: (records[oid].data if oid in records else {}) for oid in SCREENING_FORMS}
    unit_labels = {}
    if "F_LB" in records:
        form = compiled_for(db, records["F_LB"])
        for spec in form.items.values():
            if spec.codelist and spec.oid.endswith("U"):
                unit_labels.update({str(code): label for code, label in spec.code_labels.items()})
    inputs = baseline_inputs(data["F_DM"], data["F_BASELINE"], data["F_ECOG"], data["F_TNM"], data["F_LB"],
                             unit_labels)
    return evaluate_eligibility(subject.study.oid, inputs), records


def active_override(db: Session, subject: Subject) -> EligibilityOverride | None:
    return db.execute(select(EligibilityOverride).where(EligibilityOverride.subject_id == subject.id,
                                                        EligibilityOverride.revoked_at.is_(None))
                      .order_by(EligibilityOverride.id.desc())).scalars().first()


def describe(db: Session, subject: Subject) -> dict:
    result, records = evaluate(db, subject)
    override = active_override(db, subject)
    return {
        "subject_id": subject.id, "study": subject.study.oid, "eligible": result.eligible,
        "engine_version": ENGINE_VERSION, "evaluated_at": utcnow(),
        "sources": {oid: {"record_id": r.id, "version": r.version, "status": r.status} for oid, r in records.items()},
        "criteria": [{"id": c.id, "kind": c.kind, "text": c.text, "status": c.status,
                      "values_used": {k: (str(v) if v is not None else None) for k, v in c.values_used.items()},
                      "note": c.note} for c in result.criteria],
        "override": None if override is None else {
            "reason": override.reason, "granted_at": override.granted_at, "criteria": override.criteria},
    }


def _open_criteria(result: EligibilityResult) -> list[str]:
    return [f"{c.id} {c.status.replace('_', ' ')}" for c in result.criteria if c.status != "met"]


def grant_override(db: Session, principal: Principal, subject: Subject, reason: str) -> EligibilityOverride:
    principal.require(Action.OVERRIDE_ELIGIBILITY, subject.study_id)
    ensure_editable(db, subject)  # it opens the way to enrolment: not under a subject lock or a freeze
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("an override needs a reason", errors={"reason": ["required"]})
    if subject.status != "screening":
        raise Conflict("only a subject in screening can get an eligibility override",
                       errors={"status": [subject.status]})
    result, _ = evaluate(db, subject)
    if result.eligible is True:
        raise Conflict("the subject meets every criterion; no override is needed", errors={"eligible": ["true"]})
    override = EligibilityOverride(subject_id=subject.id, reason=reason, criteria=_open_criteria(result),
                                   granted_by_id=principal.user_id)
    db.add(override)
    db.flush()
    record_event(db, "eligibility.overridden", where_for(subject), reason=reason,
                 new_value=override.criteria, details={"override": override.id})
    return override


def guard_enrolment(db: Session, principal: Principal, subject: Subject) -> None:
    """Enrolling needs every criterion met, or a data manager's override with a reason."""
    result, _ = evaluate(db, subject)
    if result.eligible is True:
        record_event(db, "eligibility.confirmed", where_for(subject), new_value="eligible",
                     details={"engine": ENGINE_VERSION})
        return
    if active_override(db, subject) is not None:
        return
    open_items = _open_criteria(result)
    raise Conflict("eligibility is not confirmed; fix the screening data or ask a data manager for an override",
                   errors={"eligibility": open_items})
