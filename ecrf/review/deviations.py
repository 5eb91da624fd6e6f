"""Protocol deviation findings per subject and per study (site-scoped), as JSON rows or CSV.

Findings come from every domain that detects deviations: visit windows and missed visits
(entry), treatment deviations (oncology, category ``treatment``) and any code added later; this
module lists them whatever their code.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import Where, record_event
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.entry.models import Subject, Visit
from ecrf.errors import RuleViolation
from ecrf.findings.models import Finding
from ecrf.studies.models import Site, Study

CSV_COLUMNS = ["id", "study", "site", "subject", "visit_key", "visit_repeat", "record_id", "code", "category",
               "severity", "status", "message", "detected_at", "resolved_at"]


def findings_statement(db: Session, principal: Principal, study: Study, args: dict, subject: Subject | None = None):
    principal.require(Action.READ_CLINICAL, study.id)
    site_ids = principal.visible_site_ids(study.id, {s.id for s in study.sites})
    statement = (select(Finding, Subject, Site, Visit).join(Subject, Finding.subject_id == Subject.id)
                 .join(Site, Finding.site_id == Site.id).outerjoin(Visit, Finding.visit_id == Visit.id)
                 .where(Finding.study_id == study.id, Finding.site_id.in_(site_ids or {-1})))
    if subject is not None:
        statement = statement.where(Finding.subject_id == subject.id)
    if args.get("site"):
        site = next((s for s in study.sites if s.code == args["site"]), None)
        if site is None:
            raise RuleViolation("unknown site", errors={"site": [f"{study.oid} has no site {args['site']}"]})
        statement = statement.where(Finding.site_id == site.id)
    for name, column in (("status", Finding.status), ("category", Finding.category), ("code", Finding.code)):
        if args.get(name):
            statement = statement.where(column == args[name])
    return statement.order_by(Site.code, Subject.code, Finding.detected_at, Finding.id)


def present(row) -> dict:
    finding, subject, site, visit = row
    return {"id": finding.id, "study": subject.study.oid, "site": site.code, "subject_id": subject.id,
            "subject": subject.code, "visit_key": visit.key if visit else None,
            "visit_repeat": visit.repeat if visit else None, "visit_name": visit.name if visit else None,
            "record_id": finding.record_id, "code": finding.code, "category": finding.category,
            "severity": finding.severity, "status": finding.status, "message": finding.message,
            "details": finding.details, "detected_at": finding.detected_at, "resolved_at": finding.resolved_at}


def list_findings(db: Session, statement, page: int | None = None, per_page: int | None = None) -> dict:
    rows = db.execute(statement).all()
    total = len(rows)
    if page is not None:
        rows = rows[(page - 1) * per_page: page * per_page]
    return {"items": [present(r) for r in rows], "page": page, "per_page": per_page, "total": total}


def _cell(value) -> str:
    text = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    # A cell starting with = + - @ would run as a formula in a spreadsheet: quote it.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def findings_csv(db: Session, principal: Principal, study: Study, statement, args: dict) -> str:
    rows = list_findings(db, statement)["items"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    filters = {k: v for k, v in args.items() if k in ("site", "status", "category", "code")}
    record_event(db, "findings.exported", Where(study_id=study.id, study_oid=study.oid),
                 details={"format": "csv", "rows": len(rows), "filters": filters})
    return out.getvalue()
