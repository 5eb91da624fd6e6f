"""Whether data may change: a frozen study, a locked subject or a locked record refuses it (409).

Every entry service calls :func:`ensure_editable` before it writes. The check and the lock
services (:mod:`ecrf.review.locking`) take the same database locks, so a lock and a write of the
same data never interleave: a write that passed the check commits before the lock is taken, and
a write that starts after the lock sees it.

* The study row is read ``FOR SHARE`` here and ``FOR UPDATE`` by freeze/unfreeze.
* The subject's audit chain head, which every write to the subject locks anyway to append its
  audit entries, is locked here *before* the check and by the lock/unlock services before theirs.

(SQLite serialises writers with ``BEGIN IMMEDIATE``; the row locks matter on PostgreSQL.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit import services as audit_services
from ecrf.entry.models import Record, Subject
from ecrf.errors import Locked
from ecrf.review.models import DataLock, record_lock_key, subject_lock_key
from ecrf.studies.models import Study


def serialize_with_subject_writers(db: Session, subject: Subject) -> None:
    """Hold the subject's audit chain head for the rest of the transaction."""
    where = audit_services.Where(study_id=subject.study_id, subject_id=subject.id)
    audit_services._lock_head(db, audit_services.chain_key_for(where, None))  # noqa: SLF001


def study_frozen_at(db: Session, study_id: int):
    """The study's freeze time, read FOR SHARE (freezing takes the row FOR UPDATE)."""
    return db.execute(select(Study.frozen_at).where(Study.id == study_id).with_for_update(read=True)).scalar_one()


def active_lock(db: Session, subject: Subject, record: Record | None = None) -> DataLock | None:
    """The subject's lock, else the record's lock, else None (no row locks taken)."""
    keys = [subject_lock_key(subject.id)]
    if record is not None and record.id is not None:
        keys.append(record_lock_key(record.id))
    locks = {lock.scope: lock for lock in db.execute(select(DataLock).where(DataLock.target_key.in_(keys))).scalars()}
    return locks.get("subject") or locks.get("record")


def ensure_editable(db: Session, subject: Subject, record=None) -> None:
    if study_frozen_at(db, subject.study_id) is not None:
        raise Locked(f"study {subject.study.oid} is frozen; its data cannot change",
                     errors={"study": ["frozen: a data manager must unfreeze it first"]})
    serialize_with_subject_writers(db, subject)
    lock = active_lock(db, subject, record)
    if lock is None:
        return
    if lock.scope == "subject":
        raise Locked(f"subject {subject.code} is locked; its data cannot change",
                     errors={"subject": [f"locked by {lock.locked_by_name} at {lock.locked_at.isoformat()}"]})
    raise Locked(f"record {record.id} is locked; its data cannot change",
                 errors={"record": [f"locked by {lock.locked_by_name} at {lock.locked_at.isoformat()}"]})
