"""Enrolment, subject status lifecycle, anchor dates, visits (scheduled, unscheduled, missed)."""

from __future__ import annotations

import datetime as dt
import re
from importlib import import_module

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ecrf.audit.services import record_event
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.entry import schedule
from ecrf.entry.access import where_for
from ecrf.entry.hooks import VisitChange, visit_changed
from ecrf.entry.models import Subject, SubjectAnchor, Visit
from ecrf.errors import Conflict, NotFound, RuleViolation
from ecrf.findings.services import raise_finding, resolve_finding
from ecrf.studies.models import Site, Study
from ecrf.studies.services import current_content, current_definition

TRANSITIONS = {
    "screening": {"enrolled", "screen_failed", "withdrawn"},
    "enrolled": {"on_treatment", "withdrawn"},
    "on_treatment": {"follow_up", "completed", "withdrawn"},
    "follow_up": {"completed", "withdrawn"},
    "completed": set(),
    "withdrawn": set(),
    "screen_failed": set(),
}
NEEDS_REASON = {"withdrawn", "screen_failed"}
# checks another domain makes before a transition (named here, imported when used)
STATUS_GUARDS = {"enrolled": "ecrf.oncology.eligibility_service:guard_enrolment"}


def _site(db: Session, study: Study, code: str) -> Site:
    site = db.execute(select(Site).where(Site.study_id == study.id, Site.code == code)).scalar_one_or_none()
    if site is None:
        raise RuleViolation(f"unknown site {code}", errors={"site": [f"{study.oid} has no site {code}"]})
    return site


def _next_code(db: Session, study: Study, site: Site) -> str:
    count = db.execute(select(func.count()).where(Subject.study_id == study.id, Subject.site_id == site.id)).scalar_one()
    n = count + 1
    while True:
        code = f"{site.code}-{n:03d}"
        if not db.execute(select(Subject.id).where(Subject.study_id == study.id, Subject.code == code)).first():
            return code
        n += 1


def enrol(db: Session, principal: Principal, study: Study, *, site_code: str, consent_date: dt.date,
          code: str | None = None, today: dt.date | None = None) -> Subject:
    """Register a consented subject at a site (status screening) and lay out its visits."""
    site = _site(db, study, site_code)
    principal.require(Action.ENROL_SUBJECT, study.id)
    if not principal.is_system and not principal.sees_all_sites(study.id) and site.id not in principal.site_ids:
        raise RuleViolation("you can enrol only at your own sites", errors={"site": ["not one of your sites"]})
    if not site.active:
        raise RuleViolation(f"site {site.code} is not active", errors={"site": ["inactive site"]})
    from ecrf.entry.locks import study_frozen_at

    if study_frozen_at(db, study.id) is not None:  # read FOR SHARE, as every other write does
        from ecrf.errors import Locked

        raise Locked(f"study {study.oid} is frozen", errors={"study": ["frozen"]})
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if consent_date > today:
        raise RuleViolation("consent date is in the future", errors={"consent_date": ["must not be in the future"]})
    definition = current_definition(db, study).content
    if code is None:
        code = _next_code(db, study, site)
    else:
        pattern = definition.get("subject_id_pattern")
        if pattern and not re.fullmatch(pattern, code):
            raise RuleViolation("subject ID has the wrong format",
                                errors={"subject_code": [f"must match {pattern}"]})
        if db.execute(select(Subject.id).where(Subject.study_id == study.id, Subject.code == code)).first():
            raise Conflict(f"subject {code} already exists in {study.oid}", errors={"subject_code": ["already used"]})
    subject = Subject(study_id=study.id, site_id=site.id, code=code, study_version=study.current_version,
                      status="screening", created_by_id=principal.user_id, status_date=consent_date)
    subject.study, subject.site = study, site
    db.add(subject)
    db.flush()
    where = where_for(subject)
    record_event(db, "subject.created", where, new_value=code,
                 details={"status": "screening", "study_version": study.current_version})
    set_anchor(db, subject, "consent", consent_date, source_record_id=None)
    for planned in schedule.expand(definition):
        db.add(Visit(subject_id=subject.id, key=planned.key, repeat=planned.repeat, kind=planned.kind,
                     name=planned.name, status="not_started"))
    db.flush()
    return subject


