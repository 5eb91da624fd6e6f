"""Finding queries for a caller (site scope), filtering them, and the metrics data managers report."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from ecrf.auth.models import User
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.db import utcnow
from ecrf.entry.models import Subject, Visit
from ecrf.errors import RuleViolation
from ecrf.queries.models import QUERY_STATUSES, Query
from ecrf.queries.services import ACTIVE
from ecrf.studies.models import Site, Study


def scope(db: Session, principal: Principal, study: Study | None):
    studies = [study] if study else list(db.execute(select(Study).where(
        Study.id.in_(principal.study_ids() or {-1}))).scalars())
    conditions = []
    for s in studies:
        if not principal.can(Action.READ_CLINICAL, s.id):
            continue
        site_ids = principal.visible_site_ids(s.id, {site.id for site in s.sites})
        conditions.append(and_(Query.study_id == s.id, Query.site_id.in_(site_ids or {-1})))
    return or_(*conditions) if conditions else false()


def _user_id(db: Session, username: str) -> int:
    return db.execute(select(User.id).where(User.username == username.lower())).scalar() or -1


def query_statement(db: Session, principal: Principal, study: Study | None, args: dict):
    statement = select(Query).where(scope(db, principal, study))
    if args.get("status"):
        statement = statement.where(Query.status.in_(args["status"]))
    if args.get("site"):
        if study is None:
            raise RuleViolation("site needs study", errors={"site": ["give study too"]})
        site_id = db.execute(select(Site.id).where(Site.study_id == study.id, Site.code == args["site"])).scalar()
        statement = statement.where(Query.site_id == (site_id or -1))
    for name, column in (("subject", Query.subject_id), ("form", Query.form_oid), ("item", Query.item_oid),
                         ("kind", Query.kind)):
        if args.get(name) is not None:
            statement = statement.where(column == args[name])
    if args.get("raiser"):
        statement = statement.where(Query.raised_by_id.is_(None) if args["raiser"] == "system"
                                    else Query.raised_by_id == _user_id(db, args["raiser"]))
    if args.get("assignee"):
        statement = statement.where(Query.assignee_id == _user_id(db, args["assignee"]))
    now = utcnow()
    if args.get("min_age_days") is not None:
        statement = statement.where(Query.raised_at <= now - dt.timedelta(days=args["min_age_days"]))
    if args.get("max_age_days") is not None:
        statement = statement.where(Query.raised_at >= now - dt.timedelta(days=args["max_age_days"]))
    if args.get("overdue"):
        statement = statement.where(Query.status.in_(ACTIVE), Query.due_date < now.date())
    return statement.order_by(Query.raised_at.desc(), Query.id.desc())


def present(db: Session, query: Query, now: dt.datetime | None = None) -> dict:
    now = now or utcnow()
    subject = db.get(Subject, query.subject_id)
    visit = db.get(Visit, query.visit_id) if query.visit_id else None
    users = {u.id: u.username for u in db.execute(select(User).where(
        User.id.in_([i for i in (query.raised_by_id, query.assignee_id) if i]))).scalars()}
    end = query.closed_at if query.status == "closed" else (query.updated_at if query.status == "cancelled" else now)
    return {
        "id": query.id, "study": subject.study.oid, "site": subject.site.code, "subject_id": subject.id,
        "subject": subject.code, "visit_key": visit.key if visit else None,
        "visit_repeat": visit.repeat if visit else None, "record_id": query.record_id, "form_oid": query.form_oid,
        "item_oid": query.item_oid, "group_oid": query.group_oid, "group_row": query.group_row,
        "kind": query.kind, "rule_id": query.rule_id, "rule_version": query.rule_version,
        "value_at_raise": query.value_at_raise, "status": query.status, "text": query.text,
        "raised_by": users.get(query.raised_by_id, "system"), "raised_at": query.raised_at,
        "assignee": users.get(query.assignee_id), "due_date": query.due_date,
        "age_days": round((end - query.raised_at).total_seconds() / 86400, 3), "closed_at": query.closed_at,
        "messages": query.messages,
    }


def summary(db: Session, principal: Principal, study: Study, now: dt.datetime | None = None) -> dict:
    """Counts per status and per site; average age of active queries; average time to close."""
    now = now or utcnow()
    rows = db.execute(select(Query.status, Query.site_id, Query.raised_at, Query.closed_at)
                      .where(scope(db, principal, study))).all()
    sites = {s.id: s.code for s in study.sites}
    by_status = {status: 0 for status in QUERY_STATUSES}
    by_site: dict[str, dict[str, int]] = {}
    ages, closes = [], []
    for status, site_id, raised_at, closed_at in rows:
        by_status[status] += 1
        counts = by_site.setdefault(sites[site_id], {s: 0 for s in QUERY_STATUSES})
        counts[status] += 1
        if status in ACTIVE:
            ages.append((now - raised_at).total_seconds() / 86400)
        elif status == "closed" and closed_at is not None:
            closes.append((closed_at - raised_at).total_seconds() / 86400)
    mean = lambda values: round(sum(values) / len(values), 3) if values else None  # noqa: E731
    return {"study": study.oid, "total": len(rows), "by_status": by_status, "by_site": by_site,
            "open_average_age_days": mean(ages), "average_days_to_close": mean(closes),
            "closed_count": len(closes)}
