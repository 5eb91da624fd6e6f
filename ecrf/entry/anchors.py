"""Anchor dates taken from record items (the study file says which visit, form and item)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ecrf.entry.subjects import set_anchor, study_definition


def on_record_changed(db: Session, change) -> None:
    subject, visit, record = change.subject, change.visit, change.record
    for anchor in study_definition(db, subject)["anchors"]:
        source = anchor.get("source")
        if not source or source["form"] != record.form_oid or source["visit"] != visit.key or visit.repeat != 1:
            continue
        value = record.data.get(source["item"])
        current = next((a for a in subject.anchors if a.key == anchor["key"]), None)
        if value is None and (current is None or current.source_record_id != record.id):
            continue  # clearing the item removes only an anchor that this record set
        set_anchor(db, subject, anchor["key"], dt.date.fromisoformat(value) if value else None,
                   source_record_id=record.id, reason=f"from {record.form_oid} {source['item']}")
