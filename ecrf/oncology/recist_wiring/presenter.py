"""``GET /subjects/{id}/recist``: the stored RECIST derivations of one subject, read only."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecrf.entry.models import Subject
from ecrf.oncology import derived
from ecrf.oncology.recist import ENGINE_VERSION
from ecrf.oncology.recist_wiring.service import (
    ASSESSMENT_KIND, FINDINGS_OWNER, RESPONSE_OWNER, SUBJECT_KIND,
)
from ecrf.queries.models import Query
from ecrf.queries.services import ACTIVE

EMPTY = {"status": "no_data", "reference_date": None, "reference_source": None, "sd_min_days": None,
         "confirm_min_days": None, "baseline": None, "findings": []}
# derived only when the subject was evaluated: present (null) either way
SUMMARY = dict.fromkeys(("baseline_sum_mm", "nadir_mm", "nadir_date", "first_pd_date", "first_pd_backdated",
                         "bor_unconfirmed", "bor_confirmed"))
ASSESSMENT = {**dict.fromkeys(("days_from_reference", "sum_mm", "measured_sum_mm", "nadir_mm",
                               "change_from_baseline", "change_from_nadir", "target_response", "target_basis",
                               "non_target_response", "new_lesions", "overall_response",
                               "confirms_equivocal_from")), "investigator": []}


def _queries(db: Session, subject: Subject) -> list[dict]:
    rows = db.execute(select(Query).where(
        Query.subject_id == subject.id, Query.kind == "automatic", Query.status.in_(ACTIVE),
        or_(Query.auto_key.like(f"{FINDINGS_OWNER}|%"), Query.auto_key.like(f"{RESPONSE_OWNER}|%")))
        .order_by(Query.id)).scalars()
    return [{"id": q.id, "record_id": q.record_id, "rule": q.rule_id, "item": q.item_oid, "group": q.group_oid,
             "row": q.group_row, "status": q.status} for q in rows]


def describe(db: Session, subject: Subject) -> dict:
    """Subject summary, per-assessment results (by assessment date) and findings."""
    stored = derived.load(db, subject.id, SUBJECT_KIND)
    row = stored[0] if stored else None
    assessments = [{**ASSESSMENT, **a.value} for a in derived.load(db, subject.id, ASSESSMENT_KIND)]
    assessments.sort(key=lambda v: (v.get("date") or "", v["record_id"]))
    value = {**SUMMARY, **(row.value if row else EMPTY)}
    value.pop("timepoints", None)
    value.pop("bor_timeline", None)
    return {
        "subject_id": subject.id, "subject": subject.code, "study": subject.study.oid,
        "engine_version": row.engine_version if row else ENGINE_VERSION,
        "current_engine_version": ENGINE_VERSION,
        "stale": bool(row and row.engine_version != ENGINE_VERSION),
        "computed_at": row.computed_at if row else None,
        "inputs": row.inputs if row else None,
        **value,
        "assessments": assessments,
        "open_queries": _queries(db, subject),
    }
