"""The review state shown wherever a record or a subject is read: SDV, signatures, locks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecrf.entry.models import Record, Subject
from ecrf.entry.records import compiled_for
from ecrf.review import sdv, signatures
from ecrf.review.locking import lock_state
from ecrf.review.signatures import casebook_content
from ecrf.review.rules import content_hash


def record_review(db: Session, record: Record, subject: Subject) -> dict:
    rows = sdv.verifications(db, [record.id]).get(record.id, {})
    state = sdv.record_sdv(compiled_for(db, record), record, rows)
    covering = signatures.covering(db, subject, record)
    return {"sdv_status": state["status"], "sdv": state,
            "signature_status": signatures.record_signature_status(covering),
            "signatures": [signatures.present(s) for s in covering],
            "lock": _json_safe(lock_state(db, subject, record))}


def _json_safe(lock: dict) -> dict:
    return lock | {"locked_at": lock["locked_at"].isoformat() if lock["locked_at"] else None}


def subject_review(db: Session, subject: Subject) -> dict:
    content, records = casebook_content(db, subject)
    all_signatures = signatures.covering(db, subject)
    rows = sdv.verifications(db, [r.id for r in records])
    counts = {"verified": 0, "partially_verified": 0, "not_verified": 0}
    for record in records:
        if record.status == "complete":
            counts[sdv.record_sdv(compiled_for(db, record), record, rows.get(record.id, {}))["status"]] += 1
    return {"subject_id": subject.id, "subject": subject.code, "site": subject.site.code,
            "signature_status": signatures.subject_signature_status(all_signatures),
            "signatures": [signatures.present(s) for s in all_signatures],
            "casebook_hash": content_hash(content), "records": len(records),
            "incomplete_records": [r.id for r in records if r.status != "complete"],
            "sdv": counts, "lock": lock_state(db, subject)}
