"""Starting an export, in the request's transaction: permission, scope, the audit chain head, and
the export's own audit event. The data itself is read later, by the streaming body, in a session
of its own (the request's session is committed before the body streams)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import String, cast, literal, or_, select
from sqlalchemy.orm import Session

from ecrf.audit.chain import chains_digest
from ecrf.audit.models import AuditChainHead
from ecrf.audit.services import Where, record_event, request_id
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.db import utcnow
from ecrf.entry.models import Subject
from ecrf.errors import NotFound, RuleViolation
from ecrf.exports.source import ExportScope
from ecrf.studies.models import Site
from ecrf.studies.services import get_study


@dataclass(frozen=True)
class ChainHead:
    digest: str
    chains: int
    entries: int


@dataclass(frozen=True)
class ExportPlan:
    kind: str                 # "odm", "csv", "xlsx"
    scope: ExportScope
    head: ChainHead
    started_at: dt.datetime
    file_oid: str
    options: dict = field(default_factory=dict)


def study_chain_head(db: Session, study_id: int) -> ChainHead:
    """The digest over the heads of the study's chains (its own and its subjects'), as
    ``GET /audit/verify?study=`` reports it when the chains are intact."""
    subject_keys = select(literal("subject:") + cast(Subject.id, String)).where(Subject.study_id == study_id)
    heads = db.execute(select(AuditChainHead.chain_key, AuditChainHead.seq, AuditChainHead.head_hash).where(
        AuditChainHead.seq > 0, or_(AuditChainHead.chain_key == f"study:{study_id}",
                                    AuditChainHead.chain_key.in_(subject_keys)))).all()
    heads = [tuple(h) for h in heads]
    return ChainHead(chains_digest(heads), len(heads), sum(h[1] for h in heads))


def start_export(db: Session, principal: Principal, study_oid: str, kind: str, *, site: str | None = None,
                 subject: str | None = None, since: dt.datetime | None = None, **options) -> ExportPlan:
    """Check the caller may export, fix the scope, and audit the export (before any data leaves)."""
    study = get_study(db, principal, study_oid)
    principal.require(Action.EXPORT, study.id)
    sites = {s.code: s.id for s in db.execute(select(Site).where(Site.study_id == study.id)).scalars()}
    visible = principal.visible_site_ids(study.id, set(sites.values()))
    if site is not None:
        if site not in sites:
            raise RuleViolation("unknown site", errors={"site": [f"{study.oid} has no site {site}"]})
        visible &= {sites[site]}
    if subject is not None:
        found = db.execute(select(Subject.site_id).where(Subject.study_id == study.id,
                                                         Subject.code == subject)).scalar()
        if found is None or found not in visible:
            raise NotFound("subject not found")
    if since is not None and since.tzinfo is None:
        raise RuleViolation("since needs a time zone", errors={"since": ["give an offset, e.g. 2026-01-01T00:00:00Z"]})
    head = study_chain_head(db, study.id)
    started = utcnow()
    scope = ExportScope(study.id, study.oid, tuple(sorted(visible)), subject, since)
    file_oid = f"{study.oid}.{kind}.{started.strftime('%Y%m%dT%H%M%S%fZ')}"
    details = {"file_oid": file_oid, "site": site, "subject": subject,
               "since": since.isoformat() if since else None, **options,
               "sites_in_scope": sorted(code for code, sid in sites.items() if sid in visible),
               "audit_head_digest": head.digest, "audit_chains": head.chains, "audit_entries": head.entries}
    record_event(db, f"export.{kind}", Where(study_id=study.id, study_oid=study.oid), actor=principal,
                 details=details)
    return ExportPlan(kind, scope, head, started, file_oid, {"request_id": request_id(), **options})
