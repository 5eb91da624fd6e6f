"""Loading subjects, visits and records for a caller: role check, then site scope (404 outside)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecrf.audit.services import Where
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.entry.models import Record, Subject, Visit
from ecrf.errors import NotFound


def where_for(subject: Subject, visit: Visit | None = None, record: Record | None = None) -> Where:
    return Where(study_id=subject.study_id, study_oid=subject.study.oid, site_id=subject.site_id,
                 site_code=subject.site.code, subject_id=subject.id, subject_code=subject.code,
                 visit_key=visit.key if visit else None, visit_repeat=visit.repeat if visit else None,
                 form_oid=record.form_oid if record else None,
                 form_version=record.form_version if record else None,
                 record_id=record.id if record else None)


def load_subject(db: Session, principal: Principal, subject_id: int, action: Action = Action.READ_CLINICAL) -> Subject:
    subject = db.get(Subject, subject_id)
    if subject is None or not principal.can(Action.READ_CLINICAL, subject.study_id):
        raise NotFound("subject not found")
    principal.require_site(subject.study_id, subject.site_id)
    principal.require(action, subject.study_id)
    return subject


def load_record(db: Session, principal: Principal, record_id: int, action: Action = Action.READ_CLINICAL,
                for_update: bool = False) -> tuple[Record, Subject]:
    record = db.get(Record, record_id, with_for_update=for_update or None)
    if record is None:
        raise NotFound("record not found")
    try:
        subject = load_subject(db, principal, record.subject_id, action)
    except NotFound:
        raise NotFound("record not found") from None
    return record, subject
