"""Turning subjects' visits and records into response dicts (computed windows included)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.entry import schedule
from ecrf.entry.models import Record, Subject, Visit
from ecrf.entry.subjects import study_definition


def present_record(record: Record, subject: Subject, open_queries: int | None = None) -> dict:
    from sqlalchemy.orm import object_session

    from ecrf.review.state import record_review  # SDV, signatures and lock: shown wherever a record is read

    visit = record.visit
    if open_queries is None:
        from ecrf.queries.services import open_query_counts

        open_queries = open_query_counts(object_session(record), record_ids=[record.id]).get(record.id, 0)
    return record_review(object_session(record), record, subject) | {
        "id": record.id, "subject_id": subject.id, "subject": subject.code, "site": subject.site.code,
        "visit_key": visit.key, "visit_repeat": visit.repeat, "visit_name": visit.name,
        "form_oid": record.form_oid, "form_version": record.form_version, "repeat": record.repeat,
        "status": record.status, "ever_completed": record.ever_completed, "data": record.data,
        "warnings": record.warnings or [], "created_at": record.created_at, "updated_at": record.updated_at,
        "completed_at": record.completed_at, "version": record.version, "open_queries": open_queries,
    }


def present_visits(db: Session, subject: Subject) -> list[dict]:
    definition = study_definition(db, subject)
    planned = {(p.key, p.repeat): p for p in schedule.expand(definition)}
    anchors = subject.anchor_dates()
    visits = list(db.execute(select(Visit).where(Visit.subject_id == subject.id).order_by(Visit.id)).scalars())
    records = list(db.execute(select(Record).where(Record.subject_id == subject.id).order_by(Record.id)).scalars())
    by_visit: dict[int, list[Record]] = {}
    for record in records:
        by_visit.setdefault(record.visit_id, []).append(record)
    out = []
    for visit in visits:
        plan = planned.get((visit.key, visit.repeat))
        window = plan.window(anchors) if plan else None
        refs = schedule.forms_for(definition, visit.key)
        forms = [{"form": r["form"], "version": r["version"], "required": r.get("required", True),
                  "records": [{"id": rec.id, "repeat": rec.repeat, "status": rec.status}
                              for rec in by_visit.get(visit.id, []) if rec.form_oid == r["form"]]}
                 for r in refs]
        out.append({
            "id": visit.id, "key": visit.key, "repeat": visit.repeat, "name": visit.name, "kind": visit.kind,
            "status": visit.status, "status_reason": visit.status_reason, "visit_date": visit.visit_date,
            "anchor": plan.anchor if plan else None, "day": plan.day if plan else None,
            "target_date": plan.target_date(anchors) if plan else None,
            "window_start": window[0] if window else None, "window_end": window[1] if window else None,
            "days_outside_window": schedule.window_deviation(visit.visit_date, window) if visit.visit_date else 0,
            "forms": forms,
        })
    return out
