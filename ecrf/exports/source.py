"""Reading a study's clinical data for an export, a batch of subjects at a time.

Subjects are read by keyset (id order) in fixed-size batches; everything else is loaded per batch
and the audit trail is streamed, so memory depends on the batch size, never on the study's size.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from itertools import groupby
from typing import Iterator

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from ecrf.audit.models import AuditEntry
from ecrf.entry.models import Record, Subject, Visit
from ecrf.queries.models import Query
from ecrf.review.models import Signature
from ecrf.studies.models import Site

BATCH = 50
ITEM_ACTIONS = ("item.entered", "item.changed")
TRANSACTION_ACTIONS = ITEM_ACTIONS + ("record.created", "record.completed", "visit.date_set", "subject.created")


@dataclass(frozen=True)
class ExportScope:
    """What one export covers: a study, the sites the caller may see (after filters), and options."""

    study_id: int
    study_oid: str
    site_ids: tuple[int, ...]
    subject_code: str | None = None
    since: dt.datetime | None = None


@dataclass(frozen=True)
class SubjectRow:
    id: int
    code: str
    site_code: str
    status: str


@dataclass
class SubjectBundle:
    subject: SubjectRow
    visits: list = field(default_factory=list)
    records: list = field(default_factory=list)
    queries: list = field(default_factory=list)
    signatures: list = field(default_factory=list)
    entries: list = field(default_factory=list)   # audit rows (transactional exports)
    dated_visit_ids: set[int] | None = None       # since=: visits whose date changed


def decode(text: str | None):
    return None if text is None else json.loads(text)


def _subjects(scope: ExportScope):
    statement = (select(Subject.id, Subject.code, Site.code, Subject.status).join(Site, Site.id == Subject.site_id)
                 .where(Subject.study_id == scope.study_id, Subject.site_id.in_(scope.site_ids or (-1,))))
    if scope.subject_code:
        statement = statement.where(Subject.code == scope.subject_code)
    return statement


def subject_batches(db: Session, scope: ExportScope, changed_since=None, batch: int = BATCH) -> Iterator[list[SubjectRow]]:
    """Subjects in scope by id, ``batch`` at a time; ``changed_since`` narrows to those with changes."""
    last_id = 0
    while True:
        statement = _subjects(scope).where(Subject.id > last_id)
        if changed_since is not None:
            statement = statement.where(changed_since)
        rows = db.execute(statement.order_by(Subject.id).limit(batch)).all()
        if not rows:
            return
        yield [SubjectRow(*row) for row in rows]
        last_id = rows[-1][0]


def snapshot_changed(since: dt.datetime):
    """A subject with a record saved, or a visit date set, at or after ``since``."""
    return or_(exists().where(Record.subject_id == Subject.id, Record.updated_at >= since),
               exists().where(AuditEntry.study_id == Subject.study_id, AuditEntry.subject_id == Subject.id,
                              AuditEntry.occurred_at >= since, AuditEntry.action == "visit.date_set"))


def transactions_changed(since: dt.datetime):
    return exists().where(AuditEntry.study_id == Subject.study_id, AuditEntry.subject_id == Subject.id,
                          AuditEntry.occurred_at >= since, AuditEntry.action.in_(TRANSACTION_ACTIONS))


def load_bundles(db: Session, scope: ExportScope, subjects: list[SubjectRow], *, transactional: bool) -> list[SubjectBundle]:
    ids = [s.id for s in subjects]
    bundles = {s.id: SubjectBundle(s) for s in subjects}
    for visit in db.execute(select(Visit).where(Visit.subject_id.in_(ids)).order_by(Visit.id)).scalars():
        bundles[visit.subject_id].visits.append(visit)
    records = select(Record).where(Record.subject_id.in_(ids)).order_by(Record.id)
    if scope.since is not None and not transactional:
        records = records.where(Record.updated_at >= scope.since)
    for record in db.execute(records).scalars():
        bundles[record.subject_id].records.append(record)
    queries = (select(Query).where(Query.subject_id.in_(ids)).options(selectinload(Query.messages))
               .order_by(Query.id))
    for query in db.execute(queries).scalars():
        bundles[query.subject_id].queries.append(query)
    signatures = select(Signature).where(Signature.subject_id.in_(ids), Signature.status == "valid").order_by(Signature.id)
    for signature in db.execute(signatures).scalars():
        bundles[signature.subject_id].signatures.append(signature)
    if scope.since is not None and not transactional:
        dated = db.execute(select(AuditEntry.subject_id, Visit.id).join(Visit, and_(
            Visit.subject_id == AuditEntry.subject_id, Visit.key == AuditEntry.visit_key,
            Visit.repeat == AuditEntry.visit_repeat)).where(
            AuditEntry.study_id == scope.study_id, AuditEntry.subject_id.in_(ids),
            AuditEntry.action == "visit.date_set",
            AuditEntry.occurred_at >= scope.since)).all()
        for bundle in bundles.values():
            bundle.dated_visit_ids = set()
        for subject_id, visit_id in dated:
            bundles[subject_id].dated_visit_ids.add(visit_id)
    return [bundles[i] for i in ids]


def with_entries(db: Session, scope: ExportScope, bundles: list[SubjectBundle]) -> Iterator[SubjectBundle]:
    """The bundles in order, each with its audit entries while it is being written (the trail is
    streamed: only one subject's entries are held at a time)."""
    stream = groupby(_entries(db, scope, [b.subject.id for b in bundles]), key=lambda e: e.subject_id)
    pending = next(stream, None)
    for bundle in bundles:
        if pending is not None and pending[0] == bundle.subject.id:
            bundle.entries = list(pending[1])
            pending = next(stream, None)
        yield bundle
        bundle.entries = []


def _entries(db: Session, scope: ExportScope, ids: list[int]):
    statement = (select(AuditEntry.id, AuditEntry.subject_id, AuditEntry.occurred_at, AuditEntry.request_id,
                        AuditEntry.action, AuditEntry.username, AuditEntry.user_name, AuditEntry.site_code,
                        AuditEntry.visit_key, AuditEntry.visit_repeat, AuditEntry.form_oid, AuditEntry.form_version,
                        AuditEntry.record_id, AuditEntry.item_oid, AuditEntry.group_oid, AuditEntry.group_row,
                        AuditEntry.old_value, AuditEntry.new_value, AuditEntry.reason)
                 # study_id first: the (study, subject, time) index serves the batch, not a table scan
                 .where(AuditEntry.study_id == scope.study_id, AuditEntry.subject_id.in_(ids),
                        AuditEntry.action.in_(TRANSACTION_ACTIONS))
                 .order_by(AuditEntry.subject_id, AuditEntry.chain_seq))
    if scope.since is not None:
        statement = statement.where(AuditEntry.occurred_at >= scope.since)
    yield from db.execute(statement.execution_options(yield_per=2000))


def users_in_scope(db: Session, scope: ExportScope) -> list[tuple[str | None, str | None, str | None]]:
    """(username, full name, role) of everyone who appears in the exported part of the trail or signed."""
    rows = db.execute(select(AuditEntry.username, AuditEntry.user_name, AuditEntry.user_role).where(
        AuditEntry.study_id == scope.study_id, AuditEntry.site_id.in_(scope.site_ids or (-1,)),
        AuditEntry.action.in_(TRANSACTION_ACTIONS)).distinct()).all()
    signers = db.execute(select(Signature.signer_username, Signature.printed_name).where(
        Signature.study_id == scope.study_id, Signature.site_id.in_(scope.site_ids or (-1,))).distinct()).all()
    best: dict[str | None, tuple] = {}
    for username, name, role in [*rows, *((u, p, "investigator") for u, p in signers)]:
        if username not in best or (name and not best[username][1]):
            best[username] = (username, name, role)
    return sorted(best.values(), key=lambda u: u[0] or "")


def signature_meanings_in_scope(db: Session, scope: ExportScope) -> list[str]:
    return list(db.execute(select(Signature.meaning_code).where(
        Signature.study_id == scope.study_id, Signature.site_id.in_(scope.site_ids or (-1,))).distinct()
        .order_by(Signature.meaning_code)).scalars())
