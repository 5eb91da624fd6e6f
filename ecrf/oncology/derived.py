"""Storing engine results as derivations: replaced when inputs change, every change audited."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import record_event
from ecrf.auth.principal import SYSTEM
from ecrf.db import utcnow
from ecrf.entry.access import where_for
from ecrf.entry.models import Record, Subject
from ecrf.oncology.models import Derivation


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def store(db: Session, subject: Subject, *, kind: str, value: dict, engine_version: str, inputs: dict,
          record: Record | None = None) -> Derivation:
    """Create or replace the derivation (subject, kind, record); audited as a system action."""
    scope_key = f"record:{record.id}" if record is not None else "subject"
    row = db.execute(select(Derivation).where(Derivation.subject_id == subject.id, Derivation.kind == kind,
                                              Derivation.scope_key == scope_key)).scalar_one_or_none()
    value = json.loads(json.dumps(value, default=str))
    if row is not None and _same(row.value, value) and row.engine_version == engine_version:
        row.inputs = inputs
        return row
    old = row.value if row is not None else None
    if row is None:
        row = Derivation(subject_id=subject.id, record_id=record.id if record else None, kind=kind,
                         scope_key=scope_key)
        db.add(row)
    row.value, row.engine_version, row.inputs, row.computed_at = value, engine_version, inputs, utcnow()
    db.flush()
    visit = record.visit if record is not None else None
    record_event(db, "derivation.updated", where_for(subject, visit, record), actor=SYSTEM, item_oid=kind,
                 old_value=old, new_value=value, details={"engine": engine_version, "inputs": inputs})
    return row


def remove(db: Session, subject: Subject, *, kind: str, record: Record | None = None) -> None:
    scope_key = f"record:{record.id}" if record is not None else "subject"
    row = db.execute(select(Derivation).where(Derivation.subject_id == subject.id, Derivation.kind == kind,
                                              Derivation.scope_key == scope_key)).scalar_one_or_none()
    if row is None:
        return
    record_event(db, "derivation.removed", where_for(subject, record.visit if record else None, record),
                 actor=SYSTEM, item_oid=kind, old_value=row.value)
    db.delete(row)


def load(db: Session, subject_id: int, kind: str) -> list[Derivation]:
    return list(db.execute(select(Derivation).where(Derivation.subject_id == subject_id, Derivation.kind == kind)
                           .order_by(Derivation.id)).scalars())
