"""Reading the audit trail: scoped to what the caller may see, filtered, keyset-paginated."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from ecrf.audit.models import AuditEntry
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Role
from ecrf.errors import RuleViolation
from ecrf.studies.models import Site, Study

CLINICAL_READERS = {Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR, Role.DATA_MANAGER}


@dataclass(frozen=True)
class AuditFilter:
    study_id: int | None = None
    site_id: int | None = None
    subject_id: int | None = None
    record_id: int | None = None
    item_oid: str | None = None
    user_id: int | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    newest_first: bool = True


def scope_condition(db: Session, principal: Principal):
    """What the caller may read: clinical entries of their sites, study events, their own events."""
    if principal.is_system:
        return None
    conditions = [and_(AuditEntry.study_id.is_(None), AuditEntry.user_id == principal.user_id)]
    study_ids = set(principal.study_ids())
    if principal.is_global_admin:
        conditions.append(AuditEntry.study_id.is_(None))
        study_ids |= set(db.execute(select(Study.id)).scalars())
    for study_id in sorted(study_ids):
        roles = principal.roles_in(study_id)
        if principal.sees_all_sites(study_id):
            conditions.append(AuditEntry.study_id == study_id)
        elif roles & CLINICAL_READERS:
            site_ids = principal.visible_site_ids(
                study_id, set(db.execute(select(Site.id).where(Site.study_id == study_id)).scalars()))
            conditions.append(and_(AuditEntry.study_id == study_id, or_(
                AuditEntry.site_id.in_(site_ids or {-1}),
                and_(AuditEntry.site_id.is_(None), AuditEntry.subject_id.is_(None)))))
        elif Role.ADMIN in roles:
            conditions.append(and_(AuditEntry.study_id == study_id, AuditEntry.subject_id.is_(None)))
    return or_(*conditions) if conditions else false()


def encode_cursor(entry: AuditEntry) -> str:
    raw = f"{entry.occurred_at.isoformat()}|{entry.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, entry_id = raw.split("|")
        moment = dt.datetime.fromisoformat(stamp)
        if moment.utcoffset() is None:
            raise ValueError("a cursor's time carries its UTC offset")
        return moment, int(entry_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RuleViolation("the cursor is not valid", errors={"cursor": ["use next_cursor of a previous page"]}) from exc


def audit_page(db: Session, principal: Principal, flt: AuditFilter, limit: int, cursor: str | None) -> dict:
    statement = select(AuditEntry)
    scope = scope_condition(db, principal)
    if scope is not None:
        statement = statement.where(scope)
    for column, value in ((AuditEntry.study_id, flt.study_id), (AuditEntry.site_id, flt.site_id),
                          (AuditEntry.subject_id, flt.subject_id), (AuditEntry.record_id, flt.record_id),
                          (AuditEntry.item_oid, flt.item_oid), (AuditEntry.user_id, flt.user_id),
                          (AuditEntry.action, flt.action)):
        if value is not None:
            statement = statement.where(column == value)
    if flt.since is not None:
        statement = statement.where(AuditEntry.occurred_at >= flt.since)
    if flt.until is not None:
        statement = statement.where(AuditEntry.occurred_at < flt.until)
    if cursor:
        stamp, entry_id = decode_cursor(cursor)
        if flt.newest_first:
            after = or_(AuditEntry.occurred_at < stamp, and_(AuditEntry.occurred_at == stamp, AuditEntry.id < entry_id))
        else:
            after = or_(AuditEntry.occurred_at > stamp, and_(AuditEntry.occurred_at == stamp, AuditEntry.id > entry_id))
        statement = statement.where(after)
    if flt.newest_first:
        statement = statement.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
    else:
        statement = statement.order_by(AuditEntry.occurred_at, AuditEntry.id)
    rows = list(db.execute(statement.limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1]) if more else None, "limit": limit}
