"""Locking and unlocking records and subjects, freezing and unfreezing a study (data managers).

Locking is refused while queries are open or answered; unlocking needs a reason; everything is
audited. Locks do not change data, so they do not change a record's version (its ETag).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import Where, record_event
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.db import utcnow
from ecrf.entry.access import where_for
from ecrf.entry.locks import active_lock, serialize_with_subject_writers
from ecrf.entry.models import Record, Subject
from ecrf.entry.records import check_if_match
from ecrf.errors import Conflict, RuleViolation
from ecrf.queries.models import Query
from ecrf.queries.services import ACTIVE, has_active_queries
from ecrf.review.models import DataLock, record_lock_key, subject_lock_key
from ecrf.studies.models import Study

MAX_REASON = 2000


def _reason(reason: str | None, required: bool, what: str) -> str | None:
    reason = (reason or "").strip() or None
    if reason is None and required:
        raise RuleViolation(f"{what} needs a reason", errors={"reason": ["required"]})
    if reason is not None and len(reason) > MAX_REASON:
        raise RuleViolation("reason is too long", errors={"reason": [f"at most {MAX_REASON} characters"]})
    return reason


def _refuse_if_queries(db: Session, condition, what: str) -> None:
    ids = list(db.execute(select(Query.id).where(condition, Query.status.in_(ACTIVE)).order_by(Query.id)
                          .limit(51)).scalars())
    if ids:
        shown = ", ".join(f"#{i}" for i in ids[:50]) + (" and more" if len(ids) > 50 else "")
        raise Conflict(f"{what} has open or answered queries; close them before locking: {shown}",
                       errors={"queries": [f"query {i} is open or answered" for i in ids[:50]]})


def _lock(db: Session, principal: Principal, subject: Subject, record: Record | None, reason: str | None) -> DataLock:
    lock = DataLock(target_key=record_lock_key(record.id) if record else subject_lock_key(subject.id),
                    scope="record" if record else "subject", study_id=subject.study_id, subject_id=subject.id,
                    record_id=record.id if record else None, reason=reason, locked_at=utcnow(),
                    locked_by_id=principal.user_id, locked_by_name=principal.full_name or principal.username or "")
    db.add(lock)
    db.flush()
    return lock


def _existing(db: Session, key: str) -> DataLock | None:
    return db.execute(select(DataLock).where(DataLock.target_key == key)).scalar_one_or_none()


def lock_record(db: Session, principal: Principal, record: Record, subject: Subject, if_match: str | None,
                reason: str | None) -> DataLock:
    principal.require(Action.LOCK, subject.study_id)
    check_if_match(record, if_match)
    reason = _reason(reason, False, "locking")
    serialize_with_subject_writers(db, subject)
    if _existing(db, record_lock_key(record.id)) is not None:
        raise Conflict("the record is already locked", errors={"record": ["locked"]})
    if has_active_queries(db, record):
        _refuse_if_queries(db, Query.record_id == record.id, f"record {record.id}")
    lock = _lock(db, principal, subject, record, reason)
    record_event(db, "record.locked", where_for(subject, record.visit, record), old_value="unlocked",
                 new_value="locked", reason=reason)
    return lock


def unlock_record(db: Session, principal: Principal, record: Record, subject: Subject, if_match: str | None,
                  reason: str | None) -> None:
    principal.require(Action.LOCK, subject.study_id)
    check_if_match(record, if_match)
    reason = _reason(reason, True, "unlocking")
    serialize_with_subject_writers(db, subject)
    _remove_lock(db, record_lock_key(record.id), "record", where_for(subject, record.visit, record), reason)


def lock_subject(db: Session, principal: Principal, subject: Subject, reason: str | None) -> DataLock:
    principal.require(Action.LOCK, subject.study_id)
    reason = _reason(reason, False, "locking")
    serialize_with_subject_writers(db, subject)
    if _existing(db, subject_lock_key(subject.id)) is not None:
        raise Conflict("the subject is already locked", errors={"subject": ["locked"]})
    _refuse_if_queries(db, Query.subject_id == subject.id, f"subject {subject.code}")
    lock = _lock(db, principal, subject, None, reason)
    record_event(db, "subject.locked", where_for(subject), old_value="unlocked", new_value="locked", reason=reason)
    return lock


def unlock_subject(db: Session, principal: Principal, subject: Subject, reason: str | None) -> None:
    principal.require(Action.LOCK, subject.study_id)
    reason = _reason(reason, True, "unlocking")
    serialize_with_subject_writers(db, subject)
    _remove_lock(db, subject_lock_key(subject.id), "subject", where_for(subject), reason)


def _remove_lock(db: Session, key: str, level: str, where, reason: str) -> None:
    """Delete the record's or subject's lock (409 when there is none); audited as ``<level>.unlocked``."""
    lock = _existing(db, key)
    if lock is None:
        raise Conflict(f"the {level} is not locked", errors={level: ["not locked"]})
    details = {"locked_at": lock.locked_at.isoformat(), "locked_by": lock.locked_by_name}
    db.delete(lock)
    record_event(db, f"{level}.unlocked", where, old_value="locked", new_value="unlocked", reason=reason,
                 details=details)


def freeze_study(db: Session, principal: Principal, study: Study, reason: str | None) -> Study:
    principal.require(Action.LOCK, study.id)
    reason = _reason(reason, False, "freezing")
    db.refresh(study, with_for_update=True)  # waits for writers holding the study row FOR SHARE
    if study.frozen_at is not None:
        raise Conflict(f"study {study.oid} is already frozen", errors={"study": ["frozen"]})
    _refuse_if_queries(db, Query.study_id == study.id, f"study {study.oid}")
    study.frozen_at = utcnow()
    record_event(db, "study.frozen", Where(study_id=study.id, study_oid=study.oid), old_value="open",
                 new_value="frozen", reason=reason)
    return study


def unfreeze_study(db: Session, principal: Principal, study: Study, reason: str | None) -> Study:
    principal.require(Action.LOCK, study.id)
    reason = _reason(reason, True, "unfreezing")
    db.refresh(study, with_for_update=True)
    frozen_at = study.frozen_at
    if frozen_at is None:
        raise Conflict(f"study {study.oid} is not frozen", errors={"study": ["not frozen"]})
    study.frozen_at = None
    record_event(db, "study.unfrozen", Where(study_id=study.id, study_oid=study.oid), old_value="frozen",
                 new_value="open", reason=reason, details={"frozen_at": frozen_at.isoformat()})
    return study


def lock_state(db: Session, subject: Subject, record: Record | None = None) -> dict:
    """How the data is locked, for the record and subject outputs."""
    frozen_at = subject.study.frozen_at
    if frozen_at is not None:
        return {"locked": True, "level": "study", "locked_at": frozen_at, "locked_by": None, "reason": None}
    lock = active_lock(db, subject, record)
    if lock is None:
        return {"locked": False, "level": None, "locked_at": None, "locked_by": None, "reason": None}
    return {"locked": True, "level": lock.scope, "locked_at": lock.locked_at, "locked_by": lock.locked_by_name,
            "reason": lock.reason}
