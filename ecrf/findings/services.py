"""Raising and resolving findings; both audited in the changing transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import record_event
from ecrf.db import utcnow
from ecrf.entry.models import Subject
from ecrf.findings.models import Finding


def raise_finding(db: Session, subject: Subject, where, *, code: str, source_key: str, category: str,
                  message: str, details: dict | None = None, visit_id: int | None = None,
                  record_id: int | None = None, severity: str = "deviation") -> Finding:
    """Open (or refresh) the finding identified by (subject, code, source_key)."""
    finding = db.execute(select(Finding).where(Finding.subject_id == subject.id, Finding.code == code,
                                               Finding.source_key == source_key)).scalar_one_or_none()
    if finding is not None and finding.status == "open" and finding.message == message:
        return finding
    if finding is None:
        finding = Finding(study_id=subject.study_id, site_id=subject.site_id, subject_id=subject.id,
                          code=code, source_key=source_key)
        db.add(finding)
    finding.category, finding.severity, finding.message = category, severity, message
    finding.details, finding.visit_id, finding.record_id = details, visit_id, record_id
    finding.status, finding.detected_at, finding.resolved_at = "open", utcnow(), None
    db.flush()
    record_event(db, "finding.raised", where, new_value=message,
                 details={"finding": finding.id, "code": code, "source": source_key, **(details or {})})
    return finding


def resolve_finding(db: Session, subject: Subject, where, *, code: str, source_key: str, why: str) -> None:
    finding = db.execute(select(Finding).where(Finding.subject_id == subject.id, Finding.code == code,
                                               Finding.source_key == source_key,
                                               Finding.status == "open")).scalar_one_or_none()
    if finding is None:
        return
    finding.status, finding.resolved_at = "resolved", utcnow()
    record_event(db, "finding.resolved", where, old_value=finding.message, reason=why,
                 details={"finding": finding.id, "code": code, "source": source_key})
