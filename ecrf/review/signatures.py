"""What a signature covers, its content hash, invalidation on change, and how it is shown.

A signature covers one record, every record of a visit, or every record of a subject (the
casebook); a visit or casebook signature also covers the visit dates and missed visits. Its
content hash is recomputed from the current data whenever a covered record or visit changes;
when it differs, the signature is marked invalidated with the changed items (audited).
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecrf.audit.services import record_event
from ecrf.auth.principal import SYSTEM
from ecrf.db import utcnow
from ecrf.entry.access import where_for
from ecrf.entry.models import Record, Subject, Visit
from ecrf.review.models import Signature
from ecrf.review.rules import content_hash, record_content


def content_of_record(record: Record, visit: Visit) -> dict:
    return record_content(record_id=record.id, form_oid=record.form_oid, form_version=record.form_version,
                          status=record.status, data=record.data, visit_key=visit.key,
                          visit_repeat=visit.repeat, repeat=record.repeat)


def covered_records(db: Session, subject: Subject, visit: Visit | None = None) -> list[tuple[Record, Visit]]:
    statement = (select(Record, Visit).join(Visit, Record.visit_id == Visit.id)
                 .where(Record.subject_id == subject.id).order_by(Record.id))
    if visit is not None:
        statement = statement.where(Record.visit_id == visit.id)
    return [(r, v) for r, v in db.execute(statement).all()]


def visit_content(visit: Visit) -> dict:
    """What a visit itself says: when it took place, or that it was missed."""
    return {"visit_key": visit.key, "visit_repeat": visit.repeat,
            "visit_date": visit.visit_date.isoformat() if visit.visit_date else None,
            "missed": visit.status == "missed"}


def casebook_content(db: Session, subject: Subject, visit: Visit | None = None) -> tuple[dict, list[Record]]:
    """The signed content of a visit or of the whole casebook, and the records in it."""
    pairs = covered_records(db, subject, visit)
    if visit is not None:
        visits = [visit]
    else:
        visits = db.execute(select(Visit).where(Visit.subject_id == subject.id).order_by(Visit.id)).scalars()
    content = {"study": subject.study.oid, "subject": subject.code,
               "visit": [visit.key, visit.repeat] if visit is not None else None,
               "visits": [visit_content(v) for v in visits if v.visit_date is not None or v.status == "missed"],
               "records": [content_of_record(r, v) for r, v in pairs]}
    return content, [r for r, _ in pairs]


def current_content(db: Session, signature: Signature, subject: Subject) -> dict:
    if signature.scope == "record":
        record = db.get(Record, signature.record_id)
        return content_of_record(record, record.visit)
    visit = db.get(Visit, signature.visit_id) if signature.scope == "visit" else None
    return casebook_content(db, subject, visit)[0]


def covering(db: Session, subject: Subject, record: Record | None = None, valid_only: bool = False) -> list[Signature]:
    """Signatures over the record (record, its visit, its subject), or every signature of the subject."""
    statement = select(Signature).where(Signature.subject_id == subject.id).order_by(Signature.id)
    if record is not None:
        statement = statement.where(or_(Signature.record_id == record.id,
                                        (Signature.scope == "visit") & (Signature.visit_id == record.visit_id),
                                        Signature.scope == "subject"))
    if valid_only:
        statement = statement.where(Signature.status == "valid")
    return list(db.execute(statement).scalars())


def invalidate_changed(db: Session, subject: Subject, record: Record, keys: list[str], cause: str) -> None:
    """Mark every valid signature over ``record`` whose signed content no longer matches as invalidated."""
    items = [{"record_id": record.id, "form_oid": record.form_oid, "item": key} for key in keys]
    _invalidate_stale(db, subject, covering(db, subject, record, valid_only=True), items, keys, cause,
                      where_for(subject, record.visit, record))


def invalidate_visit_changed(db: Session, subject: Subject, visit: Visit, item: str, cause: str) -> None:
    """The same when a visit's date or missed status changed: its visit signatures and the casebook's."""
    statement = select(Signature).where(
        Signature.subject_id == subject.id, Signature.status == "valid",
        or_((Signature.scope == "visit") & (Signature.visit_id == visit.id), Signature.scope == "subject"),
    ).order_by(Signature.id)
    items = [{"visit_key": visit.key, "visit_repeat": visit.repeat, "item": item}]
    _invalidate_stale(db, subject, list(db.execute(statement).scalars()), items, [item], cause,
                      where_for(subject, visit))


def _invalidate_stale(db: Session, subject: Subject, signatures: list[Signature], items: list[dict],
                      keys: list[str], cause: str, where) -> None:
    for signature in signatures:
        if content_hash(current_content(db, signature, subject)) == signature.content_hash:
            continue
        signature.status, signature.invalidated_at = "invalidated", utcnow()
        signature.invalidation = {"cause": cause, "items": items}
        db.flush()
        record_event(db, "signature.invalidated", where, actor=SYSTEM,
                     old_value="valid", new_value="invalidated", reason=cause,
                     details={"signature": signature.id, "scope": signature.scope, "signer": signature.signer_username,
                              "meaning": signature.meaning, "signed_at": signature.signed_at.isoformat(),
                              "changed_items": keys})


def present(signature: Signature) -> dict:
    invalidation = signature.invalidation or {}
    return {"id": signature.id, "scope": signature.scope, "record_id": signature.record_id,
            "visit_id": signature.visit_id, "subject_id": signature.subject_id,
            "printed_name": signature.printed_name, "username": signature.signer_username,
            "meaning": signature.meaning, "signed_at": signature.signed_at.isoformat(),
            "content_hash": signature.content_hash, "hash_algorithm": "SHA-256", "status": signature.status,
            "invalidated_at": signature.invalidated_at.isoformat() if signature.invalidated_at else None,
            "invalidation_cause": invalidation.get("cause"), "changed_items": invalidation.get("items", [])}


def record_signature_status(signatures: list[Signature]) -> str:
    """signed (a valid signature covers the record), invalidated (only invalidated ones), or unsigned."""
    if any(s.status == "valid" for s in signatures):
        return "signed"
    return "invalidated" if signatures else "unsigned"


def subject_signature_status(signatures: list[Signature]) -> str:
    """needs_resigning when the latest signature of any signed target was invalidated; then signed/unsigned."""
    latest: dict[tuple, Signature] = {}
    for signature in signatures:  # ordered by id: later ones win
        latest[(signature.scope, signature.record_id, signature.visit_id)] = signature
    if any(s.status == "invalidated" for s in latest.values()):
        return "needs_resigning"
    casebook = latest.get(("subject", None, None))
    return "signed" if casebook is not None and casebook.status == "valid" else "unsigned"
