"""Reading what the endpoints report needs from the database, for the caller's visible sites."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.principal import Principal
from ecrf.entry.models import Record, Subject, Visit
from ecrf.oncology.models import Derivation
from ecrf.oncology.recist_wiring.service import REFERENCE_ANCHOR, SUBJECT_KIND
from ecrf.oncology.reports.subjects import SubjectSource
from ecrf.studies.models import Study

FORMS = {"F_DD": "death_dates", "F_FU": "followups", "F_AE": "adverse_events"}
# visits whose date shows the subject alive; survival follow-up contacts count through LKADAT
NOT_ALIVE_EVIDENCE = {"FU"}


def visible_subjects(db: Session, principal: Principal, study: Study) -> list[Subject]:
    site_ids = principal.visible_site_ids(study.id, {s.id for s in study.sites})
    return list(db.execute(select(Subject).where(Subject.study_id == study.id,
                                                 Subject.site_id.in_(site_ids or {-1}))
                           .order_by(Subject.code)).scalars())


def collect(db: Session, principal: Principal, study: Study) -> list[SubjectSource]:
    """One :class:`SubjectSource` per subject at the caller's sites (complete records only)."""
    subjects = visible_subjects(db, principal, study)
    ids = [s.id for s in subjects] or [-1]
    sources = {s.id: SubjectSource(code=s.code, site=s.site.code, status=s.status, status_date=s.status_date,
                                   reference_date=s.anchor_dates().get(REFERENCE_ANCHOR))
               for s in subjects}
    for row in db.execute(select(Derivation).where(Derivation.subject_id.in_(ids),
                                                   Derivation.kind == SUBJECT_KIND)).scalars():
        sources[row.subject_id].recist = row.value
        sources[row.subject_id].recist_engine_version = row.engine_version
    records = db.execute(select(Record.subject_id, Record.form_oid, Record.data).where(
        Record.subject_id.in_(ids), Record.form_oid.in_(tuple(FORMS)), Record.status == "complete")
        .order_by(Record.id)).all()
    for subject_id, form_oid, data in records:
        target = getattr(sources[subject_id], FORMS[form_oid])
        target.append(data.get("DTHDAT") if form_oid == "F_DD" else data)
    visits = db.execute(select(Visit.subject_id, Visit.visit_date).where(
        Visit.subject_id.in_(ids), Visit.visit_date.is_not(None), Visit.kind != "log",
        Visit.status != "missed", Visit.key.not_in(tuple(NOT_ALIVE_EVIDENCE)))).all()
    for subject_id, visit_date in visits:
        sources[subject_id].visit_dates.append(visit_date)
    for source in sources.values():
        source.death_dates = [d for d in source.death_dates if d]
    return [sources[s.id] for s in subjects]