def set_anchor(db: Session, subject: Subject, key: str, date: dt.date | None, source_record_id: int | None,
               reason: str | None = None) -> None:
    """Set, change or remove an anchor date; visit windows move with it (findings re-checked)."""
    current = next((a for a in subject.anchors if a.key == key), None)
    old = current.date if current else None
    if old == date:
        return
    if date is None:
        subject.anchors.remove(current)
    elif current is None:
        subject.anchors.append(SubjectAnchor(key=key, date=date, source_record_id=source_record_id))
    else:
        current.date, current.source_record_id = date, source_record_id
    db.flush()
    record_event(db, "subject.anchor_set", where_for(subject), item_oid=key,
                 old_value=old.isoformat() if old else None, new_value=date.isoformat() if date else None,
                 reason=reason)
    for visit in db.execute(select(Visit).where(Visit.subject_id == subject.id,
                                                Visit.visit_date.is_not(None))).scalars():
        check_window(db, subject, visit)


def planned_visit(db: Session, subject: Subject, visit: Visit) -> schedule.PlannedVisit | None:
    definition = study_definition(db, subject)
    return next((p for p in schedule.expand(definition) if p.key == visit.key and p.repeat == visit.repeat), None)


def study_definition(db: Session, subject: Subject) -> dict:
    """The subject's study definition (current version); shared between requests: read only."""
    return current_content(db, subject.study)


def check_window(db: Session, subject: Subject, visit: Visit) -> None:
    """An out-of-window visit date is accepted and recorded as a protocol deviation finding."""
    planned = planned_visit(db, subject, visit)
    source = f"visit:{visit.id}"
    window = planned.window(subject.anchor_dates()) if planned else None
    days = schedule.window_deviation(visit.visit_date, window) if visit.visit_date else 0
    where = where_for(subject, visit)
    if days == 0:
        resolve_finding(db, subject, where, code="VISIT_OUT_OF_WINDOW", source_key=source,
                        why="visit date now within its window")
        return
    start, end = window
    message = (f"{visit.name} on {visit.visit_date.isoformat()} is {abs(days)} day(s) "
               f"{'before' if days < 0 else 'after'} its window ({start.isoformat()} to {end.isoformat()})")
    raise_finding(db, subject, where, code="VISIT_OUT_OF_WINDOW", source_key=source, category="visit_window",
                  message=message, visit_id=visit.id,
                  details={"visit": visit.key, "repeat": visit.repeat, "days_outside": days,
                           "window_start": start.isoformat(), "window_end": end.isoformat()})


def update_visit(db: Session, principal: Principal, subject: Subject, visit: Visit, changes: dict,
                 today: dt.date | None = None) -> Visit:
    principal.require(Action.ENTER_DATA, subject.study_id)
    from ecrf.entry.locks import ensure_editable

    ensure_editable(db, subject)
    where = where_for(subject, visit)
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if "visit_date" in changes:
        new = changes["visit_date"]
        if new is not None and new > today:
            raise RuleViolation("visit date is in the future", errors={"visit_date": ["must not be in the future"]})
        consent = subject.anchor_dates().get("consent")
        if new is not None and consent is not None and new < consent and visit.kind != "log":
            raise RuleViolation("visit date is before informed consent",
                                errors={"visit_date": [f"must not be before the consent date {consent.isoformat()}"]})
        if new != visit.visit_date:
            record_event(db, "visit.date_set", where, item_oid="VISIT.DATE",
                         old_value=visit.visit_date.isoformat() if visit.visit_date else None,
                         new_value=new.isoformat() if new else None, reason=changes.get("reason"))
            visit.visit_date = new
            if visit.status == "not_started" and new is not None:
                visit.status = "in_progress"
            db.flush()
            check_window(db, subject, visit)
            visit_changed(db, VisitChange("VISIT.DATE", subject, visit, changes.get("reason")))
    if changes.get("status") == "missed":
        reason = (changes.get("reason") or "").strip()
        if not reason:
            raise RuleViolation("a missed visit needs a reason", errors={"reason": ["required for a missed visit"]})
        if visit.kind == "log":
            raise RuleViolation("a log cannot be missed", errors={"status": ["not for logs"]})
        from ecrf.entry.models import Record

        if db.execute(select(Record.id).where(Record.visit_id == visit.id)).first():
            raise Conflict("the visit has records; it cannot be marked missed", errors={"status": ["visit has data"]})
        record_event(db, "visit.missed", where, old_value=visit.status, new_value="missed", reason=reason)
        visit.status, visit.status_reason = "missed", reason
        raise_finding(db, subject, where, code="VISIT_MISSED", source_key=f"visit:{visit.id}", category="missed_visit",
                      message=f"{visit.name} was missed: {reason}", visit_id=visit.id)
        visit_changed(db, VisitChange("VISIT.STATUS", subject, visit, reason))
    elif changes.get("status") == "not_started" and visit.status == "missed":
        record_event(db, "visit.unmissed", where, old_value="missed", new_value="not_started",
                     reason=changes.get("reason"))
        visit.status, visit.status_reason = "not_started", None
        resolve_finding(db, subject, where, code="VISIT_MISSED", source_key=f"visit:{visit.id}",
                        why=changes.get("reason") or "visit no longer missed")
        visit_changed(db, VisitChange("VISIT.STATUS", subject, visit, changes.get("reason")))
    return visit


