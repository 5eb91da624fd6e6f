"""Resolving expression references outside the record: other forms, the visit, the subject.

``[F_DM.RFICDTC]`` reads the subject's record of F_DM: the one at the same visit if there is
one, otherwise the latest. An item of a repeating group gives the list of its row values.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.entry.compiled import compiled_version
from ecrf.entry.models import Record, Subject, Visit
from ecrf.entry.values import to_expression_value
from ecrf.rules import Reference


class SubjectResolver:
    def __init__(self, db: Session, subject: Subject, visit: Visit | None, record: Record | None,
                 pending_anchors: dict | None = None):
        self.db, self.subject, self.visit, self.record = db, subject, visit, record
        self._records: dict[str, Record | None] = {}
        # anchor dates that the record being saved sets itself: its new values, not the stored ones
        self._pending_anchors = pending_anchors or {}

    def _record_of(self, form_oid: str) -> Record | None:
        if form_oid not in self._records:
            rows = list(self.db.execute(select(Record).where(
                Record.subject_id == self.subject.id, Record.form_oid == form_oid).order_by(Record.id)).scalars())
            if self.record is not None:
                rows = [r for r in rows if r.id != self.record.id]
            same_visit = [r for r in rows if self.visit is not None and r.visit_id == self.visit.id]
            chosen = (same_visit or rows or [None])[-1]
            self._records[form_oid] = chosen
        return self._records[form_oid]

    def resolve(self, ref: Reference):
        if ref.scope == "VISIT":
            return self.visit.visit_date if self.visit is not None and ref.name == "DATE" else None
        if ref.scope == "SUBJECT":
            if ref.name == "enrolled":
                return self.subject.created_at.date()
            if ref.name in self._pending_anchors:
                return self._pending_anchors[ref.name]
            return self.subject.anchor_dates().get(ref.name)
        other = self._record_of(ref.scope)
        if other is None:
            return None
        form = compiled_version(self.db, other.form_version_id)
        spec = form.items.get(ref.name)
        if spec is None:
            return None
        if spec.repeating:
            return [to_expression_value(spec.type, row.get(ref.name)) for row in other.data.get(spec.group_oid, [])]
        return to_expression_value(spec.type, other.data.get(ref.name))
