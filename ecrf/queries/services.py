"""Raising, answering, closing, reopening and cancelling queries; automatic queries from checks.

Every action adds a message to the thread and an audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecrf.audit.services import record_event
from ecrf.auth.models import User
from ecrf.auth.principal import SYSTEM, Principal
from ecrf.auth.roles import Action
from ecrf.db import utcnow
from ecrf.entry.access import where_for
from ecrf.entry.models import Record, Subject, Visit
from ecrf.errors import Conflict, Forbidden, NotFound, RuleViolation
from ecrf.queries import workflow
from ecrf.queries.models import Query, QueryMessage

ACTIVE = ("open", "answered")
AUDIT_ACTION = {"respond": "query.answered", "close": "query.closed", "reopen": "query.reopened",
                "cancel": "query.cancelled", "auto_close": "query.auto_closed", "auto_reopen": "query.auto_reopened"}


def _where(db: Session, query: Query):
    subject = db.get(Subject, query.subject_id)
    visit = db.get(Visit, query.visit_id) if query.visit_id else None
    record = db.get(Record, query.record_id) if query.record_id else None
    return where_for(subject, visit, record)


def _author(principal: Principal) -> tuple[int | None, str]:
    return principal.user_id, principal.full_name or principal.username or "system"


def _message(query: Query, principal: Principal, action: str, text: str | None, correction=None) -> None:
    author_id, name = _author(principal)
    query.messages.append(QueryMessage(action=action, text=text, author_id=author_id, author_name=name,
                                       status_after=query.status, correction=correction))


def _item_value(record: Record, item_oid: str | None, group_oid: str | None, row: int | None) -> Any:
    if record is None or item_oid is None:
        return None
    if group_oid:
        match = next((r for r in record.data.get(group_oid, []) if r.get("_row") == row), None)
        return match.get(item_oid) if match else None
    return record.data.get(item_oid)


def raise_query(db: Session, principal: Principal, subject: Subject, *, text: str, record: Record | None = None,
                visit: Visit | None = None, item_oid: str | None = None, group_oid: str | None = None,
                group_row: int | None = None, assignee: User | None = None,
                due_date: dt.date | None = None) -> Query:
    principal.require(Action.RAISE_QUERY, subject.study_id)
    if record is not None and item_oid is not None:
        from ecrf.entry.records import compiled_for

        form = compiled_for(db, record)
        spec = form.items.get(item_oid)
        if spec is None:
            raise RuleViolation("unknown item", errors={"item": [f"{item_oid} is not an item of {record.form_oid}"]})
        if spec.repeating != (group_oid is not None) or (group_oid and spec.group_oid != group_oid):
            raise RuleViolation("the item's group row is needed",
                                errors={"group": [f"{item_oid} is in {spec.group_oid}" if spec.repeating
                                                  else f"{item_oid} is not in a repeating group"]})
        if spec.repeating and not any(r.get("_row") == group_row for r in record.data.get(group_oid, [])):
            raise RuleViolation("no such row", errors={"row": [f"{group_oid} has no row {group_row}"]})
    if assignee is not None:
        _check_assignee(db, subject, assignee)
    query = Query(study_id=subject.study_id, site_id=subject.site_id, subject_id=subject.id,
                  visit_id=visit.id if visit else (record.visit_id if record else None),
                  record_id=record.id if record else None, form_oid=record.form_oid if record else None,
                  item_oid=item_oid, group_oid=group_oid, group_row=group_row, kind="manual", status="open",
                  text=text, raised_by_id=principal.user_id, assignee_id=assignee.id if assignee else None,
                  due_date=due_date, value_at_raise=_item_value(record, item_oid, group_oid, group_row))
    db.add(query)
    _message(query, principal, "raise", text)
    db.flush()
    record_event(db, "query.raised", _where(db, query), item_oid=item_oid, group_oid=group_oid, group_row=group_row,
                 new_value=text, details={"query": query.id, "kind": "manual",
                                          "assignee": assignee.username if assignee else None,
                                          "value": query.value_at_raise})
    return query


def _check_assignee(db: Session, subject: Subject, assignee: User) -> None:
    roles = {r.role for r in assignee.roles if r.study_id == subject.study_id}
    if not roles or not (roles & {"data_manager"} or any(m.site_id == subject.site_id for m in assignee.memberships)):
        raise RuleViolation("the assignee has no access to this subject",
                            errors={"assignee": [f"{assignee.username} cannot see this subject's site"]})


def _act(db: Session, principal: Principal, query: Query, action: str, text: str | None,
         correction: dict | None = None) -> Query:
    who = workflow.actor_class(action)  # who may take this action at all: 403 before any 409
    if who == workflow.SITE:
        principal.require(Action.ANSWER_QUERY, query.study_id)
    elif who == workflow.OVERSIGHT:
        principal.require(Action.CLOSE_QUERY, query.study_id)
    elif who == workflow.RAISER and (query.kind != "manual" or query.raised_by_id != principal.user_id):
        raise Forbidden("only the person who raised a query can cancel it")
    elif who == workflow.SYSTEM and not principal.is_system:
        raise Forbidden("only the system takes this action")
    try:
        new_status, _who = workflow.transition(query.status, action)
    except workflow.TransitionRefused as refused:
        raise Conflict(str(refused), errors={"status": [query.status]}) from None
    old = query.status
    query.status, query.updated_at = new_status, utcnow()
    if new_status == "closed":
        query.closed_at, query.closed_by_id = query.updated_at, principal.user_id
        query.closed_value = _current_value(db, query)
    elif new_status == "open":
        query.closed_at = query.closed_by_id = None
    _message(query, principal, action, text, correction)
    db.flush()
    record_event(db, AUDIT_ACTION[action], _where(db, query), actor=principal, item_oid=query.item_oid,
                 group_oid=query.group_oid, group_row=query.group_row, old_value=old, new_value=new_status,
                 reason=text, details={"query": query.id, "kind": query.kind,
                                       **({"correction": correction} if correction else {})})
    return query


def _current_value(db: Session, query: Query):
    record = db.get(Record, query.record_id) if query.record_id else None
    return _item_value(record, query.item_oid, query.group_oid, query.group_row)


def respond(db: Session, principal: Principal, query: Query, text: str, correction: dict | None = None,
            if_match: str | None = None) -> Query:
    """A site answers; a data correction in the same request goes through normal validation.

    The answer is threaded first, then the correction is applied; if the correction clears the
    failure of an automatic query, the system closes it right after (both in the thread).
    """
    applied = record = None
    if correction is not None:
        if query.record_id is None:
            raise RuleViolation("this query is not on a record", errors={"correction": ["nothing to correct"]})
        applied = {"record": query.record_id, "data": correction["data"],
                   "reason": (correction.get("reason") or "").strip() or text}
        # the record first, as a PATCH takes it: locks in one order never deadlock
        record = db.get(Record, query.record_id, with_for_update=True)
    _act(db, principal, query, "respond", text, applied)
    if applied is not None:
        from ecrf.entry import records

        subject = db.get(Subject, query.subject_id)
        records.update_record(db, principal, record, subject, correction.get("etag") or if_match,
                              correction["data"], applied["reason"])
    return query


def close(db: Session, principal: Principal, query: Query, text: str | None) -> Query:
    return _act(db, principal, query, "close", text)


def reopen(db: Session, principal: Principal, query: Query, text: str | None) -> Query:
    if not (text or "").strip():
        raise RuleViolation("reopening or re-querying needs a reason", errors={"reason": ["required"]})
    return _act(db, principal, query, "reopen", text)


def cancel(db: Session, principal: Principal, query: Query, text: str | None) -> Query:
    return _act(db, principal, query, "cancel", text)


# ---------------------------------------------------------------- automatic queries

def auto_key(owner: str, warning: dict) -> str:
    return f"{owner}|{warning['rule']}|{warning['key']}"


def sync_automatic(db: Session, subject: Subject, record: Record, warnings: list[dict], rule_version: str,
                   owner: str = "form") -> None:
    """Make the record's automatic queries of one owner match that owner's current failures.

    Owners are the form's own soft checks ("form") and each engine ("recist", "ctcae",
    "treatment"...), so one source never closes another's queries. A failure without a query
    raises one; a query whose failure is gone closes itself; a query the system closed reopens
    when the failure returns (so does one a person closed, if its value has changed since).
    """
    failing = {auto_key(owner, w): w for w in warnings if w.get("severity") == "soft"}
    existing = list(db.execute(select(Query).where(
        Query.record_id == record.id, Query.kind == "automatic", Query.status != "cancelled",
        Query.auto_key.like(f"{owner}|%"))).scalars())
    by_key = {q.auto_key: q for q in existing}
    for key, warning in failing.items():
        query = by_key.get(key)
        if query is None:
            _raise_automatic(db, subject, record, warning, key, rule_version)
        elif query.status == "closed":
            changed = json.dumps(warning.get("value")) != json.dumps(query.closed_value)
            if query.closed_by_id is None or changed:
                _act(db, SYSTEM, query, "auto_reopen",
                     f"The check fails again: {warning['message']} (value {warning.get('value')!r})")
    for key, query in by_key.items():
        if key not in failing and query.status in ACTIVE:
            _act(db, SYSTEM, query, "auto_close", "The data no longer fails the check; closed automatically.")


def on_record_changed(db: Session, change) -> None:
    record = change.record
    sync_automatic(db, change.subject, record, record.warnings or [], f"{record.form_oid} v{record.form_version}")


def _raise_automatic(db: Session, subject: Subject, record: Record, warning: dict, key: str,
                     rule_version: str) -> Query:
    text = f"{warning['message']} (rule {warning['rule']}, {rule_version}; value {warning.get('value')!r})"
    query = Query(study_id=subject.study_id, site_id=subject.site_id, subject_id=subject.id,
                  visit_id=record.visit_id, record_id=record.id, form_oid=record.form_oid,
                  item_oid=warning.get("item"), group_oid=warning.get("group"), group_row=warning.get("row"),
                  kind="automatic", auto_key=key, rule_id=warning["rule"], rule_version=rule_version,
                  value_at_raise=warning.get("value"), status="open", text=text)
    db.add(query)
    _message(query, SYSTEM, "raise", text)
    db.flush()
    record_event(db, "query.raised", _where(db, query), actor=SYSTEM, item_oid=query.item_oid,
                 group_oid=query.group_oid, group_row=query.group_row, new_value=text,
                 details={"query": query.id, "kind": "automatic", "rule": warning["rule"],
                          "rule_version": rule_version, "value": warning.get("value")})
    return query


def open_query_counts(db: Session, *, record_ids=None, subject_ids=None) -> dict[int, int]:
    column = Query.record_id if record_ids is not None else Query.subject_id
    ids = record_ids if record_ids is not None else subject_ids
    if not ids:
        return {}
    rows = db.execute(select(column, func.count()).where(column.in_(list(ids)), Query.status.in_(ACTIVE))
                      .group_by(column)).all()
    return dict(rows)


def has_active_queries(db: Session, record: Record) -> bool:
    """Locking is refused while a record has open or answered queries."""
    return bool(db.execute(select(Query.id).where(Query.record_id == record.id,
                                                  Query.status.in_(ACTIVE)).limit(1)).first())


def get_query(db: Session, principal: Principal, query_id: int) -> Query:
    query = db.get(Query, query_id)
    if query is None or not principal.can(Action.READ_CLINICAL, query.study_id):
        raise NotFound("query not found")
    try:
        principal.require_site(query.study_id, query.site_id, "query")
    except NotFound:
        raise NotFound("query not found") from None
    return query
