"""Anchor dates taken from record items (the study file says which visit, form and item)."""

from __future__ import annotations

import datetime as dt
from typing import Mapping

from sqlalchemy.orm import Session

from ecrf.entry.subjects import set_anchor, study_definition


def _sources(definition: Mapping, visit, form_oid: str):
    if visit is None or visit.repeat != 1:
        return
    for anchor in definition["anchors"]:
        source = anchor.get("source")
        if source and source["form"] == form_oid and source["visit"] == visit.key:
            yield anchor["key"], source["item"]


def anchors_set_by(definition: Mapping, visit, form_oid: str, data: Mapping) -> dict[str, dt.date | None]:
    """The anchor dates a record of this form at this visit sets, from its (pending) data."""
    return {key: (dt.date.fromisoformat(data[item]) if data.get(item) else None)
            for key, item in _sources(definition, visit, form_oid)}


def on_record_changed(db: Session, change) -> None:
    subject, visit, record = change.subject, change.visit, change.record
    pending_hard = {w.get("item") for w in record.warnings or [] if w.get("severity") == "hard_pending"}
    for key, item in _sources(study_definition(db, subject), visit, record.form_oid):
        if item in pending_hard:
            continue  # a value that fails a hard check does not move the schedule
        value = record.data.get(item)
        current = next((a for a in subject.anchors if a.key == key), None)
        if value is None and (current is None or current.source_record_id != record.id):
            continue  # clearing the item removes only an anchor that this record set
        set_anchor(db, subject, key, dt.date.fromisoformat(value) if value else None,
                   source_record_id=record.id, reason=f"from {record.form_oid} {item}")