def add_unscheduled_visit(db: Session, principal: Principal, subject: Subject, visit_date: dt.date | None,
                          reason: str | None) -> Visit:
    principal.require(Action.ENTER_DATA, subject.study_id)
    from ecrf.entry.locks import ensure_editable

    ensure_editable(db, subject)
    definition = study_definition(db, subject)
    if "unscheduled" not in definition:
        raise RuleViolation("this study has no unscheduled visits", errors={"kind": ["not allowed"]})
    repeat = (db.execute(select(func.max(Visit.repeat)).where(Visit.subject_id == subject.id,
                                                              Visit.key == schedule.UNSCHEDULED)).scalar() or 0) + 1
    name = definition["unscheduled"].get("name", "Unscheduled visit")
    visit = Visit(subject_id=subject.id, key=schedule.UNSCHEDULED, repeat=repeat, kind="unscheduled",
                  name=f"{name} {repeat}", visit_date=visit_date,
                  status="in_progress" if visit_date else "not_started")
    db.add(visit)
    db.flush()
    record_event(db, "visit.unscheduled_added", where_for(subject, visit), reason=reason,
                 new_value=visit_date.isoformat() if visit_date else None)
    return visit


def change_status(db: Session, principal: Principal, subject: Subject, status: str, reason: str | None,
                  date: dt.date | None) -> Subject:
    principal.require(Action.ENTER_DATA, subject.study_id)
    from ecrf.entry.locks import ensure_editable

    ensure_editable(db, subject)
    if status not in TRANSITIONS:
        raise RuleViolation("unknown status", errors={"status": [f"one of {sorted(TRANSITIONS)}"]})
    if status not in TRANSITIONS[subject.status]:
        allowed = sorted(TRANSITIONS[subject.status]) or ["none"]
        raise Conflict(f"a subject in {subject.status} cannot become {status}",
                       errors={"status": [f"from {subject.status} allowed: {', '.join(allowed)}"]})
    reason = (reason or "").strip() or None
    if status in NEEDS_REASON and (reason is None or date is None):
        raise RuleViolation(f"{status} needs a reason and a date",
                            errors={k: ["required"] for k, v in (("reason", reason), ("date", date)) if v is None})
    guard = STATUS_GUARDS.get(status)
    if guard is not None:
        module, _, name = guard.partition(":")
        getattr(import_module(module), name)(db, principal, subject)
    record_event(db, "subject.status_changed", where_for(subject), old_value=subject.status, new_value=status,
                 reason=reason, details={"date": date.isoformat() if date else None})
    subject.status, subject.status_reason, subject.status_date = status, reason, date
    return subject


def subjects_query(db: Session, principal: Principal, study: Study, site_code: str | None, status: str | None,
                   search: str | None):
    site_ids = principal.visible_site_ids(study.id, {s.id for s in study.sites})
    statement = select(Subject).where(Subject.study_id == study.id, Subject.site_id.in_(site_ids or {-1}))
    if site_code:
        site = next((s for s in study.sites if s.code == site_code), None)
        if site is None:
            raise RuleViolation("unknown site", errors={"site": [f"{study.oid} has no site {site_code}"]})
        statement = statement.where(Subject.site_id == site.id)
    if status:
        statement = statement.where(Subject.status == status)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(or_(Subject.code.ilike(f"%{escaped}%", escape="\\")))
    return statement.order_by(Subject.code)


def get_visit(db: Session, subject: Subject, key: str, repeat: int) -> Visit:
    visit = db.execute(select(Visit).where(Visit.subject_id == subject.id, Visit.key == key,
                                           Visit.repeat == repeat)).scalar_one_or_none()
    if visit is None:
        raise NotFound(f"visit {key} #{repeat} not found for this subject")
    return visit
